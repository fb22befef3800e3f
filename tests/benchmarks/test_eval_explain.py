"""benchmarks/eval_explain.py: lines are dropped by the numbers the explanation uses, the deletion
test tells named lines from random ones on a model whose telling lines are known, and the
rendered section carries every measured column."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.eval_explain import comment_share, deletion_test, drop_lines, render, style_test, top_habits
from ml.data import CodeExample
from ml.evidence import PATHS
from tests.ml.conftest import make_tiny_model, zero_encoder_path

HUMAN_LINE = "int total=0;for(int i=0;i<n;i++){{ total+=a[i]*{k}; }}"
AI_LINES = ["// Calculate the sum", "int sum = 0;", "for (int i = 0; i < n; i++) {", "    sum += values[i];", "}"]


def test_drop_lines_uses_the_file_s_own_numbering() -> None:
    code = "a\r\nb\r\nc\nd"
    assert drop_lines(code, [2, 4]) == "a\nc"
    assert drop_lines(code, []) == "a\nb\nc\nd"
    assert comment_share("x = 1\n# note\n// more\ny", [1, 2, 3]) == pytest.approx(2 / 3)
    assert comment_share("x", []) == 0.0


def test_style_test_and_habits_read_the_top_habit() -> None:
    ex = [
        {"logit": 5.0, "style": [{"feature": "f", "effect": 4.0}]},  # 5 - 4 = 1 < logit(0.9)=2.2: below
        {"logit": 9.0, "style": [{"feature": "f", "effect": 1.0}]},
        {"logit": 6.0, "style": [{"feature": "g", "effect": -1.0}]},  # pushes towards human: not a habit of AI
        {"logit": 6.0, "style": []},
    ]
    s = style_test(ex, 0.9)
    assert s["files"] == 3 and s["below_high"] == pytest.approx(1 / 3) and s["median_top_effect"] == 1.0
    assert top_habits(ex) == [("f", 2)]


def test_deletion_test_finds_the_lines_that_carry_the_score(tmp_path: Path) -> None:
    from ml.inference import CodeDetectorInference

    d = make_tiny_model(tmp_path, evidence=PATHS)
    zero_encoder_path(d, 0.0)
    det = CodeDetectorInference(d)
    # Human-style files with the AI-style block in the middle: the block is what moves the n-gram path.
    rows = []
    for k in range(6):
        lines = [HUMAN_LINE.format(k=k + j) for j in range(8)]
        code = "\n".join(lines[:4] + AI_LINES + lines[4:])
        rows.append(CodeExample(code, "java", 1, "src", f"g{k}"))
    explanations = det.explain([e.code for e in rows], ["java"] * len(rows))
    assert all({x["line"] for x in ex["lines"][:3]} <= set(range(5, 10)) for ex in explanations)
    result = deletion_test(det, rows, explanations, high=0.5)
    assert result["files"] == 6
    assert result["named_drop"] > result["random_drop"] and result["named_wins"] >= 5 / 6
    results = {
        "model": "tiny", "high": 0.5, "flagged_ai": 6, "flagged_human": 0,
        "deletion": {"ai": result, "human": {"files": 0}},
        "style": {"ai": style_test(explanations, 0.5), "human": {"files": 0}},
        "habits": {"ai": top_habits(explanations), "human": []},
    }
    text = "\n".join(render(results, "python -m benchmarks.eval_explain", "today"))
    assert "| ai | 6 |" in text and "named lines that are comments" in text and "| human | 0 |" not in text
    top, n = results["habits"]["ai"][0]  # type: ignore[index]
    from ml.style_terms import FEATURE_TERMS

    assert f"| ai | {top} | {FEATURE_TERMS[top][0]} | {n} |" in text
