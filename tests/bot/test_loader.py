from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from bot.cli import UsageError
from bot.loader import Reading, load_base, load_submissions
from tests.bot.archive.make import seven_zip_of, tar_of, zip_of


def write(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


@pytest.fixture()
def klass(tmp_path: Path) -> Path:
    root = tmp_path / "class"
    write(root / "alice.py", "print('hi')\n")
    write(root / "bob" / "Main.java", "class Main {}\n")
    write(root / "bob" / "util" / "Helper.java", "class Helper {}\n")
    write(root / "bob" / "node_modules" / "x.js", "var x = 1;\n")
    write(root / "bob" / "notes.md", "# notes\n")
    write(root / "bob" / "logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    write(root / "carol.c", b"int main() { return 0; } // caf\xe9\n")  # Windows-1252, not UTF-8: still read
    write(root / "dave.py", "x = 1\n" * 50)
    write(root / "erin", b"")  # empty file without extension
    write(root / ".git" / "HEAD", "ref: refs/heads/main\n")
    write(root / "empty_dir" / "README.txt", "nothing\n")
    return root


def test_each_top_level_entry_is_one_submission(klass: Path) -> None:
    loaded = load_submissions([klass], how=Reading(max_bytes=200))
    names = [s.name for s in loaded.submissions]
    assert names == ["alice.py", "bob", "carol.c"]
    bob = loaded.submissions[1]
    assert loaded.submissions[2].files[0].text.endswith("// caf\u00e9\n")
    assert [f.path for f in bob.files] == ["Main.java", "util/Helper.java"]
    assert {f.language for f in bob.files} == {"java"}
    reasons = {s.path: s.reason for s in loaded.skipped}
    assert "binary" in reasons["bob/logo.png"]
    assert "vendored" in reasons["bob/node_modules"]
    assert "not a recognised" in reasons["bob/notes.md"]
    assert "carol.c" not in reasons
    assert "too large" in reasons["dave.py"]
    assert "vendored" in reasons[".git"]
    assert "no source-code files" in reasons["empty_dir"]
    assert "erin" in reasons  # empty / not code: listed, never silently dropped


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        load_submissions([tmp_path / "nope"])
    (tmp_path / "f.py").write_text("x = 1\n")
    with pytest.raises(UsageError, match="not a directory"):
        load_submissions([tmp_path / "f.py"])
    (tmp_path / "all.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    with pytest.raises(UsageError, match="a zip, not a folder: unzip it"):
        load_submissions([tmp_path / "all.zip"])


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_folder(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        with pytest.raises(UsageError, match="cannot read"):
            load_submissions([locked])
    finally:
        locked.chmod(0o755)


def test_names_stay_unique_across_dirs(tmp_path: Path) -> None:
    write(tmp_path / "one" / "a.py", "x = 1\n")
    write(tmp_path / "two" / "a.py", "y = 2\n")
    loaded = load_submissions([tmp_path / "one", tmp_path / "two"])
    assert [s.name for s in loaded.submissions] == ["a.py", "two/a.py"]


def test_base_code_folder_and_file(tmp_path: Path) -> None:
    write(tmp_path / "starter" / "a.py", "x = 1\n")
    write(tmp_path / "starter" / "sub" / "b.py", "y = 2\n")
    base = load_base(tmp_path / "starter")
    assert len(base.submissions) == 1 and len(base.submissions[0].files) == 2
    single = load_base(tmp_path / "starter" / "a.py")
    assert single.submissions[0].files[0].language == "python"
    with pytest.raises(UsageError):
        load_base(tmp_path / "missing")


def test_a_notebook_is_one_python_file_of_its_code_cells(tmp_path: Path) -> None:
    root = tmp_path / "class"
    cells = [{"cell_type": "code", "source": "import math\n", "outputs": [{"text": "x" * 5000}]},
             {"cell_type": "markdown", "source": "Answer: " + "y" * 300}]  # fmt: skip
    write(root / "alice" / "lab.ipynb", json.dumps({"nbformat": 4, "metadata": {}, "cells": cells}))
    write(root / "bob.ipynb", json.dumps({"nbformat": 4, "metadata": {}, "cells": [
        {"cell_type": "code", "source": "x = 1\n" * 50, "outputs": []}]}))  # fmt: skip
    loaded = load_submissions([root], how=Reading(max_bytes=200))  # alice's file is over it by outputs and prose only
    assert [(s.name, [(f.path, f.language, f.text) for f in s.files]) for s in loaded.submissions] == [
        ("alice", [("lab.ipynb", "python", "import math\n")])]
    assert [(s.path, s.reason) for s in loaded.skipped] == [("bob.ipynb", "too large: 300 bytes (limit 200)")]


def test_archives_are_read_as_students_upload_them(tmp_path: Path) -> None:
    """An archive at the top is one submission, one inside a folder adds its code to that folder's;
    what is inside follows a folder's rules, and a hostile or broken archive is reported, never
    unpacked to disk. Zip, tar.gz and 7z alike."""
    root = tmp_path / "class"
    write(root / "alice.zip", zip_of({"hw/src/Main.java": "class Main {}\n", "hw/bin/Main.class": b"\xca\xfe\xba\xbe",
                                      "hw/bin/Util.class": b"\xca\xfe", "__MACOSX/hw/._Main.java": b"\x00\x05",
                                      "hw/.DS_Store": b"\x00", "hw/notes.txt": "todo\n"}))  # fmt: skip
    write(root / "bob" / "main.py", "print(1)\n")
    write(root / "bob" / "extra.zip", zip_of({"util.py": "x = 1\n"}))
    write(root / "carol.zip", b"PK\x03\x04 truncated")
    write(root / "dave.zip", zip_of({"../../etc/x.py": "x = 1\n"}))
    write(root / "erin" / "hw.tar.gz", b"\x1f\x8b\x08\x00")
    write(root / "frank.tar.gz", tar_of({"hw/app.py": "y = 2\n", "hw/bin/app.pyc": b"\x00\x01"}, "w:gz"))
    write(root / "gina" / "work.7z", seven_zip_of({"Main.java": "class Main {}\n"}))
    write(root / "henry.rar", b"Rar!\x1a\x07\x01\x00")
    loaded = load_submissions([root])
    assert [(s.name, [f.path for f in s.files]) for s in loaded.submissions] == [
        ("alice.zip", ["hw/src/Main.java"]), ("bob", ["extra.zip/util.py", "main.py"]),
        ("frank.tar.gz", ["hw/app.py"]), ("gina", ["work.7z/Main.java"])]  # fmt: skip
    reasons = {s.path: s.reason for s in loaded.skipped}
    assert reasons["alice.zip/hw/bin"] == "vendored or tool folder"  # once for the folder, not per .class
    assert reasons["alice.zip/__MACOSX"] == "vendored or tool folder"
    assert reasons["alice.zip/hw/notes.txt"] == "not a recognised code file"
    assert "not a readable zip" in reasons["carol.zip"]
    assert "path traversal" in reasons["dave.zip"]
    assert reasons["erin/hw.tar.gz"] == "not a readable gzip archive (EOFError)"
    assert reasons["erin"] == "no source-code files"
    assert reasons["frank.tar.gz/hw/bin"] == "vendored or tool folder"
    assert reasons["henry.rar"].startswith("RAR archive not opened")
    assert len(loaded.skipped) == 9 and not list(tmp_path.glob("**/etc"))


def test_base_code_can_be_the_starter_zip(tmp_path: Path) -> None:
    write(tmp_path / "starter.zip", zip_of({"starter/grades.py": "def mean(xs):\n    pass\n", "starter/README.md": "hi"}))
    base = load_base(tmp_path / "starter.zip")
    assert [(s.name, [f.path for f in s.files]) for s in base.submissions] == [("starter.zip", ["starter/grades.py"])]
    write(tmp_path / "empty.zip", zip_of({"README.md": "hi"}))
    with pytest.raises(UsageError, match="cannot use as base code: not a recognised code file"):
        load_base(tmp_path / "empty.zip")


MOODLE_FLAT = re.compile(r"^(.+?_[0-9]+)_assignsubmission_[a-z]+_")


def test_group_joins_a_flat_lms_download_into_one_submission_per_student(tmp_path: Path) -> None:
    root = tmp_path / "flat"
    write(root / "Jane Doe_101_assignsubmission_file_main.py", "import util\n")
    write(root / "Jane Doe_101_assignsubmission_file_util.py", "x = 1\n")
    write(root / "Jane Doe_101_assignsubmission_file_extra.zip", zip_of({"src/more.py": "y = 2\n"}))
    write(root / "Li Wei_102_assignsubmission_file_" / "main.py", "print(2)\n")  # Moodle's folder layout
    write(root / "Sam Roe_103_assignsubmission_file_notes.txt", "no code\n")
    write(root / "teacher_notes.py", "z = 3\n")  # not matched: a submission of its own
    loaded = load_submissions([root], group=MOODLE_FLAT)
    assert [(s.name, [f.path for f in s.files]) for s in loaded.submissions] == [
        ("Jane Doe_101", ["extra.zip/src/more.py", "main.py", "util.py"]),
        ("Li Wei_102", ["main.py"]),
        ("teacher_notes.py", ["teacher_notes.py"]),
    ]
    assert {(s.path, s.reason) for s in loaded.skipped} == {("Sam Roe_103/notes.txt", "not a recognised code file")}
    again = load_submissions([root, root], group=MOODLE_FLAT)  # a second DIR never merges into the first
    assert [s.name for s in again.submissions][3:] == ["flat/Jane Doe_101", "flat/Li Wei_102", "flat/teacher_notes.py"]
    ungrouped = load_submissions([root])
    assert len(ungrouped.submissions) == 5  # without --group every top-level entry is one submission


def test_txt_files_are_code_only_when_asked_and_when_they_parse(tmp_path: Path) -> None:
    """Courses that ask for code as .txt (a browser previews it): --text-as reads it, while the
    notes, READMEs and requirements handed in beside it stay skipped, each with its reason."""
    root = tmp_path / "class"
    write(root / "ann" / "lab1.txt", "def mean(xs):\n    return sum(xs) / len(xs)\n\nprint(mean([1, 2]))\n")
    write(root / "ann" / "answers.txt", "Question 1: the loop runs n times, so the cost is linear.\n"
                                        "Question 2: I would use a dictionary because lookups are fast.\n")  # fmt: skip
    write(root / "ann" / "requirements.txt", "numpy>=1.26\n")
    write(root / "ann" / "README.txt", "run with python lab1.txt\n")
    plain = load_submissions([root])
    assert plain.submissions == [] and {s.path for s in plain.skipped} >= {"ann/lab1.txt", "ann/answers.txt"}
    asked = load_submissions([root], how=Reading(text_as="Python"))
    assert [(s.name, [(f.path, f.language) for f in s.files]) for s in asked.submissions] == [
        ("ann", [("lab1.txt", "python")])]
    reasons = {s.path: s.reason for s in asked.skipped}
    assert reasons["ann/answers.txt"].startswith("a .txt that does not read as python (not valid python:")
    assert reasons["ann/requirements.txt"] == reasons["ann/README.txt"] == "not a recognised code file"


def test_compiled_files_beside_sources_are_named_once(tmp_path: Path) -> None:
    """A student who ran javac in place: the classes are one line of the report, not one each."""
    root = tmp_path / "class"
    write(root / "ann" / "src" / "Main.java", "class Main {}\n")
    for name in ("Main", "Util", "Node"):
        write(root / "ann" / "src" / f"{name}.class", b"\xca\xfe\xba\xbe")
    write(root / "ann" / "web" / "app.min.js", "var a=1;")
    loaded = load_submissions([root])
    assert [(s.name, [f.path for f in s.files]) for s in loaded.submissions] == [("ann", ["src/Main.java"])]
    assert [(s.path, s.reason) for s in loaded.skipped] == [
        ("ann/src/*.class", "compiled output (3 files)"), ("ann/web/app.min.js", "minified bundle (vendored)")]
