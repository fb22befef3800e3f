"""Zip archives in LMS submissions, opened in memory and never extracted to disk.

Students upload zips; a zip is also the classic way to smuggle a path (`../../x`,
`/etc/x`), a symlink, or a bomb (a few KB that inflate to GBs) into a server. Nothing
here writes a file, so a hostile entry cannot land anywhere, but such an archive is
still refused as a whole and reported: it is not a normal student upload, and the
instructor should see it. Limits are enforced on the bytes actually inflated, not on
the sizes the archive declares (those are attacker-controlled).

Everything not unpacked is reported as `Skipped`; the archive's own name prefixes the
paths of its entries (`hw1.zip/src/main.py`).
"""

from __future__ import annotations

import io
import posixpath
import stat
import zipfile
from dataclasses import dataclass, field

from ml.submission import Skipped

ARCHIVE_SUFFIXES = (".zip", ".jar", ".war", ".tar", ".tgz", ".tar.gz", ".gz", ".bz2", ".xz", ".7z", ".rar")
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # local file header / empty archive
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    max_bytes: int = 20 * 1024 * 1024  # all entries together, inflated
    max_files: int = 500  # entries (files and folders) in one archive
    max_file_bytes: int = 1024 * 1024  # one entry, inflated
    max_ratio: int = 200  # inflated / compressed, per entry (bomb guard)


@dataclass
class Unpacked:
    files: list[tuple[str, bytes]] = field(default_factory=list)  # (path inside the submission, bytes)
    skipped: list[Skipped] = field(default_factory=list)


def is_archive_name(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def looks_like_zip(name: str, data: bytes) -> bool:
    return name.lower().endswith((".zip", ".jar", ".war")) or data[:4] in ZIP_MAGIC


class ArchiveRefused(Exception):
    """The whole archive is refused; the message says why, for the instructor."""


def _unsafe_path(name: str) -> str | None:
    """Why an entry name is unsafe, or None."""
    if "\x00" in name:
        return "has a NUL byte in its name"
    norm = name.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":"):
        return "is an absolute path"
    if ".." in norm.split("/"):
        return "escapes the archive (path traversal)"
    return None


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


def unpack_zip(label: str, data: bytes, limits: ArchiveLimits | None = None) -> Unpacked:
    """Entries of the zip `label` as (path, bytes); refusals and skips as Skipped.

    A refused archive yields no files and one Skipped entry for the archive itself.
    """
    limits = limits or ArchiveLimits()
    try:
        return _unpack(label, data, limits)
    except ArchiveRefused as exc:
        return Unpacked(skipped=[Skipped(label, f"archive refused: {exc}")])
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        return Unpacked(skipped=[Skipped(label, f"not a readable zip archive ({type(exc).__name__})")])
    except NotImplementedError:
        return Unpacked(skipped=[Skipped(label, "zip uses an unsupported compression method")])


def _unpack(label: str, data: bytes, limits: ArchiveLimits) -> Unpacked:
    out = Unpacked()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        if len(infos) > limits.max_files:
            raise ArchiveRefused(f"{len(infos)} entries, more than the limit of {limits.max_files}")
        # Vet every name before reading anything: one hostile entry refuses the whole upload.
        for info in infos:
            reason = _unsafe_path(info.filename)
            if reason:
                raise ArchiveRefused(f"entry {info.filename!r} {reason}")
            if _is_symlink(info):
                raise ArchiveRefused(f"entry {info.filename!r} is a symbolic link")
        total = 0
        seen: set[str] = set()
        for info in infos:
            if info.is_dir():
                continue
            path = posixpath.normpath(info.filename.replace("\\", "/"))
            shown = f"{label}/{path}"
            if path in seen:
                out.skipped.append(Skipped(shown, "duplicate entry in the archive (first one kept)"))
                continue
            seen.add(path)
            if info.flag_bits & 0x1:
                out.skipped.append(Skipped(shown, "encrypted entry (not unpacked)"))
                continue
            if is_archive_name(path):
                out.skipped.append(Skipped(shown, "nested archive (not unpacked; submit the files or one archive)"))
                continue
            per_file = min(limits.max_file_bytes, limits.max_bytes - total)
            if info.compress_size and info.file_size / max(info.compress_size, 1) > limits.max_ratio:
                raise ArchiveRefused(f"entry {path!r} compresses more than {limits.max_ratio}:1 (zip bomb guard)")
            content = _read_limited(zf, info, per_file)
            if content is None:
                if per_file < limits.max_file_bytes:
                    raise ArchiveRefused(f"inflates to more than {limits.max_bytes} bytes")
                out.skipped.append(Skipped(shown, f"larger than {limits.max_file_bytes} bytes when unpacked"))
                continue
            if content[:4] in ZIP_MAGIC:
                out.skipped.append(Skipped(shown, "nested archive (not unpacked; submit the files or one archive)"))
                continue
            total += len(content)
            out.files.append((path, content))
    return out
