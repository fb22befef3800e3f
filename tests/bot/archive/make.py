"""Archives built in memory for tests, with what hostile uploads carry (links, devices, bombs)."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile

import py7zr


def _bytes(content: bytes | str) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def zip_of(entries: dict[str, bytes | str], *, symlink: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, _bytes(data))
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return buf.getvalue()


def tar_of(entries: dict[str, bytes | str], mode: str = "w:gz", *, special: dict[str, bytes] | None = None) -> bytes:
    """A tar; `special` maps names to tarfile types (SYMTYPE, LNKTYPE, CHRTYPE, FIFOTYPE...)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:  # type: ignore[call-overload]
        for name, content in entries.items():
            data = _bytes(content)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, kind in (special or {}).items():
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = "/etc/passwd"
            tf.addfile(info)
    return buf.getvalue()


def seven_zip_of(entries: dict[str, bytes | str], password: str | None = None, hide_names: bool = False) -> bytes:
    """A 7z; names py7zr would refuse to write (`../x`, `/x`) are written as given, as a hostile
    tool would."""
    buf = io.BytesIO()
    check = py7zr.py7zr.check_archive_path  # type: ignore[attr-defined]
    py7zr.py7zr.check_archive_path = lambda arcname: True  # type: ignore[attr-defined]
    try:
        with py7zr.SevenZipFile(buf, "w", password=password, header_encryption=hide_names) as archive:
            for name, content in entries.items():
                archive.writestr(_bytes(content), name)
    finally:
        py7zr.py7zr.check_archive_path = check  # type: ignore[attr-defined]
    return buf.getvalue()
