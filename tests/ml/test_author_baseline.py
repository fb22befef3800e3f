"""ml.author_baseline: which files form a history, the relative score's arithmetic, the alpha fit
on data where the answer is known, and relative levels calibrated only where histories exist."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ml.author_baseline import (
    calibrate_relative,
    fit_alpha,
    histories,
    relative_logits,
    shifted_score,
    to_logit,
    to_score,
)


def test_history_is_same_author_other_work_and_human_when_labels_given() -> None:
    authors = ["a", "a", "a", "b", "", ""]
    works = ["w1", "w1", "w2", "w1", "w2", "w3"]
    labels = [0, 1, 0, 0, 0, 0]
    assert histories(authors, works, labels) == [[2], [2], [0], [], [], []]
    # Without labels the AI file on w1 counts as history of w2; never a file of the same work.
    assert histories(authors, works) == [[2], [2], [0, 1], [], [], []]


def test_shifted_score_arithmetic() -> None:
    assert shifted_score(0.5, [0.5]) == pytest.approx(0.5)
    base = to_score(2.0)  # history median logit 2.0
    got = shifted_score(float(to_score(1.0)), [0.01, float(base), 0.999], alpha=0.5)
    assert got == pytest.approx(float(to_score(1.0 - 0.5 * 2.0)))
    assert shifted_score(0.9, [0.2], alpha=0.0) == pytest.approx(0.9)
    with pytest.raises(ValueError, match="at least one history file"):
        shifted_score(0.9, [])
    assert math.isfinite(shifted_score(1.0, [0.0]))  # clipped, not infinite


def test_relative_logits_nan_without_history() -> None:
    lg = np.array([1.0, 3.0, 5.0])
    out = relative_logits(lg, [[1, 2], [], [0]], alpha=1.0)
    assert out[0] == pytest.approx(1.0 - 4.0) and np.isnan(out[1]) and out[2] == pytest.approx(4.0)


def _authors_data(offset_sd: float, seed: int = 0, n_authors: int = 120) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
    """Each author: 3 human files and 1 AI file on four works; logits = author offset + noise
    (+2.5 for the AI file)."""
    rng = np.random.default_rng(seed)
    logits, labels, authors, works = [], [], [], []
    for a in range(n_authors):
        o = rng.normal(0, offset_sd)
        for w in range(4):
            ai = int(w == 3)
            logits.append(o + 2.5 * ai + rng.normal(0, 0.5))
            labels.append(ai)
            authors.append(f"a{a}")
            works.append(f"w{w}")
    y = np.array(labels)
    return np.array(logits), y, histories(authors, works, y)


def test_fit_alpha_follows_the_between_author_spread() -> None:
    logits, y, hist = _authors_data(offset_sd=4.0)
    alpha, grid = fit_alpha(logits, y, hist)
    assert alpha == 1.0  # authors differ far more than the generator moves a file: subtract it all
    assert [r["alpha"] for r in grid] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert grid[-1]["tpr_at_1fpr"] > grid[0]["tpr_at_1fpr"] + 0.3
    logits, y, hist = _authors_data(offset_sd=0.0)
    alpha, _ = fit_alpha(logits, y, hist)
    assert alpha <= 0.25  # no spread to remove: the median only adds noise


def test_calibrate_relative_only_on_files_with_history() -> None:
    logits, y, hist = _authors_data(offset_sd=4.0, n_authors=60)
    scores = to_score(logits)
    authors = [f"a{i // 4}" for i in range(len(y))]
    works = [f"w{i % 4}" for i in range(len(y))]
    extra_scores = np.r_[scores, [0.99, 0.98]]  # two files with no author: no history, not counted
    out = calibrate_relative(extra_scores, np.r_[y, [0, 0]], authors + ["", ""], works + ["x", "y"],
                             ["src"] * (len(y) + 2), rule="pooled", alpha=1.0)
    assert out is not None and out["alpha"] == 1.0
    assert out["n_human"] == int((y == 0).sum()) and out["n_ai"] == int(y.sum())
    assert out["levels"]["high"]["threshold"] >= out["levels"]["medium"]["threshold"]
    assert out["levels"]["high"]["tpr"] > 0.5
    assert calibrate_relative(scores, y, [""] * len(y), works, ["src"] * len(y)) is None


def test_logit_round_trip() -> None:
    p = np.array([0.01, 0.5, 0.97])
    assert np.allclose(to_score(to_logit(p)), p)
