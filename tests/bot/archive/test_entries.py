from __future__ import annotations

import bz2
import gzip
import lzma

import pytest

from bot.archive import archive_kind, unpack
from tests.bot.archive.make import seven_zip_of, tar_of, zip_of


def test_archive_kind_trusts_the_bytes_before_the_name() -> None:
    assert archive_kind("notes.txt", zip_of({"a.py": "a"})) == "zip"
    assert archive_kind("x", tar_of({"a.py": "a"}, "w")) == "tar"
    assert archive_kind("x", gzip.compress(b"a")) == "gzip"
    assert archive_kind("x", bz2.compress(b"a")) == "bzip2"
    assert archive_kind("x", lzma.compress(b"a")) == "xz"
    assert archive_kind("x", seven_zip_of({"a.py": "a"})) == "7z"
    assert archive_kind("x", b"Rar!\x1a\x07\x00") == "rar"
    assert archive_kind("Main.JAR") == "zip" and archive_kind("hw.TGZ") == "gzip"


@pytest.mark.parametrize("text", [b"BZh is how this comment starts\n", b"print('ustar')\n" * 40, b"#!/bin/sh\n"])
def test_code_that_only_looks_like_a_header_is_not_an_archive(text: bytes) -> None:
    assert archive_kind("main.py", text) is None


def test_rar_and_unknown_archives_are_named_not_opened() -> None:
    assert unpack("hw.rar", b"Rar!\x1a\x07\x01\x00").skipped[0].reason.startswith("RAR archive not opened")
    assert unpack("hw.bin", b"hello").skipped[0].reason == "not a recognised archive"
