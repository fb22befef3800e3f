"""Archives in submissions (.zip, .tar and its compressed forms, .7z), opened in memory and
never extracted to disk.

Students upload archives; an archive is also the classic way to smuggle a path (`../../x`,
`/etc/x`), a link, or a bomb (a few KB that inflate to GBs) into a server. Nothing here writes
a file, so a hostile entry cannot land anywhere, but such an archive is still refused as a
whole and reported: it is not a normal student upload, and the instructor should see it.
Limits are enforced on the bytes actually inflated, not on the sizes the archive declares
(those are attacker-controlled).

Everything not unpacked is reported as `Skipped`; the archive's own name prefixes the paths of
its entries (`hw1.zip/src/main.py`). One module per format (zip.py, tar.py, sevenzip.py); the
rules every entry passes are in entries.py.
"""

from __future__ import annotations

import lzma
import tarfile
import zipfile
import zlib

from bot.archive.entries import (
    RAR,
    ArchiveLimits,
    ArchiveRefused,
    ArchiveUnreadable,
    Collector,
    Unpacked,
    archive_kind,
)
from bot.archive.sevenzip import read_7z
from bot.archive.tar import COMPRESSED, read_tar
from bot.archive.zip import read_zip
from ml.submission import Skipped

__all__ = ["ArchiveLimits", "ArchiveRefused", "Unpacked", "archive_kind", "is_archive_name", "unpack"]


def is_archive_name(name: str) -> bool:
    return archive_kind(name) is not None


def unpack(label: str, data: bytes, limits: ArchiveLimits | None = None, depth: int = 0) -> Unpacked:
    """Entries of the archive `label` as (path, bytes), archives inside it opened down to
    MAX_DEPTH (paths `inner.zip/src/a.py`); refusals and skips as Skipped.

    A refused or unreadable archive yields no files and one Skipped entry for the archive itself.
    """
    limits = limits or ArchiveLimits()
    kind = archive_kind(label, data)
    collector = Collector(label, limits, depth, open_nested=unpack)
    try:
        if kind == "zip":
            read_zip(collector, data, limits)
        elif kind == "tar" or kind in COMPRESSED:
            read_tar(collector, kind or "", data, limits)
        elif kind == "7z":
            read_7z(collector, data, limits)
        elif kind == "rar":
            return _refused(label, RAR)
        else:
            return _refused(label, "not a recognised archive")
    except ArchiveRefused as exc:
        return _refused(label, f"archive refused: {exc}")
    except ArchiveUnreadable as exc:
        return _refused(label, str(exc))
    except NotImplementedError:
        return _refused(label, f"{kind} archive uses an unsupported compression method")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, tarfile.TarError, zlib.error, lzma.LZMAError,
            OSError, EOFError, ValueError, KeyError) as exc:  # fmt: skip
        return _refused(label, f"not a readable {kind} archive ({type(exc).__name__})")
    return collector.out


def _refused(label: str, reason: str) -> Unpacked:
    return Unpacked(skipped=[Skipped(label, reason)])
