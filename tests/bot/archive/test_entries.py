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


def test_damaged_archives_of_every_format_are_reported_never_raised() -> None:
    """A byte changed or the tail cut at random (seeded): unpack returns, and every skip names its
    place in the archive. (A scratch run of 6,600 such archives, insertions too, raised nothing.)"""
    import random

    entries: dict[str, bytes | str] = {"src/a.py": "a = 1\n" * 50, "lib.zip": zip_of({"x.py": "x = 1\n"})}
    seeds = {"z.zip": zip_of(entries), "t.tar": tar_of(entries, "w"), "t.tgz": tar_of(entries, "w:gz"),
             "t.tar.bz2": tar_of(entries, "w:bz2"), "t.tar.xz": tar_of(entries, "w:xz"),
             "s.7z": seven_zip_of(entries), "f.py.gz": gzip.compress(b"x = 1\n" * 100)}  # fmt: skip
    rng = random.Random(7)
    for name, data in seeds.items():
        for _ in range(150):
            damaged = bytearray(data)
            at = rng.randrange(len(damaged))
            if rng.random() < 0.3:
                del damaged[at:]
            else:
                damaged[at] = rng.randrange(256)
            out = unpack(name, bytes(damaged))  # raising here would fail a whole LMS job or scan
            assert all(s.path.startswith(name) and s.reason for s in out.skipped), name
