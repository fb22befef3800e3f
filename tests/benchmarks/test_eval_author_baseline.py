"""benchmarks/eval_author_baseline.py: same files in every row of a scope, histories drawn to size,
rewrite pairs counted per author and work, and a rendered section that names the alpha used."""

from __future__ import annotations

import numpy as np

from benchmarks.eval_author_baseline import SOURCES, draw, pair_wins, render, scope_rows
from ml.author_baseline import ALPHA
from ml.data import CodeExample


def corpus(seed: int = 0) -> tuple[list[CodeExample], np.ndarray]:
    """Authors of both sources with three human files and a rewrite of one; authors differ by an
    offset, a rewrite adds +2 to its author's level."""
    rng = np.random.default_rng(seed)
    rows, logits = [], []
    for src in SOURCES:
        for a in range(30):
            o = rng.normal(0, 3)
            for w in range(3):
                rows.append(CodeExample("x", "java", 0, src, f"g{w}", author=f"{src}-{a}", work=f"w{w}"))
                logits.append(o + rng.normal(0, 0.3))
            rows.append(CodeExample("x", "java", 1, src, "g0", author=f"{src}-{a}", work="w0"))
            logits.append(o + 2 + rng.normal(0, 0.3))
    rows.append(CodeExample("x", "java", 0, "gptsniffer", "g", author="", work=""))  # no author: in no scope
    logits.append(9.0)
    return rows, np.array(logits)


def test_draw_caps_each_history() -> None:
    hist = [[1, 2, 3], [4], []]
    one = draw(hist, 1)
    assert [len(h) for h in one] == [1, 1, 0] and set(one[0]) <= {1, 2, 3}
    assert draw(hist, None) is hist and draw(hist, 1) == one  # seeded


def test_pair_wins_compares_a_rewrite_with_its_own_original() -> None:
    rows, logits = corpus()
    n, wins = pair_wins(logits, rows, np.arange(len(rows)))
    assert n == 60 and wins == 1.0
    flipped = logits.copy()
    flipped[[i for i, e in enumerate(rows) if e.label == 1]] -= 4.0
    assert pair_wins(flipped, rows, np.arange(len(rows)))[1] == 0.0


def test_scope_rows_relative_beats_absolute_when_authors_differ() -> None:
    rows, logits = corpus()
    out = scope_rows(logits, rows, ALPHA, intervals=False)
    assert [r["scope"] for r in out] == [*SOURCES, "both"]
    both = out[-1]
    assert both["absolute"]["files"] == both["relative, whole human history"]["files"] == 240
    assert both["relative, whole human history"]["roc_auc"] > both["absolute"]["roc_auc"]
    text = "\n".join(render({"alpha": ALPHA, "grid": [{"alpha": ALPHA, "files": 1, "roc_auc": 1.0, "tpr_at_1fpr": 1.0,
                                                        "tpr_at_5fpr": 1.0}], "train_files": 1, "model": "m"},
                            out, "cmd", "today", loso=out[:1]))
    assert f"| {ALPHA:.2f} (picked) |" in text and "NOT the alpha" not in text
    assert "| both | absolute | 240 | 180 |" in text
    assert "Left out (`--loso`)" in text and text.count(f"| {SOURCES[0]} | absolute |") == 2
