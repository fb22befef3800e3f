"""Risk levels from measured false-positive rates on human validation code, not guessed cut-offs.

A raw classifier probability means little to a teacher or reviewer; "at most 1% of human
code we validated on scores this high" does. `calibrate` turns validation scores into such
thresholds and records the rates actually measured there, so the model card can state them.

Convention: a file is flagged at a level when its score is strictly greater than the level's
threshold, so ties with the human score at the cut-off never count against a human.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

THRESHOLDS_FILE = "thresholds.json"
RISK_LEVELS = ("high", "medium", "low")
DEFAULT_TARGETS: tuple[tuple[str, float], ...] = (("high", 0.01), ("medium", 0.05))


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


def threshold_at_fpr(human_scores: np.ndarray, max_fpr: float) -> float:
    """Smallest threshold t with mean(human_scores > t) <= max_fpr.

    With n human scores at most floor(max_fpr * n) may lie above t, so t is the
    (k+1)-th largest human score. Fewer than 1/max_fpr humans means t is their maximum:
    the empirical estimate cannot promise a rate below 1/n.
    """
    h = np.sort(np.asarray(human_scores, dtype=np.float64))[::-1]
    if h.size == 0:
        raise ValueError("need at least one human score to calibrate")
    if not 0.0 <= max_fpr < 1.0:
        raise ValueError(f"max_fpr must be in [0, 1), got {max_fpr}")
    # A tiny epsilon keeps 0.05 * 100 == 5 rather than 4.999...
    k = math.floor(max_fpr * h.size + 1e-9)
    return float(h[min(k, h.size - 1)])


def rates_at_threshold(scores: np.ndarray, labels: np.ndarray, threshold: float) -> tuple[float, float]:
    """(false-positive rate, true-positive rate) of the rule score > threshold."""
    s, y = _as_arrays(scores, labels)
    flagged = s > threshold
    fpr = float(flagged[y == 0].mean()) if (y == 0).any() else float("nan")
    tpr = float(flagged[y == 1].mean()) if (y == 1).any() else float("nan")
    return fpr, tpr


def tpr_at_fpr(
    scores: Sequence[float] | np.ndarray, labels: Sequence[int] | np.ndarray, max_fpr: float = 0.01
) -> float:
    """True-positive rate at the threshold that keeps the false-positive rate <= max_fpr."""
    s, y = _as_arrays(scores, labels)
    if not (y == 0).any() or not (y == 1).any():
        return float("nan")
    t = threshold_at_fpr(s[y == 0], max_fpr)
    return float((s[y == 1] > t).mean())


def calibrate(
    scores: Sequence[float] | np.ndarray,
    labels: Sequence[int] | np.ndarray,
    targets: Sequence[tuple[str, float]] = DEFAULT_TARGETS,
) -> dict[str, Any]:
    """Thresholds per risk level such that at most `target` of human validation code scores above.

    Returns {"levels": {name: {"threshold", "target_fpr", "fpr", "tpr"}}, "n_human", "n_ai"}.
    Levels with a smaller target get a threshold at least as high (monotone by construction,
    and checked), so "high" never fires where "medium" would not.
    """
    s, y = _as_arrays(scores, labels)
    human = s[y == 0]
    if human.size == 0:
        raise ValueError("calibration needs human (label 0) validation scores")
    names = [name for name, _ in targets]
    if len(set(names)) != len(names) or "low" in names:
        raise ValueError(f"level names must be unique and not 'low': {names}")
    levels: dict[str, dict[str, float]] = {}
    for name, target in sorted(targets, key=lambda nt: nt[1]):
        t = threshold_at_fpr(human, target)
        fpr, tpr = rates_at_threshold(s, y, t)
        levels[name] = {"threshold": t, "target_fpr": float(target), "fpr": fpr, "tpr": tpr}
    ordered = sorted(levels.values(), key=lambda v: v["target_fpr"])
    for stricter, looser in zip(ordered, ordered[1:], strict=False):
        if stricter["threshold"] < looser["threshold"]:
            raise AssertionError("calibrated thresholds are not monotone")  # impossible by construction
    return {"levels": levels, "n_human": int(human.size), "n_ai": int((y == 1).sum())}


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
