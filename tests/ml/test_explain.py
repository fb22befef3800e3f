"""Explanations: the parts add up to the served logit, style effects are the occlusions they
claim to be, the reference is per language where there is enough of it, no code comes out."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from ml.evidence import PATHS, FileEvidence
from ml.explain import (
    MIN_REFERENCE_FILES,
    POOLED,
    REFERENCE_FILE,
    reference_row,
    style_effects,
    style_reference,
)
from ml.trees import TreeEnsemble
from tests.ml.conftest import EVIDENCE_AI, make_tiny_model, tiny_evidence_rows, zero_encoder_path

NAMES = ["a", "b", "c"]


def test_reference_is_per_language_only_with_enough_human_files() -> None:
    n_java, n_py = MIN_REFERENCE_FILES, MIN_REFERENCE_FILES - 1
    style = np.concatenate([np.full((n_java, 3), 1.0), np.full((n_py, 3), 5.0), np.full((30, 3), 9.0)])
    labels = [0] * (n_java + n_py) + [1] * 30  # the AI rows (9.0) must not count
    langs = ["java"] * n_java + ["python"] * n_py + ["java"] * 30
    ref = style_reference(style, labels, langs, NAMES)
    assert set(ref["median"]) == {POOLED, "java"} and ref["files"] == {POOLED: n_java + n_py, "java": n_java}
    assert ref["median"]["java"] == {"a": 1.0, "b": 1.0, "c": 1.0}
    row, key = reference_row(ref, "python", NAMES)
    assert key == POOLED and row.tolist() == [1.0, 1.0, 1.0]  # median of 50 ones and 49 fives
    assert reference_row(ref, "java", NAMES)[1] == "java"
    with pytest.raises(ValueError, match="human"):
        style_reference(style[:2], [1, 1], ["java", "java"], NAMES)


def test_style_effects_are_one_feature_occlusions() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    y = (x[:, 0] + 0.3 * x[:, 1] > 0).astype(int)  # feature c carries nothing
    x[:, 2] = 0.0
    trees = TreeEnsemble.from_sklearn(HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(x, y))
    row, ref = np.array([2.0, 1.0, 0.0]), np.array([-1.0, -1.0, 5.0])
    effects = style_effects(trees, row, ref)
    for j in range(3):
        moved = row.copy()
        moved[j] = ref[j]
        assert effects[j] == pytest.approx(trees.decision_function(row[None])[0] - trees.decision_function(moved[None])[0])
    assert effects[0] > effects[1] > 0 and effects[2] == 0.0


def explained(model_dir: Path, codes: list[str]) -> tuple[list[dict], np.ndarray]:
    from ml.inference import CodeDetectorInference

    det = CodeDetectorInference(model_dir)
    return det.explain(codes, ["java"] * len(codes)), det.score(codes, ["java"] * len(codes))


def test_parts_add_up_to_the_served_logit_and_only_numbers_come_out(tmp_path: Path) -> None:
    d = make_tiny_model(tmp_path, evidence=PATHS)
    assert json.loads((d / REFERENCE_FILE).read_text())["files"] == {POOLED: 20}  # 20 java humans: pooled only
    codes = tiny_evidence_rows()[0][:2] + ["package p;\n" + EVIDENCE_AI.format(k=7)]
    for constant in (False, True):
        if constant:
            heads = zero_encoder_path(d, 0.25)
        out, scores = explained(d, codes)
        for ex, s, code in zip(out, scores, codes, strict=True):
            assert ex["encoder_constant"] is constant
            assert sum(ex["parts"].values()) == pytest.approx(ex["logit"], abs=1e-6)
            assert ex["logit"] == pytest.approx(math.log(s / (1 - s)), abs=1e-3)
            assert set(ex["parts"]) == {"encoder_path", *PATHS}
            assert ex["style_reference"] == POOLED
            assert all(x["effect"] > 0 for x in ex["lines"])
            assert all(1 <= x["line"] <= code.count("\n") + 1 for x in ex["lines"])
            text = json.dumps(ex)
            assert "total" not in text and "Calculate" not in text  # no code, only numbers and names
            if constant:
                assert ex["parts"]["encoder_path"] == pytest.approx(0.25 * heads, abs=1e-6)
    ai = out[2]
    assert ai["lines"] and ai["lines"][0]["line"] != 1  # the package header is never named


def test_a_model_saved_before_the_reference_still_explains_its_parts(tmp_path: Path) -> None:
    d = make_tiny_model(tmp_path, evidence=PATHS)
    (d / REFERENCE_FILE).unlink()
    assert FileEvidence.load(d, list(PATHS)).reference is None
    (ex,) = explained(d, [tiny_evidence_rows()[0][1]])[0]
    assert ex["style"] == [] and ex["style_reference"] is None
    assert sum(ex["parts"].values()) == pytest.approx(ex["logit"], abs=1e-6)


def test_the_shipped_model_explains_with_its_language_reference() -> None:
    from ml.inference import CodeDetectorInference

    root = Path(__file__).resolve().parents[2] / "models" / "default"
    det = CodeDetectorInference(root)
    code = "\n".join([
        "public class Main {",
        "    public static void main(String[] args) {",
        "        // Initialize the counter variable",
        "        int count = 0;",
        "        for (int i = 0; i < 10; i++) {",
        "            count += i;",
        "        }",
        "        System.out.println(count);",
        "    }",
        "}",
    ])
    (ex,) = det.explain([code], ["java"])
    assert ex["encoder_constant"] and ex["style_reference"] == "java"
    assert sum(ex["parts"].values()) == pytest.approx(ex["logit"], abs=1e-6)
    assert len(ex["style"]) == 5 and len({s["feature"] for s in ex["style"]}) == 5
    assert [abs(s["effect"]) for s in ex["style"]] == sorted((abs(s["effect"]) for s in ex["style"]), reverse=True)
    from ml.style_terms import describe

    assert [s["description"] for s in ex["style"]] == [
        describe(s["feature"], s["value"], s["typical_human"]) for s in ex["style"]]


def test_reasons_keep_what_points_towards_ai_in_words() -> None:
    from ml.explain import reasons, reasons_text

    ex = {
        "style_reference": "java",
        "lines": [{"line": 14, "effect": 2.0}, {"line": 3, "effect": 1.0}, {"line": 9, "effect": 0.5},
                  {"line": 1, "effect": 0.1}],
        "style": [
            {"feature": "a", "effect": 2.0, "description": "habit a"},
            {"feature": "b", "effect": -1.5, "description": "habit b"},  # looks human: not a reason
            {"feature": "c", "effect": 0.4},  # a model's explanation from before descriptions
        ],
    }
    assert reasons(ex) == ([14, 3, 9], ["habit a", "c"])
    assert reasons_text(ex) == ("lines 14, 3, 9 read most like generated code; "
                                "unlike a typical human java file: habit a; c")
    one = {"style_reference": POOLED, "lines": [{"line": 2, "effect": 1.0}], "style": []}
    assert reasons_text(one) == "line 2 reads most like generated code"
    assert reasons_text({"lines": [], "style": [{"feature": "x", "effect": -1.0}]}) == ""
    assert reasons_text({"style_reference": POOLED, "lines": [], "style": [{"feature": "x", "effect": 1.0}]}) == (
        "unlike a typical human file: x")
