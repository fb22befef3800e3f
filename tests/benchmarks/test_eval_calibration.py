"""The calibration study's pure parts on synthetic scores: per-rule rows and local recalibration."""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks.eval_calibration import local_recalibration, rule_table


def rows(seed: int = 0) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    out = []
    for src, (a, b, n_h) in {"big": (2, 8, 600), "mid": (3, 6, 120), "odd": (6, 4, 40)}.items():
        out += [{"id": f"{src}-h{i}", "source": src, "label": 0, "score": float(x)}
                for i, x in enumerate(rng.beta(a, b, n_h))]
        out += [{"id": f"{src}-a{i}", "source": src, "label": 1, "score": float(x)}
                for i, x in enumerate(rng.beta(8, 2, 200))]
    return out


def test_rule_table_orders_rules_by_strictness() -> None:
    inside, loso = rule_table(rows())
    assert [r[0] for r in inside] == ["pooled", "balanced", "worst-source"]
    thresholds = [float(r[1]) for r in inside]
    assert thresholds == sorted(thresholds)
    assert float(inside[2][3]) <= 0.01  # worst-source: every counted source within target in-sample
    assert float(inside[0][3]) > 0.01  # pooled: the odd source is not
    assert all(r[1] == 3 for r in loso)
    tprs = [float(r[4]) for r in loso]
    assert tprs[0] >= tprs[2]  # stricter rule costs detections


def test_local_recalibration_rates() -> None:
    odd = [r for r in rows() if r["source"] == "odd" or (r["source"] == "big" and r["label"] == 0)]
    table = local_recalibration(odd, draws=50, seed=1)
    sizes = [r[0] for r in table]
    assert sizes == [25, 50, 100, 200]
    for _n, emp_fpr, emp_tpr, conf_fpr, p95, conf_tpr in table:
        assert float(conf_fpr) <= float(emp_fpr) and float(conf_tpr) <= float(emp_tpr)  # conformal is stricter
        assert float(conf_fpr) <= float(p95) + 1e-9 <= 1
    assert float(table[-1][3]) < 0.02  # 200 local humans: about 1% on the others
