"""What every archive format shares: the limits, the result, the refusal, and the rules each
entry passes before its bytes are kept.

Why one place: a zip, a tar and a 7z are hostile in the same ways (names that leave the
archive, links, bombs, nested archives), and an instructor should read the same reason for
the same problem whatever format the student chose.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ml.submission import Skipped

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # local file header / empty archive
SEVEN_ZIP_MAGIC = b"7z\xbc\xaf\x27\x1c"
# Archives inside the upload are opened this many levels down: a student who zipped a folder
# that held their zip (depth 1) or went one further (2). Deeper is named, not opened: it is no
# accident, and the instructor should see it. All levels share the upload's limits.
MAX_DEPTH = 2
NESTED = f"nested archive more than {MAX_DEPTH} levels deep (not unpacked)"
RAR = "RAR archive not opened (no free decoder): unpack it, or ask for a .zip, .7z or .tar.gz"


@dataclass(frozen=True)
class ArchiveLimits:
    max_bytes: int = 20 * 1024 * 1024  # all entries together, inflated
    max_files: int = 500  # entries (files and folders) in one archive
    max_file_bytes: int = 1024 * 1024  # one entry, inflated
    max_ratio: int = 200  # inflated / compressed, per entry (bomb guard; zip, where entries are separate)


@dataclass
class Unpacked:
    files: list[tuple[str, bytes]] = field(default_factory=list)  # (path inside the submission, bytes)
    skipped: list[Skipped] = field(default_factory=list)


class ArchiveRefused(Exception):
    """The whole archive is refused; the message says why, for the instructor."""


class ArchiveUnreadable(Exception):
    """The archive cannot be opened (damaged, encrypted, an unknown method); the message is the
    whole reason shown."""


def archive_kind(name: str, data: bytes = b"") -> str | None:
    """"zip", "tar", "gzip", "bzip2", "xz", "7z", "rar", or None: by the bytes first (a renamed
    archive is still one), then by the name (a damaged archive still says what it meant to be)."""
    head = data[:16]
    if head[:4] in ZIP_MAGIC:
        return "zip"
    if head[:6] == SEVEN_ZIP_MAGIC:
        return "7z"
    if head[:4] == b"Rar!":
        return "rar"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:3] == b"BZh" and head[4:10] == b"1AY&SY":
        return "bzip2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if data[257:263] in (b"ustar\x00", b"ustar "):
        return "tar"
    lower = name.lower()
    for suffixes, kind in _SUFFIXES:
        if lower.endswith(suffixes):
            return kind
    return None


_SUFFIXES = (
    ((".zip", ".jar", ".war"), "zip"),
    ((".tar.gz", ".tgz", ".gz"), "gzip"),
    ((".tar.bz2", ".tbz2", ".bz2"), "bzip2"),
    ((".tar.xz", ".txz", ".xz"), "xz"),
    ((".tar",), "tar"),
    ((".7z",), "7z"),
    ((".rar",), "rar"),
)


def unsafe_path(name: str) -> str | None:
    """Why an entry name is unsafe, or None."""
    if "\x00" in name:
        return "has a NUL byte in its name"
    norm = name.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":"):
        return "is an absolute path"
    if ".." in norm.split("/"):
        return "escapes the archive (path traversal)"
    return None


def vet_names(names: list[str], limits: ArchiveLimits) -> None:
    """Refuse the archive for too many entries or one hostile name, before anything is read."""
    if len(names) > limits.max_files:
        raise ArchiveRefused(f"{len(names)} entries, more than the limit of {limits.max_files}")
    for name in names:
        if reason := unsafe_path(name):
            raise ArchiveRefused(f"entry {name!r} {reason}")


Opener = Callable[[str, bytes, "ArchiveLimits", int], Unpacked]


class Collector:
    """Keeps the entries that pass the per-entry rules, in archive order, and says why the others
    did not: duplicates and encrypted entries are skipped, an entry over `max_file_bytes` is
    skipped, and going over `max_bytes` in all refuses the archive. An archive inside is opened
    with `open_nested` (bot.archive.unpack) down to MAX_DEPTH, on what is left of the limits."""

    def __init__(self, label: str, limits: ArchiveLimits, depth: int = 0, open_nested: Opener | None = None) -> None:
        self.label = label
        self.limits = limits
        self.depth = depth
        self.open_nested = open_nested
        self.out = Unpacked()
        self.total = 0
        self.entries = 0  # entries seen here and inside nested archives: all count towards max_files
        self._seen: set[str] = set()

    def skip(self, name: str, reason: str) -> None:
        self.out.skipped.append(Skipped(f"{self.label}/{normalise(name)}", reason))

    def add(self, name: str, read: Callable[[int], bytes | None], encrypted: bool = False) -> None:
        """One file entry; `read(limit)` gives its bytes, or None when it holds more than `limit`."""
        path = normalise(name)
        self.entries += 1
        if path in self._seen:
            return self.skip(path, "duplicate entry in the archive (first one kept)")
        self._seen.add(path)
        if encrypted:
            return self.skip(path, "encrypted entry (not unpacked)")
        left = self.limits.max_bytes - self.total
        nested = archive_kind(path) is not None
        per_file = left if nested else min(self.limits.max_file_bytes, left)
        content = read(per_file)
        if content is None:
            if per_file < self.limits.max_file_bytes or nested:
                raise ArchiveRefused(f"inflates to more than {self.limits.max_bytes} bytes")
            return self.skip(path, f"larger than {self.limits.max_file_bytes} bytes when unpacked")
        if nested or archive_kind("", content):
            return self._nested(path, content)
        self.total += len(content)
        self.out.files.append((path, content))
        return None

    def _nested(self, path: str, content: bytes) -> None:
        if self.open_nested is None or self.depth >= MAX_DEPTH:
            return self.skip(path, NESTED)
        left = replace(self.limits, max_bytes=self.limits.max_bytes - self.total,
                       max_files=max(1, self.limits.max_files - self.entries))  # fmt: skip
        inner = self.open_nested(f"{self.label}/{path}", content, left, self.depth + 1)
        self.out.files.extend((f"{path}/{p}", b) for p, b in inner.files)
        self.out.skipped.extend(inner.skipped)
        self.total += sum(len(b) for _, b in inner.files)
        self.entries += len(inner.files) + len(inner.skipped)
        return None


def normalise(name: str) -> str:
    return posixpath.normpath(name.replace("\\", "/"))
