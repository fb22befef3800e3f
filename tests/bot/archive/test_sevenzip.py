from __future__ import annotations

import tracemalloc

from bot.archive import ArchiveLimits, unpack
from tests.bot.archive.make import seven_zip_of, zip_of


def test_a_7z_unpacks_in_memory_with_folders_left_out() -> None:
    out = unpack("hw.7z", seven_zip_of({"src/a.py": "a = 1\n", "src/b.py": "b = 2\n", "empty.py": ""}))
    assert sorted(out.files) == [("empty.py", b""), ("src/a.py", b"a = 1\n"), ("src/b.py", b"b = 2\n")]
    assert out.skipped == []


def test_hostile_names_refuse_the_7z() -> None:
    for bad in ("../../etc/x.py", "/etc/x.py"):
        out = unpack("hw.7z", seven_zip_of({"ok.py": "x = 1\n", bad: "y = 2\n"}))
        assert out.files == [] and out.skipped[0].reason.startswith("archive refused: entry"), bad


def test_a_7z_bomb_is_refused_without_inflating_it() -> None:
    bomb = seven_zip_of({"a.py": "a = 1\n", "zeros.py": b"\0" * 100_000_000})
    assert len(bomb) < 100_000
    tracemalloc.start()
    try:
        out = unpack("bomb.7z", bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.files == [] and out.skipped[0].reason.startswith("archive refused: inflates to more than")
    assert peak < 40_000_000  # py7zr takes ~17 MB for any archive; inflated, the bomb would take 100 MB


def test_entry_limits_and_archives_inside_a_7z() -> None:
    limits = ArchiveLimits(max_bytes=100_000, max_file_bytes=30_000)
    out = unpack("hw.7z", seven_zip_of({"a.py": "a = 1\n", "data.py": "#" * 40_000, "lib.zip": zip_of({"x.py": "x"})}),
                 limits)  # fmt: skip
    assert sorted(out.files) == [("a.py", b"a = 1\n"), ("lib.zip/x.py", b"x")]
    assert {s.path: s.reason for s in out.skipped} == {"hw.7z/data.py": "larger than 30000 bytes when unpacked"}
    many = seven_zip_of({f"f{i}.py": "x\n" for i in range(11)})
    assert "more than the limit of 10" in unpack("m.7z", many, ArchiveLimits(max_files=10)).skipped[0].reason


def test_encrypted_and_broken_7z_are_reported() -> None:
    locked = unpack("hw.7z", seven_zip_of({"a.py": "a = 1\n"}, password="secret"))
    assert locked.files == [] and [s.reason for s in locked.skipped] == ["encrypted entry (not unpacked)"]
    hidden = unpack("hw.7z", seven_zip_of({"a.py": "a = 1\n"}, password="secret", hide_names=True))
    assert hidden.files == [] and [s.reason for s in hidden.skipped] == ["encrypted archive (not unpacked)"]
    broken = unpack("hw.7z", b"7z\xbc\xaf\x27\x1c\x00\x04 truncated")
    assert broken.files == [] and broken.skipped[0].reason.startswith("not a readable 7z archive")
