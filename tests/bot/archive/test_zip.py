from __future__ import annotations

from bot.archive import ArchiveLimits, unpack
from tests.bot.archive.make import zip_of as make_zip


def test_plain_archive_is_unpacked_in_memory_with_normalised_paths() -> None:
    out = unpack("hw.zip", make_zip({"src/a.py": b"a = 1\n", "./src/b.py": b"b = 2\n", "docs/": b""}))
    assert sorted(out.files) == [("src/a.py", b"a = 1\n"), ("src/b.py", b"b = 2\n")]
    assert out.skipped == []


def test_traversal_absolute_and_backslash_paths_refuse_the_whole_archive() -> None:
    for bad in ("../../etc/cron.d/x.py", "/etc/x.py", "src/../../x.py", "..\\..\\x.py", "C:\\x.py"):
        out = unpack("hw.zip", make_zip({"ok.py": b"x = 1\n", bad: b"y = 2\n"}))
        assert out.files == [], bad
        [skip] = out.skipped
        assert skip.path == "hw.zip" and skip.reason.startswith("archive refused:"), skip
        assert ("path traversal" in skip.reason) or ("absolute path" in skip.reason)


def test_symlink_entry_refuses_the_archive() -> None:
    out = unpack("hw.zip", make_zip({"ok.py": b"x = 1\n"}, symlink="link.py"))
    assert out.files == [] and "symbolic link" in out.skipped[0].reason


def test_archives_inside_are_opened_two_levels_down_and_deeper_ones_named() -> None:
    inner = make_zip({"x.py": b"x = 1\n"})
    out = unpack("hw.zip", make_zip({"a.py": b"a = 1\n", "libs.zip": inner, "disguised.py": inner,
                                     "more.tar.gz": b"\x1f\x8b"}))  # fmt: skip
    assert out.files == [("a.py", b"a = 1\n"), ("libs.zip/x.py", b"x = 1\n"), ("disguised.py/x.py", b"x = 1\n")]
    assert [(s.path, s.reason) for s in out.skipped] == [("hw.zip/more.tar.gz", "not a readable gzip archive (EOFError)")]
    three = make_zip({"l1.zip": make_zip({"l2.zip": make_zip({"l3.zip": inner, "deep.py": b"d = 1\n"})})})
    out = unpack("hw.zip", three)
    assert out.files == [("l1.zip/l2.zip/deep.py", b"d = 1\n")]
    assert [(s.path, s.reason) for s in out.skipped] == [
        ("hw.zip/l1.zip/l2.zip/l3.zip", "nested archive more than 2 levels deep (not unpacked)")]


def test_archives_inside_share_the_uploads_limits() -> None:
    inner = make_zip({f"f{i}.py": bytes([65 + i]) * 30_000 for i in range(3)})  # 90 KB inflated
    limits = ArchiveLimits(max_bytes=100_000, max_file_bytes=50_000, max_ratio=10_000)
    out = unpack("hw.zip", make_zip({"a.py": b"#" * 20_000, "inner.zip": inner}), limits)
    assert out.files == [("a.py", b"#" * 20_000)]  # the outer archive stands; the inner one went over what was left
    assert out.skipped[0].path == "hw.zip/inner.zip" and "inflates to more than 80000 bytes" in out.skipped[0].reason
    many = make_zip({"a.py": b"a\n", "b.py": b"b\n", "inner.zip": make_zip({f"f{i}.py": b"x\n" for i in range(8)})})
    counted = unpack("m.zip", many, ArchiveLimits(max_files=10))
    assert "more than the limit of 7" in counted.skipped[0].reason  # 10 minus the 3 entries before it


def test_file_count_total_size_and_bomb_limits() -> None:
    many = make_zip({f"f{i}.py": b"x = 1\n" for i in range(11)})
    assert "more than the limit of 10" in unpack("a.zip", many, ArchiveLimits(max_files=10)).skipped[0].reason

    big = make_zip({f"f{i}.py": bytes([65 + i]) * 40_000 for i in range(5)})
    limits = ArchiveLimits(max_bytes=100_000, max_file_bytes=50_000, max_ratio=10_000)
    refused = unpack("b.zip", big, limits)
    assert refused.files == [] and "inflates to more than 100000 bytes" in refused.skipped[0].reason

    one_big = make_zip({"small.py": b"s = 1\n", "huge.py": b"#" * 60_000})
    out = unpack("c.zip", one_big, ArchiveLimits(max_file_bytes=50_000, max_ratio=10_000))
    assert out.files == [("small.py", b"s = 1\n")]
    assert out.skipped[0].path == "c.zip/huge.py" and "larger than 50000" in out.skipped[0].reason

    bomb = make_zip({"zeros.py": b"\0" * 5_000_000})
    assert "zip bomb" in unpack("d.zip", bomb).skipped[0].reason


def test_not_a_zip_is_reported_not_raised() -> None:
    out = unpack("e.zip", b"PK\x03\x04 this is not really a zip")
    assert out.files == [] and "not a readable zip archive" in out.skipped[0].reason
