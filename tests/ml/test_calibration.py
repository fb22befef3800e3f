"""Calibration: the measured human false-positive rate at each level never exceeds its target."""

from __future__ import annotations

import numpy as np
import pytest

from ml.calibration import (
    bootstrap_interval,
    calibrate,
    load_thresholds,
    rates_at_threshold,
    risk_level,
    safe_auc,
    save_thresholds,
    target_intervals,
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


def two_sources(seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """A big source whose humans score low and a small one whose humans score high: a pooled 1%
    rate is then mostly the big source's, and the small source's humans are flagged far more often."""
    rng = np.random.default_rng(seed)
    big_h, small_h = rng.beta(2, 8, 900), rng.beta(5, 5, 100)
    ai = rng.beta(8, 2, 600)
    s = np.concatenate([big_h, small_h, ai])
    y = np.concatenate([np.zeros(1000, int), np.ones(600, int)])
    groups = ["big"] * 900 + ["small"] * 100 + ["big"] * 300 + ["small"] * 300
    return s, y, groups


def test_group_rules_hold_per_source_where_pooled_does_not() -> None:
    s, y, g = two_sources()
    pooled = calibrate(s, y, groups=g, rule="pooled")
    balanced = calibrate(s, y, groups=g, rule="balanced")
    worst = calibrate(s, y, groups=g, rule="worst-source")
    assert pooled["levels"]["high"]["fpr_by_group"]["small"] > 0.05  # the failure the rules fix
    bal = balanced["levels"]["high"]["fpr_by_group"]
    assert np.mean(list(bal.values())) <= 0.01
    assert max(worst["levels"]["high"]["fpr_by_group"].values()) <= 0.01
    for cal in (pooled, balanced, worst):
        lv = cal["levels"]
        assert lv["high"]["fpr"] <= 0.01 and lv["medium"]["fpr"] <= 0.05  # pooled rate kept by every rule
        assert lv["high"]["threshold"] >= lv["medium"]["threshold"]
    th = [c["levels"]["high"]["threshold"] for c in (pooled, balanced, worst)]
    assert th[0] <= th[1] <= th[2]  # stricter rule, higher bar
    assert worst["rule"] == "worst-source" and worst["n_human_by_group"] == {"big": 900, "small": 100}


def test_small_groups_do_not_count_and_bad_rules_fail() -> None:
    s, y, g = two_sources()
    g = ["big"] * 900 + ["small"] * 100 + ["big"] * 600
    tiny = list(g)
    for i in range(900, 990):
        tiny[i] = "big"  # "small" keeps 10 humans: below min_group, so it cannot move the threshold
    cal = calibrate(s, y, groups=tiny, rule="worst-source", min_group=15)
    assert set(cal["levels"]["high"]["fpr_by_group"]) == {"big"}
    with pytest.raises(ValueError, match="unknown calibration rule"):
        calibrate(s, y, groups=g, rule="strictest")
    with pytest.raises(ValueError, match="needs the group"):
        calibrate(s, y, rule="balanced")
    with pytest.raises(ValueError, match="groups"):
        calibrate(s, y, groups=g[:-1], rule="balanced")


def test_conformal_keeps_the_promise_on_new_files_where_empirical_does_not() -> None:
    """Calibrate on 150 human scores, measure on fresh ones from the same place, many times over."""
    from ml.calibration import expected_fpr_bound

    rng = np.random.default_rng(3)
    emp, conf = [], []
    for _ in range(3000):
        h = rng.random(150)
        fresh = rng.random(2000)
        emp.append((fresh > threshold_at_fpr(h, 0.01)).mean())
        conf.append((fresh > threshold_at_fpr(h, 0.01, conformal=True)).mean())
    assert np.mean(conf) <= 0.0105  # (k+1)/(n+1) = 1/151 ~ 0.0066 in expectation
    assert np.mean(emp) > 0.012  # empirical: k = 1, 2/151 ~ 0.013
    assert expected_fpr_bound(150, 0.01) == 1 / 151
    assert expected_fpr_bound(150, 0.01, conformal=False) == 2 / 151
    assert expected_fpr_bound(25, 0.01) == 1 / 26  # too few files: the maximum, and a weaker promise
    cal = calibrate(*synthetic(n_h=40))
    assert cal["conformal"] and cal["levels"]["high"]["expected_fpr_bound"] == 1 / 41


def test_bootstrap_interval_contains_the_estimate_and_narrows_with_more_data() -> None:

    def auc(s: np.ndarray, y: np.ndarray) -> float:
        return safe_auc(y, s)

    rng = np.random.default_rng(0)
    widths = []
    for n in (100, 2000):
        y = rng.integers(0, 2, n)
        s = rng.normal(size=n) + y
        lo, hi = bootstrap_interval(s, y, auc, n=300)
        assert lo < auc(s, y) < hi
        widths.append(hi - lo)
    assert widths[1] < widths[0] / 2


def test_bootstrap_interval_resamples_whole_groups() -> None:
    """Files of one task move together: with a few large, internally identical groups the
    interval is wider than the file-level one that pretends they are independent."""
    from ml.calibration import bootstrap_interval

    rng = np.random.default_rng(1)
    groups = np.repeat([f"t{i}" for i in range(10)], 50)
    shift = np.repeat(rng.normal(size=10), 50)  # a per-task offset shared by its files
    y = np.tile(np.repeat([0, 1], 25), 10)
    s = y * 1.0 + shift + rng.normal(scale=0.1, size=500)

    def tpr(a: np.ndarray, b: np.ndarray) -> float:
        return tpr_at_fpr(a, b, 0.05)

    lo_g, hi_g = bootstrap_interval(s, y, tpr, groups, n=300)
    lo_f, hi_f = bootstrap_interval(s, y, tpr, None, n=300)
    assert hi_g - lo_g > hi_f - lo_f
    one_class = bootstrap_interval(s[y == 1], y[y == 1], tpr, n=20)
    assert np.isnan(one_class).all()


def test_target_intervals_are_the_bootstrap_intervals_of_auc_and_tpr_at_1fpr() -> None:
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 400)
    s = y + rng.normal(0, 0.8, 400)
    groups = [f"t{i // 4}" for i in range(400)]
    ci = target_intervals(s, y, groups)
    assert ci["roc_auc"] == bootstrap_interval(s, y, lambda a, b: safe_auc(b, a), groups)
    assert ci["tpr_at_1fpr"] == bootstrap_interval(s, y, lambda a, b: tpr_at_fpr(a, b, 0.01), groups)
    assert ci["roc_auc"][0] <= safe_auc(y, s) <= ci["roc_auc"][1]
    assert ci["tpr_at_1fpr"][0] <= tpr_at_fpr(s, y, 0.01) <= ci["tpr_at_1fpr"][1]
