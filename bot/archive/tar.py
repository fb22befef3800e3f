"""Tar archives, plain or compressed (.tar.gz/.tgz, .tar.bz2, .tar.xz), and a single compressed
file (`main.py.gz`).

A compressed tar is one stream: an entry cannot be inflated without inflating everything
before it. So the stream is inflated first, in memory and in bounded steps, and refused as soon
as it passes `max_bytes` (plus the tar's own headers), whatever the archive declares; only then
is the tar read, from memory. Every entry's bytes therefore count towards `max_bytes`, skipped
ones included: a bomb costs at most that much memory and time.
"""

from __future__ import annotations

import bz2
import io
import lzma
import tarfile
import zlib
from collections.abc import Callable
from typing import Protocol

from bot.archive.entries import ArchiveLimits, ArchiveRefused, Collector, archive_kind, vet_names

_STEP = 64 * 1024
_HEADER_BYTES = 1024  # a tar header block and the padding of its entry, at most


class _Decompressor(Protocol):
    @property
    def eof(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...
    @property
    def needs_input(self) -> bool: ...

    def decompress(self, data: bytes, max_length: int = ...) -> bytes: ...


_DECOMPRESSORS: dict[str, Callable[[], _Decompressor]] = {
    "gzip": lambda: _Zlib(zlib.decompressobj(wbits=31)),
    "bzip2": bz2.BZ2Decompressor,
    "xz": lambda: lzma.LZMADecompressor(format=lzma.FORMAT_XZ),
}
COMPRESSED = tuple(_DECOMPRESSORS)


class _Zlib:
    """zlib's decompressor behind the bz2/lzma interface (input it could not take yet is kept)."""

    def __init__(self, obj: zlib._Decompress) -> None:
        self._obj = obj
        self._tail = b""

    @property
    def eof(self) -> bool:
        return self._obj.eof

    @property
    def unused_data(self) -> bytes:
        return self._obj.unused_data

    @property
    def needs_input(self) -> bool:
        return not self._tail

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        out = self._obj.decompress(self._tail + data, max(max_length, 0))
        self._tail = self._obj.unconsumed_tail
        return out


def inflate(kind: str, data: bytes, limit: int) -> bytes:
    """The whole decompressed stream (concatenated members too), or ArchiveRefused past `limit`
    bytes; a truncated stream raises EOFError."""
    out = bytearray()
    pending = data
    while pending:
        dec = _DECOMPRESSORS[kind]()
        feed = pending
        while not dec.eof:
            chunk = dec.decompress(feed, min(_STEP, limit + 1 - len(out)))
            feed = b""
            if not chunk and dec.needs_input:
                raise EOFError("compressed stream ends early")
            out += chunk
            if len(out) > limit:
                raise ArchiveRefused(f"inflates to more than {limit} bytes")
        pending = dec.unused_data.lstrip(b"\x00")  # another gzip member may follow; zeros may pad
    return bytes(out)


def read_tar(collector: Collector, kind: str, data: bytes, limits: ArchiveLimits) -> None:
    """A tar (kind "tar"), a compressed tar, or one compressed file named for the archive."""
    if kind in COMPRESSED:
        data = inflate(kind, data, limits.max_bytes + _HEADER_BYTES * limits.max_files + 20 * 512)
        if archive_kind("", data) != "tar":
            name = collector.label.rsplit("/", 1)[-1]
            inner = name.rsplit(".", 1)[0] if "." in name else name
            if inner.lower().endswith(".tar") or name.lower().endswith((".tgz", ".tbz2", ".txz")):
                raise tarfile.ReadError("no tar inside the compressed stream")
            collector.add(inner, lambda limit: data if len(data) <= limit else None)
            return
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tf:
        members = tf.getmembers()
        vet_names([m.name for m in members], limits)
        for m in members:
            if m.issym() or m.islnk():
                raise ArchiveRefused(f"entry {m.name!r} is a link")
            if not (m.isfile() or m.isdir()):
                raise ArchiveRefused(f"entry {m.name!r} is a device, pipe or other special file")
        for m in members:
            if m.isfile():
                collector.add(m.name, lambda limit, m=m: _read_member(tf, m, limit))  # type: ignore[misc]


def _read_member(tf: tarfile.TarFile, member: tarfile.TarInfo, limit: int) -> bytes | None:
    if member.size > limit:  # the sizes in a tar are what the reader walks by: they are the bytes there
        return None
    handle = tf.extractfile(member)
    return handle.read() if handle is not None else b""
