"""Risk levels from measured false-positive rates on human validation code, not guessed cut-offs.

A raw classifier probability means little to a teacher or reviewer; "at most 1% of human
code we validated on scores this high" does. `calibrate` turns validation scores into such
thresholds and records the rates actually measured there, so the model card can state them.

Convention: a file is flagged at a level when its score is strictly greater than the level's
threshold, so ties with the human score at the cut-off never count against a human.

Sources differ: a 1% rate over the pooled validation humans is mostly a rate on its largest
source, and the human files of a source the model never saw score higher (measured in
docs/BENCHMARKS.md). With `groups` (the source of each file) the thresholds can instead hold per
source: rule "balanced" keeps the mean of the per-source rates at the target, "worst-source" keeps
every source at the target; both also keep the pooled rate, so they are never laxer than "pooled".
Only sources with at least `min_group` humans count: a source with 3 humans cannot say anything
about a 1% rate.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

THRESHOLDS_FILE = "thresholds.json"
RISK_LEVELS = ("high", "medium", "low")
DEFAULT_TARGETS: tuple[tuple[str, float], ...] = (("high", 0.01), ("medium", 0.05))
CALIBRATION_RULES = ("pooled", "balanced", "worst-source")
MIN_GROUP_HUMANS = 15


def _as_arrays(
    scores: Sequence[float] | np.ndarray, labels: Sequence[int] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=np.float64).ravel()
    y = np.asarray(labels).ravel()
    if s.shape != y.shape:
        raise ValueError(f"{s.size} scores but {y.size} labels")
    if not np.isfinite(s).all():
        raise ValueError("scores contain NaN or infinity")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 (human) or 1 (AI)")
    return s, y.astype(np.int64)


def _above(n: int, max_fpr: float, conformal: bool) -> int:
    """How many of n human scores may lie above the threshold."""
    if not 0.0 <= max_fpr < 1.0:
        raise ValueError(f"max_fpr must be in [0, 1), got {max_fpr}")
    # A tiny epsilon keeps 0.05 * 100 == 5 rather than 4.999...
    if conformal:
        return max(0, math.floor(max_fpr * (n + 1) + 1e-9) - 1)
    return min(math.floor(max_fpr * n + 1e-9), n - 1)


def threshold_at_fpr(human_scores: np.ndarray, max_fpr: float, conformal: bool = False) -> float:
    """The (k+1)-th largest human score t, flagging scores > t.

    Empirical (the default, and what TPR@FPR metrics use): k = floor(max_fpr * n), the smallest t
    with mean(human_scores > t) <= max_fpr. On NEW human files from the same place that rule
    flags (k+1)/(n+1) on average -- above max_fpr (2% for 100 files at 1%).
    Conformal: k = floor(max_fpr * (n+1)) - 1, so that (k+1)/(n+1) <= max_fpr: the expected rate
    on new exchangeable human files keeps the promise. It needs n >= 1/max_fpr - 1 files (99
    for 1%); with fewer, t is their maximum and the expected rate is 1/(n+1) (`expected_fpr_bound`).
    """
    h = np.sort(np.asarray(human_scores, dtype=np.float64))[::-1]
    if h.size == 0:
        raise ValueError("need at least one human score to calibrate")
    return float(h[_above(h.size, max_fpr, conformal)])


def expected_fpr_bound(n_human: int, max_fpr: float, conformal: bool = True) -> float:
    """(k+1)/(n+1): the expected false-positive rate on new exchangeable human files."""
    return (_above(n_human, max_fpr, conformal) + 1) / (n_human + 1)


def rates_at_threshold(scores: np.ndarray, labels: np.ndarray, threshold: float) -> tuple[float, float]:
    """(false-positive rate, true-positive rate) of the rule score > threshold."""
    s, y = _as_arrays(scores, labels)
    flagged = s > threshold
    fpr = float(flagged[y == 0].mean()) if (y == 0).any() else float("nan")
    tpr = float(flagged[y == 1].mean()) if (y == 1).any() else float("nan")
    return fpr, tpr


def safe_auc(labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray) -> float:
    """ROC-AUC, or NaN where only one class is present (a small source or slice), instead of raising."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(labels)
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(roc_auc_score(y, np.asarray(scores)))


def tpr_at_fpr(
    scores: Sequence[float] | np.ndarray, labels: Sequence[int] | np.ndarray, max_fpr: float = 0.01
) -> float:
    """True-positive rate at the threshold that keeps the false-positive rate <= max_fpr."""
    s, y = _as_arrays(scores, labels)
    if not (y == 0).any() or not (y == 1).any():
        return float("nan")
    t = threshold_at_fpr(s[y == 0], max_fpr)
    return float((s[y == 1] > t).mean())


def bootstrap_interval(
    scores: Sequence[float] | np.ndarray,
    labels: Sequence[int] | np.ndarray,
    metric: Callable[[np.ndarray, np.ndarray], float],
    groups: Sequence[str] | None = None,
    *,
    n: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile interval of metric(scores, labels) over resamples of whole groups (tasks).

    Why: at 1% FPR a handful of human files sets the threshold (7 of aigen dev's 752), so a
    TPR@1%FPR moves by several points between two runs that are equally good; the interval says
    how far. Groups, not files, are resampled because files of one task are not independent.
    Resamples with one class only are skipped."""
    s, y = _as_arrays(scores, labels)
    g = np.asarray(groups if groups is not None else np.arange(len(s)).astype(str))
    names, inverse = np.unique(g, return_inverse=True)
    members = [np.flatnonzero(inverse == i) for i in range(len(names))]
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n):
        idx = np.concatenate([members[i] for i in rng.integers(0, len(names), len(names))])
        if (y[idx] == 0).any() and (y[idx] == 1).any():
            values.append(metric(s[idx], y[idx]))
    if not values:
        return float("nan"), float("nan")
    lo, hi = np.nanpercentile(values, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


def target_intervals(
    scores: Sequence[float] | np.ndarray, labels: Sequence[int] | np.ndarray, groups: Sequence[str]
) -> dict[str, tuple[float, float]]:
    """95% intervals over resampled tasks of the two numbers the detection target names: ROC-AUC
    and TPR@1%FPR. One place, so training, eval_aigen and the variants benchmark agree."""
    return {
        "roc_auc": bootstrap_interval(scores, labels, lambda s, y: safe_auc(y, s), groups),
        "tpr_at_1fpr": bootstrap_interval(scores, labels, lambda s, y: tpr_at_fpr(s, y, 0.01), groups),
    }


def group_threshold(
    human_scores: np.ndarray, human_groups: np.ndarray, max_fpr: float, rule: str, conformal: bool = True
) -> float:
    """The threshold of `rule` over the groups given (each already large enough to count).

    "balanced": smallest human score t with mean over groups of FPR_g(t) <= max_fpr;
    "worst-source": the largest of the groups' own thresholds. Never below the pooled threshold.
    """
    pooled = threshold_at_fpr(human_scores, max_fpr, conformal)
    names = sorted(set(human_groups.tolist()))
    if rule == "pooled" or not names:
        return pooled
    members = [human_scores[human_groups == g] for g in names]
    if rule == "worst-source":
        return max(pooled, *(threshold_at_fpr(m, max_fpr, conformal) for m in members))
    if rule == "balanced":
        # FPR_g(t) only falls as t rises, so scan the human scores upwards; at the maximum every
        # rate is 0, so the scan always ends.
        for t in np.unique(human_scores):
            if t >= pooled and np.mean([(m > t).mean() for m in members]) <= max_fpr + 1e-12:
                return float(t)
        return float(human_scores.max())
    raise ValueError(f"unknown calibration rule {rule!r}; choose from {', '.join(CALIBRATION_RULES)}")


def calibrate(
    scores: Sequence[float] | np.ndarray,
    labels: Sequence[int] | np.ndarray,
    targets: Sequence[tuple[str, float]] = DEFAULT_TARGETS,
    *,
    groups: Sequence[str] | None = None,
    rule: str = "pooled",
    min_group: int = MIN_GROUP_HUMANS,
    conformal: bool = True,
) -> dict[str, Any]:
    """Thresholds per risk level such that at most `target` of human validation code scores above
    (pooled, or per group of `groups` by `rule`; see the module docstring).

    Conformal by default (see threshold_at_fpr): the promise is about new human files, not
    about the ones calibrated on.

    Returns {"levels": {name: {"threshold", "target_fpr", "fpr", "tpr", "expected_fpr_bound"
    [, "fpr_by_group"]}}, "n_human", "n_ai", "rule", "conformal"[, "n_human_by_group"]}. Levels with a smaller target get a threshold at least as high
    (monotone by construction, and checked), so "high" never fires where "medium" would not.
    """
    s, y = _as_arrays(scores, labels)
    human = s[y == 0]
    if human.size == 0:
        raise ValueError("calibration needs human (label 0) validation scores")
    if rule not in CALIBRATION_RULES:
        raise ValueError(f"unknown calibration rule {rule!r}; choose from {', '.join(CALIBRATION_RULES)}")
    if rule != "pooled" and groups is None:
        raise ValueError(f"calibration rule {rule!r} needs the group (source) of each score")
    names = [name for name, _ in targets]
    if len(set(names)) != len(names) or "low" in names:
        raise ValueError(f"level names must be unique and not 'low': {names}")
    g_all = np.asarray(list(groups), dtype=object) if groups is not None else None
    if g_all is not None and g_all.shape != s.shape:
        raise ValueError(f"{s.size} scores but {g_all.size} groups")
    if g_all is not None:
        counts = {g: int(((g_all == g) & (y == 0)).sum()) for g in set(g_all.tolist())}
        counted = sorted(g for g, n in counts.items() if n >= min_group)
        keep = (y == 0) & np.isin(g_all, counted)
    levels: dict[str, dict[str, Any]] = {}
    for name, target in sorted(targets, key=lambda nt: nt[1]):
        t = threshold_at_fpr(human, target, conformal)
        if g_all is not None and rule != "pooled" and keep.any():  # no counted source: pooled it is
            t = max(t, group_threshold(s[keep], g_all[keep], target, rule, conformal))
        fpr, tpr = rates_at_threshold(s, y, t)
        levels[name] = {"threshold": t, "target_fpr": float(target), "fpr": fpr, "tpr": tpr,
                        "expected_fpr_bound": expected_fpr_bound(human.size, target, conformal)}
        if g_all is not None:
            levels[name]["fpr_by_group"] = {g: float((s[(g_all == g) & (y == 0)] > t).mean()) for g in counted}
    ordered = sorted(levels.values(), key=lambda v: v["target_fpr"])
    for stricter, looser in zip(ordered, ordered[1:], strict=False):
        if stricter["threshold"] < looser["threshold"]:
            raise AssertionError("calibrated thresholds are not monotone")  # impossible by construction
    out: dict[str, Any] = {"levels": levels, "n_human": int(human.size), "n_ai": int((y == 1).sum()), "rule": rule,
                           "conformal": conformal}
    if g_all is not None:
        out["n_human_by_group"] = {g: counts[g] for g in counted}
    return out


def level_thresholds(thresholds: Mapping[str, Any]) -> list[tuple[str, float]]:
    """Accept calibrate()'s output or a flat {"high": t, "medium": t}; strictest level first."""
    levels = thresholds.get("levels", thresholds)
    out: list[tuple[str, float]] = []
    for name, value in levels.items():
        t = value["threshold"] if isinstance(value, Mapping) else value
        out.append((str(name), float(t)))
    if not out:
        raise ValueError("no risk-level thresholds given")
    return sorted(out, key=lambda nt: -nt[1])


def risk_level(score: float, thresholds: Mapping[str, Any]) -> str:
    """The strictest level whose threshold the score exceeds, else "low"."""
    if not math.isfinite(score):
        raise ValueError(f"score must be finite, got {score}")
    for name, t in level_thresholds(thresholds):
        if score > t:
            return name
    return "low"


def save_thresholds(
    model_dir: str | Path, calibration: Mapping[str, Any], extra: Mapping[str, Any] | None = None
) -> Path:
    path = Path(model_dir) / THRESHOLDS_FILE
    data = dict(calibration)
    if extra:
        data.update(extra)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def load_thresholds(model_dir: str | Path) -> dict[str, Any] | None:
    """The model's calibrated thresholds, or None when the model was never calibrated."""
    path = Path(model_dir) / THRESHOLDS_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    level_thresholds(data)  # validates
    return dict(data)
