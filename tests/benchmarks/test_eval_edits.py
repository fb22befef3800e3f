"""benchmarks/eval_edits.py: edits are seeded per file (a rerun edits alike), chained in order,
and the rates read the levels from the right side (edited AI against unedited humans)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from benchmarks.eval_edits import EDITS, chain, changed_share, rates, render
from ml.augment import edit_each

JAVA = "class A {\n    // Add the numbers\n    int f(int a, int b) {\n        if (a > b) { return a + b; }\n        return b;\n    }\n}\n"


def test_edits_are_seeded_per_file_and_chained_in_order() -> None:
    codes, langs = [JAVA, JAVA], ["java", "java"]
    for name, edit in EDITS.items():
        assert edit_each(codes, langs, edit) == edit_each(codes, langs, edit), name  # a rerun edits alike
    assert edit_each(codes, langs, EDITS["none"]) == codes
    squeezed = edit_each(codes, langs, EDITS["strip comments + compact spacing"])[0]
    assert "//" not in squeezed and "if(a>b){return a+b;}" in squeezed

    def tag(mark: str):  # noqa: ANN202
        return lambda code, language, rng: code + mark

    assert chain(tag("1"), tag("2"))("x", "java", random.Random(0)) == "x12"
    assert changed_share(["a", "b"], ["a", "c"]) == 0.5 and changed_share([], []) == 0.0


def test_rates_read_each_side_at_the_levels() -> None:
    ai = np.array([0.99, 0.97, 0.5, 0.2])
    human = np.array([0.995, 0.1, 0.1, 0.96])
    r = rates(ai, human, high=0.98, medium=0.95)
    assert r["ai_high"] == 0.25 and r["ai_medium"] == 0.5
    assert r["human_high"] == 0.25 and r["human_medium"] == 0.5
    assert r["roc_auc"] == pytest.approx(10 / 16)  # AI above human in 10 of the 16 pairs


def test_render_names_the_levels_and_every_edit() -> None:
    r = rates(np.array([0.99, 0.1]), np.array([0.2, 0.3]), 0.98, 0.95)
    results = [{"edit": name, "ai_changed": 1.0, "human_changed": 0.5, "evader": r, "innocent": r} for name in EDITS]
    meta = {"model": "m", "high": 0.98, "medium": 0.95, "ai": 2, "human": 2}
    text = "\n".join(render(results, meta, "python -m benchmarks.eval_edits", "today"))
    assert "`high` 0.9800" in text and all(f"| {name} |" in text for name in EDITS)
