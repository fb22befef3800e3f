"""The `codeguard scan` contract of DESIGN.md, through the real console script and through main()."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.commands.scan import LMS_LAYOUTS

ORIGINAL = """\
import java.util.*;

public class Main {
    static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        int n = in.nextInt();
        int g = 0;
        for (int i = 0; i < n; i++) {
            g = gcd(g, in.nextInt());
        }
        System.out.println("gcd = " + g);
    }
}
"""

DISGUISED = (
    ORIGINAL.replace("gcd", "divisor").replace("int t", "int tmp").replace("= t;", "= tmp;")
    .replace("in.", "sc.").replace("Scanner in", "Scanner sc").replace("\"gcd = \"", "\"result: \"")
    .replace("    ", "  ")
)  # fmt: skip

DIFFERENT = """\
def fizzbuzz(limit):
    out = []
    for number in range(1, limit + 1):
        word = ""
        if number % 3 == 0:
            word += "Fizz"
        if number % 5 == 0:
            word += "Buzz"
        out.append(word or str(number))
    return out


if __name__ == "__main__":
    print("\\n".join(fizzbuzz(100)))
"""


@pytest.fixture(autouse=True)
def structural_only(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests pin the structural contract: point the default model at an empty folder so a
    shipped model never slows them down (tests/bot/test_analysis.py covers the model stage)."""
    monkeypatch.setenv("CODEGUARD_MODEL_DIR", str(tmp_path_factory.mktemp("no-model")))


@pytest.fixture()
def klass(tmp_path: Path) -> Path:
    root = tmp_path / "class"
    (root / "bob").mkdir(parents=True)
    (root / "alice.java").write_text(ORIGINAL)
    (root / "bob" / "Main.java").write_text(DISGUISED)
    (root / "carol.py").write_text(DIFFERENT)
    (root / "photo.java").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    (root / "latin.py").write_bytes(b"x = 'caf\xe9'\n")
    (root / "essay.java").write_text("Dear grader, I did not manage to finish this one, sorry about that.\n")
    (root / "huge.py").write_text("x = 1\n" * 2000)
    return root


def _codeguard() -> list[str]:
    script = shutil.which("codeguard", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "bot"]


def check_contract(data: dict) -> None:  # type: ignore[type-arg]
    assert {"files", "pairs", "skipped"} <= set(data)
    for f in data["files"]:
        assert {"path", "language", "ai_score", "risk_level"} <= set(f)
    for p in data["pairs"]:
        assert {"a", "b", "similarity", "structural", "semantic", "fragments"} <= set(p)
        assert 0.0 <= p["similarity"] <= 1.0 and 0.0 <= p["structural"] <= 1.0
        assert p["semantic"] is None or 0.0 <= p["semantic"] <= 1.0
        for frag in p["fragments"]:
            assert len(frag["a_lines"]) == 2 and len(frag["b_lines"]) == 2
            assert 1 <= frag["a_lines"][0] <= frag["a_lines"][1]
    for s in data["skipped"]:
        assert {"path", "reason"} <= set(s) and s["reason"]


def test_json_contract_via_console_script(klass: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    proc = subprocess.run(
        [*_codeguard(), "scan", str(klass), "--format", "json", "--out", str(out), "--min-similarity", "0",
         "--max-file-size", "5000"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    check_contract(data)
    names = {(p["a"], p["b"]) for p in data["pairs"]}
    subs = ["alice.java", "bob", "carol.py", "latin.py"]
    assert names == {(a, b) for i, a in enumerate(subs) for b in subs[i + 1 :]}, "every pair at 0"
    top = data["pairs"][0]
    assert (top["a"], top["b"]) == ("alice.java", "bob")
    assert top["similarity"] > 0.9
    assert top["fragments"][0]["a_lines"][0] <= 5 and top["fragments"][0]["a_lines"][1] >= 18
    floor = data["settings"]["fragments_from"]
    assert all(p["fragments"] == [] for p in data["pairs"] if p["similarity"] < floor), "documented gating"
    assert {f["path"] for f in data["files"]} == {"alice.java", "bob/Main.java", "carol.py", "latin.py"}
    skipped = {s["path"]: s["reason"] for s in data["skipped"]}
    assert "binary" in skipped["photo.java"]
    assert "latin.py" not in skipped, "Windows-1252 text is read, not skipped"
    assert "unparsable" in skipped["essay.java"]
    assert "too large" in skipped["huge.py"]


def test_via_main_and_thresholds(klass: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(klass), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    check_contract(data)
    assert [(p["a"], p["b"]) for p in data["pairs"]] == [("alice.java", "bob")], "default hides unrelated pairs"
    assert main(["scan", str(klass), "--format", "json", "--fail-over", "0.8"]) == 1
    capsys.readouterr()
    # fail-over sees a pair even when it is below --min-similarity for display
    (klass / "bob" / "Main.java").write_text(DISGUISED.replace("g = divisor(g, sc.nextInt());", "g += sc.nextInt();"))
    assert main(["scan", str(klass), "--format", "json", "--fail-over", "0.5", "--min-similarity", "1"]) == 1
    assert json.loads(capsys.readouterr().out)["pairs"] == []
    assert main(["scan", str(klass), "--format", "json", "--fail-over", "0.99"]) == 0


def test_text_output_ranks_pairs(klass: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(klass)]) == 0
    out = capsys.readouterr().out
    assert "alice.java" in out and "bob" in out and "Skipped" in out


def test_text_output_shows_names_with_brackets_as_they_are(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "[red]alice.java").write_text(ORIGINAL)
    (tmp_path / "bob[x].java").write_text(DISGUISED)
    assert main(["scan", str(tmp_path), "--no-model"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("│ 1 "))
    assert "[red]alice.java" in row and "bob[x].java" in row  # not read as rich markup


def test_base_code_option(tmp_path: Path, klass: Path, capsys: pytest.CaptureFixture[str]) -> None:
    starter = tmp_path / "starter"
    starter.mkdir()
    (starter / "Main.java").write_text(ORIGINAL)
    assert main(["scan", str(klass), "--format", "json", "--base-code", str(starter)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["pairs"] == [], "a copy of the starter code is not plagiarism"


def test_missing_path_exits_2_with_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [*_codeguard(), "scan", str(tmp_path / "missing")], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "no such file or directory" in lines[0]


def test_bad_option_values_exit_2(klass: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["scan", str(klass), "--min-similarity", "1.5"])
    assert exc.value.code == 2


def test_group_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "Jane Doe_1_assignsubmission_file_A.java").write_text(ORIGINAL)
    (flat / "Jane Doe_1_assignsubmission_file_notes.py").write_text(DIFFERENT)
    (flat / "Li Wei_2_assignsubmission_file_B.java").write_text(DISGUISED)
    assert main(["scan", str(flat), "--format", "json"]) == 0  # without --group: 3 submissions, and a note
    out, err = capsys.readouterr()
    assert len({f["path"] for f in json.loads(out)["files"]}) == 3
    assert "flat Moodle download" in err and "--group '^(.+?_[0-9]+)_assignsubmission_[a-z]+_'" in err
    assert main(["scan", str(flat), "--format", "json", "--group", LMS_LAYOUTS["Moodle"][0]]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {f["path"] for f in data["files"]} == {"Jane Doe_1/A.java", "Jane Doe_1/notes.py", "Li Wei_2/B.java"}
    assert [(p["a"], p["b"]) for p in data["pairs"]] == [("Jane Doe_1", "Li Wei_2")]
    for bad, why in (("([a-z]+", "not a regular expression"), ("^[a-z]+_", "no (group)")):
        with pytest.raises(SystemExit) as exc:
            main(["scan", str(flat), "--group", bad])
        assert exc.value.code == 2 and why in capsys.readouterr().err


def test_text_as_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    klass = tmp_path / "txt"
    for name, code in (("ann", ORIGINAL), ("ben", DISGUISED)):
        (klass / name).mkdir(parents=True)
        (klass / name / "Lab.txt").write_text(code)
    assert main(["scan", str(klass), "--format", "json", "--no-model", "--text-as", "Java"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {(f["path"], f["language"]) for f in data["files"]} == {("ann/Lab.txt", "java"), ("ben/Lab.txt", "java")}
    assert [(p["a"], p["b"]) for p in data["pairs"]] == [("ann", "ben")]
    with pytest.raises(SystemExit) as exc:
        main(["scan", str(klass), "--text-as", "markdown"])
    assert exc.value.code == 2 and "not a programming language known here" in capsys.readouterr().err


def test_demo_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "grace.c" in out and "ivan.c" in out and "dave" in out and "erin" in out


def test_streamed_json_equals_plain_json() -> None:
    import io

    from bot.render import render_json, write_json
    from ml.submission import Fragment, PairMatch, Report, Skipped

    pairs = [
        PairMatch("a", "b", 0.91234567, 0.91234567, fragments=[Fragment("a", (1, 4), "b", (2, 5))]),
        PairMatch("a", 'c "q"', 0.5, 0.25, semantic=0.75),
        *[PairMatch(f"s{i}", "zé", i / 7, i / 7) for i in range(12_000)],
    ]
    report = Report(pairs=pairs, skipped=[Skipped("x", "binary")], settings={"k": 20})
    buffer = io.StringIO()
    write_json(report, buffer)
    assert buffer.getvalue() == json.dumps(report.to_dict(), ensure_ascii=False) + "\n"
    assert render_json(report) == buffer.getvalue()
    assert json.loads(render_json(report, indent=2)) == report.to_dict()
    empty = Report()
    assert json.loads(render_json(empty)) == empty.to_dict()


def test_text_lists_files_at_medium_or_high_risk_with_why_when_explained() -> None:
    from dataclasses import replace

    from rich.console import Console

    from bot.render import render_text
    from ml.submission import FileRisk, Report

    def text(report: Report) -> str:
        console = Console(record=True, width=200)
        render_text(report, console)
        return console.export_text()

    files = [FileRisk("a/x.py", "python", 0.97, "high"), FileRisk("b/y.py", "python", 0.6, "medium"),
             FileRisk("c/z.py", "python", 0.1, "low")]
    out = text(Report(files=files))
    assert "AI-generated risk: 1 high, 1 medium of 3 files" in out and "--explain says why" in out
    assert out.index("a/x.py") < out.index("b/y.py") and "c/z.py" not in out and "Why" not in out
    why = {"style_reference": "*", "lines": [{"line": 9, "effect": 1.0}], "style": []}
    out = text(Report(files=[replace(files[0], explanation=why), *files[1:]]))
    assert "Why (where to look)" in out and "line 9 reads most like generated code" in out
    assert "none of the 1 scored files" in text(Report(files=[files[2]]))
    assert "AI-generated risk" not in text(Report(files=[FileRisk("a.py", "python", None, None)]))  # no model
