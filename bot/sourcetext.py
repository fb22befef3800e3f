"""A submitted file's bytes -> its text, the same way however the code arrived.

Folders on disk (`codeguard scan`, `codeguard detect`), pull/merge requests and LMS uploads
all end here, so a file is read, or skipped, for the same reason in every report.

Why the fallbacks: students write code in Windows editors. UTF-8 with a byte-order mark,
Windows-1252 (an accented letter in a comment or a string) and UTF-16 with a byte-order
mark (Notepad, a PowerShell redirect) are all common in a class. Skipping such a file
would drop a student's work from every comparison because of one byte in a comment, so
text that is not UTF-8 is read as Windows-1252, and failing that as Latin-1 (which reads
any bytes). Only files with NUL bytes (and no UTF-16 mark) count as binary.

Jupyter notebooks are read as the Python of their code cells (bot/notebook.py).

Pure functions of bytes: nothing here is executed, logged or stored.
"""

from __future__ import annotations

import codecs

from bot.notebook import is_notebook, notebook_code
from ml.languages import TEXT_EXTENSION

# How far into a file to look for NUL bytes (as git does): enough for any source file's start.
SNIFF_BYTES = 8192
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Tried in order after UTF-8; Latin-1 maps every byte, so the last one always succeeds.
_FALLBACKS = ("cp1252", "latin-1")
# Skip reasons every way of reading code shares, so reports use the same words.
BINARY = "binary file"
EMPTY = "empty file"
NOT_CODE = "not a recognised code file"
SYMLINK = "symbolic link (not followed)"


def _decode(data: bytes) -> str | None:
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in data[:SNIFF_BYTES]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    for encoding in _FALLBACKS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None  # pragma: no cover - Latin-1 decodes every byte string


def decode_source(data: bytes, path: str = "", max_bytes: int | None = None) -> tuple[str | None, str | None]:
    """(text, None), or (None, why it is skipped: BINARY, EMPTY, or a notebook's reason).

    `path` tells a notebook apart; `max_bytes` then bounds the code read from it."""
    text = _decode(data)
    if text is None:
        return None, BINARY
    if is_notebook(path):
        text, reason = notebook_code(text)
        if text is None:
            return None, reason
        if max_bytes is not None and (reason := too_large(len(text.encode("utf-8")), max_bytes)):
            return None, reason
    if not text.strip():
        return None, EMPTY
    return text, None


def too_large(size: int, limit: int) -> str | None:
    """The skip reason for a file of `size` bytes over `limit`, else None."""
    return f"too large: {size} bytes (limit {limit})" if size > limit else None


# A .txt read as code must parse nearly cleanly. Measured with `python -m benchmarks.text_files`
# (docs/BENCHMARKS.md, "Text files read as code"): at 0.2 no aigen dev file is refused, and 113
# of 1,857 Rosetta Python texts are (106 of them `>>>` sessions); of 87 prose files, 2 read as
# Python and none as Java, C or C++. At 0.1 Rosetta loses 211 for one prose file less.
TEXT_MAX_ERROR_SHARE = 0.2


def text_as_code(path: str, text: str, language: str) -> str | None:
    """Why a `.txt` given a language (a course's `text_as`) is not read as code, or None.

    Other files are code by their name and pass; a .txt passes only when it parses as that
    language, so the notes or answers to questions that students also hand in as .txt are
    skipped and named, not compared as code."""
    if not path.lower().endswith(TEXT_EXTENSION):
        return None
    from ml.tokens import TokenizeError, tokenize  # here: every reader of bytes imports this module

    try:
        tokenize(text, language, max_error_share=TEXT_MAX_ERROR_SHARE)
    except TokenizeError as exc:
        return f"a .txt that does not read as {language} ({exc})"
    return None
