"""7z archives, read with py7zr into memory.

A 7z is usually solid (its files compressed as one stream), so, as for a compressed tar, every
entry's bytes count towards `max_bytes`. py7zr decompresses each entry up to the size the
archive declares for it, in steps no larger than that size: the declared sizes are checked
against the limits before anything is inflated, and bytes past them are never produced. The
writers below count what actually arrives as well, and py7zr's own `max_extract_size` stops it
too, so a lying header cannot get past the limit either. One thing is py7zr's before any of
this: it decodes the archive's (compressed) header itself, capped by py7zr at 256 MB
(py7zr.archiveinfo.MAX_HEADER_SIZE), so a crafted header can cost that much memory, once.
"""

from __future__ import annotations

import io

from bot.archive.entries import ArchiveLimits, ArchiveRefused, ArchiveUnreadable, Collector, vet_names


class _Entry:
    """One entry's bytes in memory, kept up to `keep` bytes (beyond it: too large, dropped).
    py7zr's writer interface (py7zr.io.Py7zIO) by its methods: py7zr only calls them."""

    def __init__(self, factory: _Factory) -> None:
        self.factory = factory
        self.data = bytearray()
        self.written = 0

    def write(self, s: bytes | bytearray) -> int:
        self.written += len(s)
        self.factory.count(len(s))
        if self.written <= self.factory.keep:
            self.data += s
        return len(s)

    def read(self, size: int | None = None) -> bytes:
        return bytes(self.data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def flush(self) -> None:
        return None

    def size(self) -> int:
        return self.written

    def close(self) -> None:
        return None

    def content(self, limit: int) -> bytes | None:
        return bytes(self.data) if self.written <= limit else None


class _Factory:
    """py7zr.io.WriterFactory by its one method: a writer per entry, all counted against `limit`."""

    def __init__(self, keep: int, limit: int) -> None:
        self.keep = keep
        self.limit = limit
        self.total = 0
        self.entries: dict[str, _Entry] = {}

    def count(self, n: int) -> None:
        self.total += n
        if self.total > self.limit:
            raise ArchiveRefused(f"inflates to more than {self.limit} bytes")

    def create(self, filename: str) -> _Entry:
        entry = self.entries[filename] = _Entry(self)
        return entry


def read_7z(collector: Collector, data: bytes, limits: ArchiveLimits) -> None:
    """py7zr is imported here, not with the module: it takes longer to import (0.13 s) than a
    scan of a small class, and most classes hold no 7z."""
    from py7zr.exceptions import ArchiveError, DecompressionBombError, PasswordRequired

    try:
        _read(collector, data, limits)
    except DecompressionBombError as exc:
        raise ArchiveRefused(str(exc)) from None
    except PasswordRequired:
        raise ArchiveUnreadable("encrypted archive (not unpacked)") from None
    except ArchiveError as exc:
        raise ArchiveUnreadable(f"not a readable 7z archive ({type(exc).__name__})") from None


def _read(collector: Collector, data: bytes, limits: ArchiveLimits) -> None:
    import py7zr

    with py7zr.SevenZipFile(io.BytesIO(data), max_extract_size=limits.max_bytes) as archive:
        infos = archive.list()
        vet_names([i.filename for i in infos], limits)
        for info in infos:
            if info.is_symlink:
                raise ArchiveRefused(f"entry {info.filename!r} is a symbolic link")
        declared = sum(int(i.uncompressed or 0) for i in infos if not i.is_directory)
        if declared > limits.max_bytes:
            raise ArchiveRefused(f"inflates to more than {limits.max_bytes} bytes ({declared} declared)")
        if archive.needs_password():
            for info in infos:
                if not info.is_directory:
                    collector.add(info.filename, lambda limit: None, encrypted=True)
            return
        factory = _Factory(keep=limits.max_file_bytes, limit=limits.max_bytes)
        archive.extractall(factory=factory)  # type: ignore[arg-type]
    empty = _Entry(factory)  # py7zr makes no writer for an empty file
    for info in infos:
        if not info.is_directory:
            entry = factory.entries.get(info.filename, empty)
            collector.add(info.filename, entry.content)
