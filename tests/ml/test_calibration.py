"""Calibration: the measured human false-positive rate at each level never exceeds its target."""

from __future__ import annotations

import numpy as np
import pytest

from ml.calibration import (
    calibrate,
    load_thresholds,
    rates_at_threshold,
    risk_level,
    save_thresholds,
    threshold_at_fpr,
    tpr_at_fpr,
)


def synthetic(n_h: int = 1000, n_a: int = 800, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    s = np.concatenate([rng.beta(2, 5, n_h), rng.beta(5, 2, n_a)])
    y = np.concatenate([np.zeros(n_h, int), np.ones(n_a, int)])
    return s, y


@pytest.mark.parametrize("seed", range(5))
def test_fpr_never_exceeds_target_and_thresholds_monotone(seed: int) -> None:
    s, y = synthetic(seed=seed, n_h=137 + 50 * seed)
    cal = calibrate(s, y, targets=(("high", 0.01), ("medium", 0.05), ("elevated", 0.2)))
    lv = cal["levels"]
    assert lv["high"]["threshold"] >= lv["medium"]["threshold"] >= lv["elevated"]["threshold"]
    for v in lv.values():
        assert v["fpr"] <= v["target_fpr"]
        fpr, tpr = rates_at_threshold(s, y, v["threshold"])
        assert (fpr, tpr) == (v["fpr"], v["tpr"])
    assert lv["high"]["tpr"] <= lv["medium"]["tpr"] <= lv["elevated"]["tpr"]
    assert cal["n_human"] == int((y == 0).sum())


def test_threshold_is_tight() -> None:
    """Not just safe: lowering the threshold to the next human score would break the target."""
    h = np.arange(200, dtype=float) / 200  # 200 distinct human scores
    t = threshold_at_fpr(h, 0.05)
    assert (h > t).sum() == 10
    assert (h >= t).sum() == 11


def test_ties_do_not_leak_false_positives() -> None:
    h = np.array([0.9] * 10 + [0.1] * 90)
    t = threshold_at_fpr(h, 0.05)
    assert (h > t).mean() <= 0.05


def test_small_human_set_uses_max() -> None:
    assert threshold_at_fpr(np.array([0.2, 0.7, 0.4]), 0.01) == 0.7


def test_risk_level_mapping() -> None:
    th = {"high": 0.9, "medium": 0.6}
    assert risk_level(0.95, th) == "high"
    assert risk_level(0.9, th) == "medium"  # strictly above the threshold to flag
    assert risk_level(0.7, th) == "medium"
    assert risk_level(0.6, th) == "low"
    s, y = synthetic()
    cal = calibrate(s, y)
    levels = [risk_level(float(x), cal) for x in np.sort(s)]
    order = {"low": 0, "medium": 1, "high": 2}
    ranks = [order[v] for v in levels]
    assert ranks == sorted(ranks)  # monotone in the score
    with pytest.raises(ValueError):
        risk_level(float("nan"), th)


def test_tpr_at_fpr_perfect_and_random() -> None:
    y = np.array([0] * 100 + [1] * 100)
    assert tpr_at_fpr(np.r_[np.zeros(100), np.ones(100)], y) == 1.0
    assert tpr_at_fpr(np.r_[np.ones(100), np.zeros(100)], y) == 0.0
    assert np.isnan(tpr_at_fpr(np.ones(3), np.ones(3, int)))


def test_bad_input() -> None:
    with pytest.raises(ValueError):
        calibrate([0.1, 0.2], [1, 1])  # no human scores
    with pytest.raises(ValueError):
        calibrate([0.1], [0, 1])
    with pytest.raises(ValueError):
        calibrate([0.1, 0.2], [0, 2])
    with pytest.raises(ValueError):
        calibrate([0.1, float("nan")], [0, 1])


def test_save_load_round_trip(tmp_path) -> None:
    s, y = synthetic()
    cal = calibrate(s, y)
    assert load_thresholds(tmp_path) is None
    save_thresholds(tmp_path, cal, extra={"split": "dev"})
    back = load_thresholds(tmp_path)
    assert back is not None and back["levels"] == cal["levels"] and back["split"] == "dev"
    assert risk_level(0.99, back) == risk_level(0.99, cal)
