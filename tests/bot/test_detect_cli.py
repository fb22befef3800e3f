"""`codeguard detect` contract: JSON shape, skipped files with reasons, exit codes, --out, --fail-over."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.ml.conftest import make_tiny_model


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ml tests' tiny random model (tests/ml/conftest.py), built once for this module."""
    return make_tiny_model(tmp_path_factory.mktemp("tiny"))


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "subs"
    (root / "alice").mkdir(parents=True)
    (root / "bob" / "node_modules" / "x").mkdir(parents=True)
    (root / "alice" / "main.py").write_text("def add(a, b):\n    return a + b\n")
    (root / "alice" / "Util.java").write_text("class Util {\n    int one() { return 1; }\n}\n")
    (root / "alice" / "notes.txt").write_text("not code\n")
    (root / "bob" / "empty.py").write_text("  \n")
    (root / "bob" / "blob.c").write_bytes(b"\x00\x01\x02int main(){}")
    (root / "bob" / "node_modules" / "x" / "index.js").write_text("module.exports = 1;\n")
    (root / "bob" / "solve.js").write_text("function solve(n) {\n  return n * 2;\n}\n")
    return root


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_json_contract(tree: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        ["detect", str(tree), "--format", "json", "--model", str(tiny_model_dir)], capsys
    )
    assert code == 0, err
    report = json.loads(out)
    paths = {Path(f["path"]).relative_to(tree).as_posix(): f for f in report["files"]}
    assert set(paths) == {"alice/main.py", "alice/Util.java", "bob/solve.js"}
    for f in report["files"]:
        assert set(f) >= {"path", "language", "ai_score", "risk_level"}
        assert 0.0 <= f["ai_score"] <= 1.0
        assert f["risk_level"] in {"low", "medium", "high"}
    assert paths["alice/main.py"]["language"] == "python"
    assert paths["alice/Util.java"]["language"] == "java"
    reasons = {Path(s["path"]).relative_to(tree).as_posix(): s["reason"] for s in report["skipped"]}
    assert reasons["alice/notes.txt"] == "not a recognised code file"
    assert reasons["bob/empty.py"] == "empty file"
    assert reasons["bob/blob.c"] == "binary file"
    assert "vendored" in reasons["bob/node_modules"]
    assert report["settings"]["calibrated"] is False


def test_text_as_reads_txt_that_parses(tree: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "alice" / "lab.txt").write_text("def twice(n):\n    return n * 2\n")
    (tree / "alice" / "reflection.txt").write_text("This week I learned how to write a function, and it was fun.\n")
    code, out, err = run_cli(["detect", str(tree / "alice"), "--format", "json", "--model", str(tiny_model_dir),
                              "--text-as", "py"], capsys)  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    assert {(Path(f["path"]).name, f["language"]) for f in report["files"]} >= {("lab.txt", "python")}
    [notes] = [s for s in report["skipped"] if s["path"].endswith("reflection.txt")]
    assert notes["reason"].startswith("a .txt that does not read as python")


def test_single_file_text_format_and_out(
    tree: Path, tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tree / "alice" / "main.py"
    code, out, _ = run_cli(["detect", str(target), "--model", str(tiny_model_dir)], capsys)
    assert code == 0
    assert str(target) in out and "never proof" in out
    out_file = tmp_path / "r.json"
    code, out, _ = run_cli(
        ["detect", str(target), "--format", "json", "--out", str(out_file), "--model", str(tiny_model_dir)],
        capsys,
    )
    assert code == 0 and out == ""
    assert len(json.loads(out_file.read_text())["files"]) == 1


def test_fail_over_exit_codes(tree: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["detect", str(tree), "--format", "json", "--model", str(tiny_model_dir)]
    code, out, _ = run_cli(base, capsys)
    top = max(f["ai_score"] for f in json.loads(out)["files"])
    assert run_cli([*base, "--fail-over", "0"], capsys)[0] == 1
    code, _, err = run_cli([*base, "--fail-over", str(min(top + 1e-3, 1.0))], capsys)
    assert code == 0, err
    code, _, err = run_cli([*base, "--fail-over", "1.5"], capsys)
    assert code == 2 and "--fail-over" in err


def test_usage_errors(tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["detect", str(tmp_path / "missing"), "--model", str(tiny_model_dir)], capsys)
    assert code == 2 and "no such file" in err and err.count("\n") == 1
    (tmp_path / "a.py").write_text("x = 1\n")
    code, _, err = run_cli(["detect", str(tmp_path / "a.py"), "--model", str(tmp_path / "nomodel")], capsys)
    assert code == 2 and "model directory not found" in err


def test_console_entry_point(tree: Path, tiny_model_dir: Path) -> None:
    """The real `python -m bot` process, as CI would run it."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "detect",
            str(tree / "bob"),
            "--format",
            "json",
            "--model",
            str(tiny_model_dir),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    files = json.loads(proc.stdout)["files"]
    assert [Path(f["path"]).name for f in files] == ["solve.js"]


def test_history_adds_relative_scores(tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.bot.test_calibrate_cli import with_authors

    model = make_tiny_model(tmp_path / "m")
    target = tree / "alice" / "main.py"
    args = ["detect", str(target), "--format", "json", "--model", str(model)]
    code, _, err = run_cli([*args, "--history", str(tree / "alice")], capsys)
    assert code == 2 and "no relative risk levels" in err  # never calibrated with authors
    assert main(["calibrate", "--model", str(model), "--data", str(with_authors(tmp_path / "a.jsonl"))]) == 0
    capsys.readouterr()
    code, out, err = run_cli([*args, "--history", str(tree / "alice"), "--history", str(tree / "bob")], capsys)
    assert code == 0, err
    report = json.loads(out)
    assert report["history"] == {"files": 2, "alpha": 0.5}  # Util.java and solve.js; main.py is not its own history
    (f,) = report["files"]
    assert 0.0 <= f["relative_score"] <= 1.0 and f["relative_level"] in {"low", "medium", "high"}
    assert any(s["reason"].startswith("history: ") for s in report["skipped"])
    code, out, _ = run_cli(["detect", str(target), "--model", str(model), "--history", str(tree / "alice" / "Util.java")], capsys)
    assert code == 0 and "relative to 1 history file(s)" in out and "rscore" in out
    code, _, err = run_cli([*args, "--history", str(target)], capsys)
    assert code == 2 and "no code files to compare with" in err


def test_explain_adds_what_each_score_rests_on(tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import math

    from ml.evidence import PATHS

    model = make_tiny_model(tmp_path / "m", evidence=PATHS)
    args = ["detect", str(tree), "--model", str(model), "--explain"]
    code, out, err = run_cli([*args, "--format", "json"], capsys)
    assert code == 0, err
    files = json.loads(out)["files"]
    assert len(files) == 3
    for f in files:
        ex = f["explanation"]
        assert sum(ex["parts"].values()) == pytest.approx(ex["logit"], abs=1e-6)
        assert ex["logit"] == pytest.approx(math.log(f["ai_score"] / (1 - f["ai_score"])), abs=1e-3)
        assert ex["style_reference"] == "*"  # the tiny model's 20 java humans: too few for a java reference
        assert isinstance(ex["style"], list) and isinstance(ex["lines"], list)
    code, out, _ = run_cli(args, capsys)
    assert code == 0
    assert out.count("logit ") == 3 and "style trees" in out and "character n-grams" in out
    code, out, _ = run_cli(["detect", str(tree), "--model", str(model)], capsys)
    assert code == 0 and "logit " not in out  # only when asked
