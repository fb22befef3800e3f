"""Zip (and .jar/.war) archives: entries are compressed one by one, so each is inflated on its
own, only as far as the limits allow."""

from __future__ import annotations

import io
import stat
import zipfile

from bot.archive.entries import ArchiveLimits, ArchiveRefused, Collector, normalise, vet_names

_CHUNK = 64 * 1024


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    # Unix mode lives in the high 16 bits of external_attr when created on Unix.
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def _read_limited(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes | None:
    """The entry's bytes, or None if it inflates past `limit` (declared sizes are not trusted)."""
    out = bytearray()
    with zf.open(info) as handle:
        while True:
            chunk = handle.read(_CHUNK)
            if not chunk:
                return bytes(out)
            out += chunk
            if len(out) > limit:
                return None


def read_zip(collector: Collector, data: bytes, limits: ArchiveLimits) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        # Vet every name before reading anything: one hostile entry refuses the whole upload.
        vet_names([info.filename for info in infos], limits)
        for info in infos:
            if _is_symlink(info):
                raise ArchiveRefused(f"entry {info.filename!r} is a symbolic link")
        for info in infos:
            if info.is_dir():
                continue
            if info.compress_size and info.file_size / max(info.compress_size, 1) > limits.max_ratio:
                raise ArchiveRefused(
                    f"entry {normalise(info.filename)!r} compresses more than {limits.max_ratio}:1 (zip bomb guard)"
                )
            collector.add(info.filename, lambda limit, i=info: _read_limited(zf, i, limit),  # type: ignore[misc]
                          encrypted=bool(info.flag_bits & 0x1))
