"""A file's AI score measured against its author's own earlier work.

Why: people differ in style more than a generator moves one person's file. On aigen dev every
GPT-4o rewrite of a Code Jam solution scores above its own human original (298 of 298),
yet a quarter of those rewrites lie under the pooled 1% threshold, because other authors' plain
human files score higher still (docs/BENCHMARKS.md, "Against the author's own work"). Where a
reviewer has files known to be the author's own (earlier submissions, work done in class), the
question "is this file more generator-like than this person's usual code?" removes most of that
between-author spread:

    relative logit = logit(score) - alpha * median(logit(score of each history file))

`alpha` < 1 keeps part of the absolute score: an author whose own code already reads like a
generator's is not cleared entirely, and a history of one or two files is a noisy median.
ALPHA was fitted on out-of-fold training scores (benchmarks/eval_author_baseline.py) and only
then measured on dev. Everything here takes numbers and returns numbers; the history is whatever
the caller vouches for, and with none the absolute score is all there is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from ml.calibration import MIN_GROUP_HUMANS, calibrate, safe_auc, tpr_at_fpr

ALPHA = 0.5
ALPHA_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)
_EPS = 1e-7


def to_logit(scores: Sequence[float] | np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(scores, dtype=np.float64), _EPS, 1.0 - _EPS)
    return np.log(p / (1.0 - p))


def to_score(logits: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))


def shifted_score(score: float, history_scores: Sequence[float], alpha: float = ALPHA) -> float:
    """The relative score (0..1) of one file given the scores of its author's own files."""
    if not len(history_scores):
        raise ValueError("a relative score needs at least one history file")
    base = float(np.median(to_logit(history_scores)))
    return float(to_score(float(to_logit([score])[0]) - alpha * base))


def histories(
    authors: Sequence[str], works: Sequence[str], labels: Sequence[int] | np.ndarray | None = None
) -> list[list[int]]:
    """For each file, the indices of the same author's files on *other* work (an empty author has
    none). With `labels`, only human (0) files count: calibration must measure against history
    known to be the author's own, as a user's history is meant to be. Other work, because a file's
    own rewrite or earlier draft is not the author's usual style but the file itself."""
    by_author: dict[str, list[int]] = defaultdict(list)
    for i, a in enumerate(authors):
        if a:
            by_author[a].append(i)
    out: list[list[int]] = []
    for i, a in enumerate(authors):
        out.append([
            j for j in by_author.get(a, []) if j != i and works[j] != works[i] and (labels is None or labels[j] == 0)
        ] if a else [])
    return out


def relative_logits(logits: np.ndarray, hist: Sequence[Sequence[int]], alpha: float = ALPHA) -> np.ndarray:
    """Relative logit per file; NaN where a file has no history."""
    lg = np.asarray(logits, dtype=np.float64)
    out = np.full(len(lg), np.nan)
    for i, h in enumerate(hist):
        if len(h):
            out[i] = lg[i] - alpha * float(np.median(lg[list(h)]))
    return out


def fit_alpha(
    logits: np.ndarray, labels: Sequence[int] | np.ndarray, hist: Sequence[Sequence[int]],
    grid: Sequence[float] = ALPHA_GRID,
) -> tuple[float, list[dict[str, float]]]:
    """The alpha of `grid` with the best TPR at 1% FPR over the files that have a history (ties:
    the better ROC-AUC, then the smaller alpha), and every candidate's numbers."""
    y = np.asarray(labels)
    rows = []
    for a in grid:
        r = relative_logits(logits, hist, a)
        m = ~np.isnan(r)
        rows.append({"alpha": float(a), "files": int(m.sum()), "roc_auc": safe_auc(y[m], r[m]),
                     "tpr_at_1fpr": tpr_at_fpr(r[m], y[m], 0.01), "tpr_at_5fpr": tpr_at_fpr(r[m], y[m], 0.05)})
    best = max(rows, key=lambda d: (np.nan_to_num(d["tpr_at_1fpr"], nan=-1.0), np.nan_to_num(d["roc_auc"], nan=-1.0),
                                    -d["alpha"]))
    return best["alpha"], rows


def calibrate_relative(
    scores: Sequence[float] | np.ndarray,
    labels: Sequence[int] | np.ndarray,
    authors: Sequence[str],
    works: Sequence[str],
    groups: Sequence[str],
    *,
    rule: str = "balanced",
    alpha: float = ALPHA,
    min_group: int = MIN_GROUP_HUMANS,
) -> dict[str, Any] | None:
    """Risk levels for the relative score, set like the absolute ones (ml.calibration.calibrate) on
    the files whose author has other human files in the data; None when no human file has one
    (then a model simply offers no relative levels)."""
    y = np.asarray(labels)
    hist = histories(authors, works, y)
    rel = relative_logits(to_logit(scores), hist, alpha)
    m = ~np.isnan(rel)
    if not (y[m] == 0).any():
        return None
    out = calibrate(to_score(rel[m]), y[m], groups=[g for g, k in zip(groups, m, strict=True) if k], rule=rule,
                    min_group=min_group)
    out.update({"alpha": float(alpha), "history": "the author's human files on other work (median logit)"})
    return out
