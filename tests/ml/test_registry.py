"""The model registry: versions, the promotion rule, rollback and the audit trail."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from ml.registry import (
    PromotionPolicy,
    Registry,
    RegistryError,
    decide,
    evaluate_model,
    evaluate_scores,
    high_level,
)

THRESHOLDS = {"levels": {"high": {"threshold": 0.8, "target_fpr": 0.01}, "medium": {"threshold": 0.5,
                                                                                   "target_fpr": 0.05}}}


def _fake_model(root: Path, name: str = "src") -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "config.json").write_text(json.dumps({"model_type": "codeguard-dual-head", "max_length": 32}))
    (d / "model.safetensors").write_bytes(b"weights")
    return d


def test_register_promote_rollback_and_audit(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "registry")
    assert reg.versions() == [] and reg.current() is None
    a = reg.register(_fake_model(tmp_path, "a"), who="alice", source="import")
    b = reg.register(_fake_model(tmp_path, "b"), who="bob", source="retrain", parent=a.version)
    assert [a.version, b.version] == ["v0001", "v0002"] == reg.versions()
    assert reg.current() is None  # registering never serves
    cfg = json.loads((reg.path("v0002") / "config.json").read_text())
    assert cfg["model_version"] == "v0002" and cfg["max_length"] == 32
    assert (reg.path("v0002") / "model.safetensors").read_bytes() == b"weights"
    assert (tmp_path / "b").is_dir()  # copied, not moved

    assert reg.promote("v0001", "alice") is None
    assert reg.promote("v0002", "carol", reason="better") == "v0001"
    assert reg.current() == "v0002" and reg.current_dir() == reg.root / "v0002"
    assert reg.rollback("dave") == ("v0002", "v0001")
    assert reg.current() == "v0001"
    with pytest.raises(RegistryError, match="nothing to roll back"):
        reg.rollback("dave")  # rolling back does not toggle back and forth
    assert reg.rollback("erin", to="v0002") == ("v0001", "v0002")
    assert reg.rollback("erin") == ("v0002", "v0001")

    log = reg.audit_log()
    assert [(e["action"], e["who"], e["version"]) for e in log] == [
        ("register", "alice", "v0001"), ("register", "bob", "v0002"), ("promote", "alice", "v0001"),
        ("promote", "carol", "v0002"), ("rollback", "dave", "v0001"), ("rollback", "erin", "v0002"),
        ("rollback", "erin", "v0001")]
    assert log[3]["previous"] == "v0001" and log[3]["reason"] == "better"


def test_register_moves_a_staging_dir_and_rejects_non_models(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "registry")
    src = _fake_model(tmp_path)
    info = reg.register(src, who="x", source="retrain", move=True)
    assert not src.exists() and (reg.root / info.version / "registry.json").is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RegistryError, match="no saved model"):
        reg.register(empty, who="x", source="import")
    with pytest.raises(RegistryError, match="no version v0009"):
        reg.promote("v0009", "x")
    with pytest.raises(RegistryError, match="not a registry version"):
        reg.path("../etc")
    assert not any(p.name.startswith(".v") for p in reg.root.iterdir())  # no staging leftovers


def test_refused_version_is_kept_and_needs_force(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "registry")
    base = reg.register(_fake_model(tmp_path, "a"), who="x", source="import")
    reg.promote(base.version, "x")
    bad = decide({"roc_auc": 0.7, "fpr_high": 0.0, "n_human": 50, "target_fpr_high": 0.01}, {"roc_auc": 0.9})
    assert not bad.promote
    cand = reg.register(_fake_model(tmp_path, "b"), who="bot", source="retrain", decision=bad)
    assert reg.apply_decision(cand.version, bad, "bot") is False
    assert reg.current() == base.version and cand.version in reg.versions()
    assert reg.audit_log()[-1]["action"] == "refuse" and "dropped" in reg.audit_log()[-1]["reason"]
    with pytest.raises(RegistryError, match="--force"):
        reg.promote(cand.version, "x")
    reg.promote(cand.version, "x", force=True)
    assert reg.current() == cand.version and reg.audit_log()[-1]["forced"] is True


def test_ensure_baseline_imports_the_served_model_once(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "registry")
    assert reg.ensure_baseline(None, "x") is None
    assert reg.ensure_baseline(tmp_path / "missing", "x") is None
    src = _fake_model(tmp_path)
    assert reg.ensure_baseline(src, "x") == "v0001"
    assert reg.ensure_baseline(src, "x") == "v0001" and reg.versions() == ["v0001"]
    assert reg.info("v0001").source == f"import:{src}"


def test_decide_rule() -> None:
    cur = {"roc_auc": 0.90}
    ok = {"roc_auc": 0.90, "fpr_high": 0.01, "n_human": 400, "target_fpr_high": 0.01}
    d = decide(ok, cur)
    assert d.promote and "did not drop" in d.summary
    assert not decide({**ok, "roc_auc": 0.8999}, cur).promote
    assert decide({**ok, "roc_auc": 0.895}, cur, PromotionPolicy(auc_tolerance=0.01)).promote
    # FPR limit: target plus the sampling margin of n humans (1.645 * sqrt(.01 * .99 / 400) = 0.82 pts)
    margin = 1.645 * math.sqrt(0.01 * 0.99 / 400)
    assert decide({**ok, "fpr_high": 0.01 + margin - 1e-6}, cur).promote
    over = decide({**ok, "fpr_high": 0.01 + margin + 1e-4}, cur)
    assert not over.promote and "exceeds the limit" in over.summary
    assert not decide({**ok, "fpr_high": 0.012}, cur, PromotionPolicy(fpr_margin=0.0)).promote
    assert not decide({**ok, "fpr_high": 0.02}, cur, PromotionPolicy(max_fpr_high=0.01, fpr_margin=0)).promote
    assert decide({**ok, "fpr_high": 0.02}, cur, PromotionPolicy(max_fpr_high=0.05, fpr_margin=0)).promote
    first = decide(ok, None)
    assert first.promote and "no current model" in first.summary
    assert not decide({**ok, "roc_auc": float("nan")}, cur).promote
    assert not decide({**ok, "fpr_high": None}, cur).promote


def test_policy_from_mapping_rejects_unknown_keys() -> None:
    assert PromotionPolicy.from_mapping({"auc_tolerance": 0.01, "fpr_margin": 0}).fpr_margin == 0.0
    with pytest.raises(RegistryError, match="unknown promotion keys"):
        PromotionPolicy.from_mapping({"auc_tolerence": 0.01})


def test_evaluate_scores_counts_the_high_level() -> None:
    scores = np.array([0.1, 0.2, 0.85, 0.3, 0.9, 0.95, 0.7, 0.81])
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    m = evaluate_scores(scores, labels, THRESHOLDS)
    assert m["fpr_high"] == pytest.approx(0.25) and m["tpr_high"] == pytest.approx(0.75)
    assert m["roc_auc"] == pytest.approx(14 / 16) and m["n_human"] == 4 and m["n_ai"] == 4
    assert high_level({"high": 0.7, "medium": 0.4}) == (0.7, None)
    with pytest.raises(RegistryError):
        high_level({"medium": 0.4})


def test_evaluate_model_uses_the_serving_path(tiny_model_dir: Path, tmp_path: Path) -> None:
    from ml.inference import CodeDetectorInference

    reg = Registry(tmp_path / "registry")
    info = reg.register(tiny_model_dir, who="x", source="import")
    codes = ["def f(x):\n    return x + 1\n", "int main() { return 0; }\n", "print('hi')\n",
             "public class A { void f() {} }\n"]
    langs = ["python", "c", "python", "java"]
    labels = [1, 0, 0, 1]
    m = evaluate_model(reg.path(info.version), codes, langs, labels)
    det = CodeDetectorInference(reg.path(info.version))
    expected = evaluate_scores(det.score(codes, langs), labels, det.thresholds)
    assert m["model_version"] == info.version
    assert m["roc_auc"] == pytest.approx(expected["roc_auc"]) and m["fpr_high"] == expected["fpr_high"]
