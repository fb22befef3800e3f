"""`codeguard calibrate`: thresholds from labelled code, per-source rules, the card's risk section
rewritten in place, and clear errors for data it cannot calibrate on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from tests.ml.conftest import make_tiny_model

CARD = "# card\n\n## Risk levels (calibrated on dev human code)\n\nold table\n\n## Training history\n\nkeep me\n"


def labelled(path: Path, humans_per_source: int = 8) -> Path:
    rows = []
    for src in ("course-a", "course-b"):
        for i in range(humans_per_source):
            rows.append({"code": f"def f{i}(x):\n    y = x * {i}\n    return y  # {src}\n", "label": 0,
                         "language": "python", "source": src})
            rows.append({"code": f"def compute_{i}(value: int) -> int:\n    \"\"\"Multiply.\"\"\"\n"
                                 f"    return value * {i + 1}\n", "label": 1, "language": "python", "source": src})
    rows.append({"code": "int main() { return 0; }\n", "label": 0, "language": "cpp", "source": "tiny-src"})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture()
def model(tmp_path: Path) -> Path:
    m = make_tiny_model(tmp_path)
    (m / "README.md").write_text(CARD)
    return m


def test_calibrate_writes_thresholds_and_card(model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = labelled(tmp_path / "mine.jsonl")
    assert main(["calibrate", "--model", str(model), "--data", str(data), "--rule", "worst-source",
                 "--min-group", "5"]) == 0
    out = capsys.readouterr()
    assert "def f1" not in out.out + out.err  # scores only: no code echoed
    assert "cannot promise 1% at high" in out.err and "at least 99 human files" in out.err
    thr = json.loads((model / "thresholds.json").read_text())
    assert thr["rule"] == "worst-source" and thr["calibrated_by"] == "codeguard calibrate"
    assert thr["calibrated_on"] == str(data) and thr["n_human"] == 17
    high = thr["levels"]["high"]
    assert set(high["fpr_by_group"]) == {"course-a", "course-b"}  # tiny-src has 1 human: not counted
    assert max(high["fpr_by_group"].values()) <= 0.01 and high["fpr"] <= 0.01
    assert thr["levels"]["medium"]["threshold"] <= high["threshold"]
    card = (model / "README.md").read_text()
    assert "old table" not in card and "keep me" in card and card.count("## Risk levels") == 1
    assert "`worst-source`" in card and "| course-a (8) |" in card
    assert f"calibrated on {data}" in card


def test_dry_run_and_bad_data(model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = labelled(tmp_path / "mine.jsonl")
    before = (model / "README.md").read_text()
    assert main(["calibrate", "--model", str(model), "--data", str(data), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "nothing written" in out
    # Recalibrating without --rule keeps the rule training uses, so the two never disagree.
    from ml.config import TrainConfig

    assert f"rule {TrainConfig().calibration_rule};" in out
    assert not (model / "thresholds.json").exists() and (model / "README.md").read_text() == before
    ai_only = tmp_path / "ai.jsonl"
    ai_only.write_text(json.dumps({"code": "x = 1\n", "label": 1, "language": "python"}) + "\n")
    assert main(["calibrate", "--model", str(model), "--data", str(ai_only)]) == 2
    assert "no human" in capsys.readouterr().err
    assert main(["calibrate", "--model", str(model), "--data", str(tmp_path / "missing.jsonl")]) == 2
    assert "not found" in capsys.readouterr().err


def with_authors(path: Path) -> Path:
    """Four students, five assignments each: their own file and, on some, a generated one."""
    rows = []
    for s in range(4):
        for w in range(5):
            rows.append({"code": f"def hw{w}(x):\n    r = x + {s}\n    return r  # student {s}\n", "label": 0,
                         "language": "python", "source": "course", "author": f"student{s}", "work": f"hw{w}"})
            if w % 2:
                rows.append({"code": f"def homework_{w}(value: int) -> int:\n    \"\"\"Add.\"\"\"\n    return value + {s}\n",
                             "label": 1, "language": "python", "source": "course", "author": f"student{s}",
                             "work": f"hw{w}"})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_calibrate_sets_relative_levels_where_authors_are_known(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["calibrate", "--model", str(model), "--data", str(with_authors(tmp_path / "a.jsonl"))]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "relative high: score >" in out and "20 human / 8 AI files whose author has other human files" in out
    assert "20 human files cannot promise 1% at relative high" in captured.err
    rel = json.loads((model / "thresholds.json").read_text())["relative"]
    assert rel["alpha"] == 0.5 and rel["n_human"] == 20 and rel["n_ai"] == 8
    assert rel["levels"]["high"]["threshold"] >= rel["levels"]["medium"]["threshold"]
    assert "Relative to the author's own work" in (model / "README.md").read_text()
    # Data that names no authors recalibrates the absolute levels and keeps the relative ones.
    assert main(["calibrate", "--model", str(model), "--data", str(labelled(tmp_path / "b.jsonl"))]) == 0
    assert "existing ones are kept" in capsys.readouterr().out
    assert json.loads((model / "thresholds.json").read_text())["relative"] == rel
