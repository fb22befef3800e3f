from __future__ import annotations

import bz2
import gzip
import lzma
import tarfile
import tracemalloc

import pytest

from bot.archive import ArchiveLimits, unpack
from bot.archive.entries import ArchiveRefused
from bot.archive.tar import inflate
from tests.bot.archive.make import tar_of, zip_of


@pytest.mark.parametrize(("name", "mode"), [("hw.tar", "w"), ("hw.tar.gz", "w:gz"), ("hw.tgz", "w:gz"),
                                            ("hw.tar.bz2", "w:bz2"), ("hw.tar.xz", "w:xz")])  # fmt: skip
def test_every_tar_form_unpacks_in_memory_with_normalised_paths(name: str, mode: str) -> None:
    data = tar_of({"src/a.py": "a = 1\n", "./src/b.py": "b = 2\n"}, mode)
    out = unpack(name, data)
    assert out.files == [("src/a.py", b"a = 1\n"), ("src/b.py", b"b = 2\n")]
    assert out.skipped == []
    assert unpack("renamed.bin", data).files == out.files  # the bytes say what it is


@pytest.mark.parametrize("special", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.FIFOTYPE])
def test_links_and_special_files_refuse_the_whole_tar(special: bytes) -> None:
    out = unpack("hw.tar.gz", tar_of({"ok.py": "x = 1\n"}, special={"dev.py": special}))
    assert out.files == []
    [skip] = out.skipped
    assert skip.path == "hw.tar.gz" and skip.reason.startswith("archive refused: entry 'dev.py' is a")


@pytest.mark.parametrize("bad", ["../../etc/cron.d/x.py", "/etc/x.py", "src/../../x.py"])
def test_traversal_and_absolute_names_refuse_the_tar(bad: str) -> None:
    out = unpack("hw.tar", tar_of({"ok.py": "x = 1\n", bad: "y = 2\n"}, "w"))
    assert out.files == [] and out.skipped[0].reason.startswith("archive refused: entry")


def test_a_compressed_bomb_is_refused_after_inflating_no_more_than_the_limit() -> None:
    bomb = gzip.compress(b"\0" * 50_000_000)  # 50 MB of zeros in about 50 KB
    limit = 1_000_000
    with pytest.raises(ArchiveRefused, match=f"more than {limit} bytes"):
        inflate("gzip", bomb, limit)
    for kind, packed in (("bzip2", bz2.compress(b"\0" * 5_000_000)), ("xz", lzma.compress(b"\0" * 5_000_000))):
        with pytest.raises(ArchiveRefused):
            inflate(kind, packed, limit)
    tracemalloc.start()
    try:
        out = unpack("bomb.tar.gz", bomb, ArchiveLimits(max_bytes=limit))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.files == [] and "inflates to more than" in out.skipped[0].reason
    assert peak < 5 * limit  # inflated in steps, stopped just past the limit: not 50 MB


def test_inflate_reads_concatenated_members_and_rejects_a_truncated_stream() -> None:
    assert inflate("gzip", gzip.compress(b"ab") + gzip.compress(b"cd"), 10) == b"abcd"
    assert inflate("bzip2", bz2.compress(b"ab") + bz2.compress(b"cd"), 10) == b"abcd"
    with pytest.raises(EOFError):
        inflate("gzip", gzip.compress(b"x" * 1000)[:-20], 10_000)
    assert unpack("hw.tar.gz", b"\x1f\x8b\x08\x00").skipped[0].reason == "not a readable gzip archive (EOFError)"


def test_entry_limits_every_byte_counts_and_archives_inside_are_opened() -> None:
    limits = ArchiveLimits(max_bytes=100_000, max_file_bytes=30_000)
    out = unpack("hw.tar.gz", tar_of({"a.py": "a = 1\n", "data.py": "#" * 40_000, "lib.zip": zip_of({"x.py": "x"}),
                                      "./a.py": "dup\n"}), limits)  # fmt: skip
    assert out.files == [("a.py", b"a = 1\n"), ("lib.zip/x.py", b"x")]
    reasons = {s.path: s.reason for s in out.skipped}
    assert reasons == {"hw.tar.gz/data.py": "larger than 30000 bytes when unpacked",
                       "hw.tar.gz/a.py": "duplicate entry in the archive (first one kept)"}  # fmt: skip
    many = tar_of({f"f{i}.py": "x\n" for i in range(11)})
    assert "more than the limit of 10" in unpack("m.tgz", many, ArchiveLimits(max_files=10)).skipped[0].reason
    big = tar_of({f"f{i}.py": "#" * 30_000 for i in range(5)})  # 150 KB in all, each under the file limit
    assert "inflates to more than" in unpack("b.tgz", big, limits).skipped[0].reason


def test_one_compressed_file_is_read_under_its_own_name() -> None:
    assert unpack("main.py.gz", gzip.compress(b"print(1)\n")).files == [("main.py", b"print(1)\n")]
    assert unpack("Main.java.xz", lzma.compress(b"class Main {}\n")).files == [("Main.java", b"class Main {}\n")]
    broken = unpack("hw.tgz", gzip.compress(b"not a tar"))
    assert broken.files == [] and broken.skipped[0].reason.startswith("not a readable gzip archive")
