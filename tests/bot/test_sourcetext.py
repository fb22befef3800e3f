"""Bytes -> text for every way code arrives: what students' editors write is read, not skipped."""

from __future__ import annotations

import codecs

import pytest

from bot.sourcetext import BINARY, EMPTY, decode_source, too_large


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"x = 1\n", "x = 1\n"),
        (codecs.BOM_UTF8 + b"x = 1\n", "x = 1\n"),  # UTF-8 with a byte-order mark: the mark is not code
        ("s = 'caf\u00e9'  # \u201cquoted\u201d\n".encode("cp1252"), "s = 'caf\u00e9'  # \u201cquoted\u201d\n"),
        ("int x; // na\u00efve\r\n".encode("utf-16"), "int x; // na\u00efve\r\n"),  # Notepad's "Unicode"
        (codecs.BOM_UTF16_BE + "x = 1  # \u00e9\n".encode("utf-16-be"), "x = 1  # \u00e9\n"),
        (b"y = '\x81\x8d'\n", "y = '\x81\x8d'\n"),  # bytes Windows-1252 leaves undefined: Latin-1 reads them
    ],
)
def test_text_from_any_editor_is_read(data: bytes, text: str) -> None:
    assert decode_source(data) == (text, None)


def test_binary_and_empty_files_are_skipped_with_a_reason() -> None:
    assert decode_source(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR") == (None, BINARY)
    assert decode_source(b"\xff\xd8\xff\xe0\x00\x10JFIF") == (None, BINARY)  # not a UTF-16 mark: JPEG
    assert decode_source(b" \n\t\n") == (None, EMPTY)
    assert decode_source(b"") == (None, EMPTY)


def test_too_large() -> None:
    assert too_large(10, 10) is None
    assert too_large(11, 10) == "too large: 11 bytes (limit 10)"
