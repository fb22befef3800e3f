"""Retraining on the tiny model: continue → evaluate on the fixed set → register → gate; and
the worker-side hot reload that follows the registry between jobs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.feedback import FeedbackExample, example_id
from bot.retrain import RetrainError, RetrainOptions, load_options, outcome_body, retrain, split_validation
from ml.config import ConfigError
from ml.data import CodeExample
from ml.registry import Registry
from tests.bot.retrain_setup import ai_code, human_code, make_base_model, make_data, write_config


def _fb(code: str, language: str, label: str) -> FeedbackExample:
    ex = FeedbackExample(code, language, label, who="teacher", where="github:o/r#1", path="a")
    ex.id = example_id(code, language)
    return ex


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("retrain")
    return make_data(root), make_base_model(root)


def test_split_validation_is_fixed_stratified_and_order_free() -> None:
    rows = [CodeExample(f"code {i}", "python", i % 2) for i in range(400)]
    calib, evals = split_validation(rows, 0.5)
    assert len(calib) + len(evals) == 400 and 160 < len(evals) < 240
    assert 80 < sum(e.label for e in evals) < 120
    more = list(reversed(rows)) + [CodeExample(f"new {i}", "python", i % 2) for i in range(50)]
    calib2, evals2 = split_validation(more, 0.5)
    # Reordering and growing the file leaves every existing file on its side.
    assert {e.code for e in evals} <= {e.code for e in evals2}
    assert {e.code for e in calib} <= {e.code for e in calib2}
    _, capped = split_validation(rows, 0.5, eval_limit=3)
    assert len(capped) == 6 and {e.code for e in capped} <= {e.code for e in evals}


def test_options_errors(tmp_path: Path) -> None:
    assert isinstance(load_options(""), RetrainOptions)
    with pytest.raises(ConfigError, match="does not exist"):
        load_options(str(tmp_path / "none.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("trian: {}\n")
    with pytest.raises(ConfigError, match="unknown sections"):
        load_options(str(bad))
    bad.write_text("train: {learning_rat: 1}\n")
    with pytest.raises(ConfigError, match="unknown config keys"):
        load_options(str(bad))
    bad.write_text("retrain: {epochs: 0}\n")
    with pytest.raises(ConfigError, match=">= 1"):
        load_options(str(bad))


def test_retrain_promotes_then_refuses_mislabelled_feedback(setup: tuple[Path, Path], tmp_path: Path) -> None:
    data, base = setup
    reg = Registry(tmp_path / "registry")
    good = [_fb(human_code(i), "java", "human") for i in range(300, 304)]
    good += [_fb(ai_code(i), "python", "ai") for i in range(301, 305)]
    # One feedback file is also in the fixed validation set (dev row 101): never trained on.
    good.append(_fb(ai_code(101), "python", "ai"))
    opts = load_options(str(write_config(tmp_path / "good.yaml", data, retrain={"epochs": 1})))
    first = retrain(opts, reg, good, who="teacher", fallback_model=base)
    assert (first.parent, first.version, first.promoted) == ("v0001", "v0002", True), (first.decision, first.metrics)
    assert reg.current() == "v0002" and reg.info("v0001").source == f"import:{base}"
    assert first.training["feedback_files"] == 8 and first.training["feedback_dropped_in_validation"] == 1
    n_eval = first.training["validation"]["evaluation"]
    assert n_eval == first.metrics["n_human"] + first.metrics["n_ai"] and first.metrics["n_human"] >= 3
    assert first.training["validation"]["calibration"] + n_eval == 60
    assert first.metrics["roc_auc"] >= first.parent_metrics["roc_auc"]
    vdir = reg.path("v0002")
    for name in ("config.json", "model.safetensors", "thresholds.json", "training_history.json", "README.md",
                 "registry.json", "tokenizer_config.json"):
        assert (vdir / name).is_file(), name
    assert "## Registry version v0002" in (vdir / "README.md").read_text()
    hist = json.loads((vdir / "training_history.json").read_text())
    assert [e["epoch"] for e in hist["epochs"]] == [1]  # tiny base had no history: starts at epoch 1
    info = reg.info("v0002")
    assert info.parent == "v0001" and info.decision["promote"] is True and info.created_by == "teacher"

    # Labels flipped by mistake, heavily repeated: the new version is measured, kept, not served.
    wrong = [_fb(ai_code(i), "python", "human") for i in range(400, 406)]
    wrong += [_fb(human_code(i), "java", "ai") for i in range(400, 406)]
    opts2 = load_options(str(write_config(tmp_path / "bad.yaml", data, retrain={"epochs": 1, "feedback_repeat": 8},
                                          train={"train_limit": 48, "learning_rate": 0.05})))
    second = retrain(opts2, reg, wrong, who="intern", fallback_model=base)
    assert (second.parent, second.version, second.promoted) == ("v0002", "v0003", False)
    assert second.metrics["roc_auc"] < second.parent_metrics["roc_auc"]
    assert reg.current() == "v0002" and "v0003" in reg.versions()
    hist = json.loads((reg.path("v0003") / "training_history.json").read_text())
    assert [e["epoch"] for e in hist["epochs"]] == [2]  # continued after the parent's epoch
    assert reg.audit_log()[-1]["action"] == "refuse" and reg.audit_log()[-1]["who"] == "intern"
    body = outcome_body(second)
    assert "**Not promoted**" in body and "`v0002` keeps serving" in body and "ROC-AUC dropped" in body
    assert "| ROC-AUC |" in body and "current `v0002`" in body and "new `v0003`" in body


def test_retrain_refuses_without_feedback_or_model(setup: tuple[Path, Path], tmp_path: Path) -> None:
    data, _ = setup
    reg = Registry(tmp_path / "registry")
    opts = load_options(str(write_config(tmp_path / "c.yaml", data)))
    with pytest.raises(RetrainError, match="no labelled feedback"):
        retrain(opts, reg, [], who="t", fallback_model=None)
    with pytest.raises(RetrainError, match="no model to continue from"):
        retrain(opts, reg, [_fb(ai_code(1), "python", "ai")], who="t", fallback_model=tmp_path / "missing")
    assert reg.versions() == []


def test_worker_model_follows_promotion_and_rollback(setup: tuple[Path, Path], tmp_path: Path) -> None:
    from bot import jobs
    from bot.settings import Settings

    _, base = setup
    reg = Registry(tmp_path / "registry")
    for _ in range(2):
        reg.register(base, who="t", source="import")
    reg.promote("v0001", "t")
    settings = Settings(model="default", models_dir=str(tmp_path))
    jobs._model.clear()
    assert jobs.load_model(settings).model_version == "v0001"
    assert jobs.load_model(settings) is jobs.load_model(settings)  # cached between jobs
    reg.promote("v0002", "t")
    assert settings.model_dir() == str(reg.root / "v0002")
    assert jobs.load_model(settings).model_version == "v0002"  # next job: the promoted model
    reg.rollback("t")
    assert jobs.load_model(settings).model_version == "v0001"
    assert len(jobs._model) <= 2
    jobs._model.clear()


def test_retrain_keeps_an_evidence_only_parent_evidence_only(setup: tuple[Path, Path], tmp_path: Path) -> None:
    """The shipped recipe's AI score is the file evidence alone; a retrained version must not
    relearn an encoder path from the parent's zeroed layer (it would be judged on another score)."""
    from ml.evidence import PATHS
    from ml.inference import CodeDetectorInference, saved_encoder_free
    from tests.ml.conftest import make_tiny_model, zero_encoder_path

    data, _ = setup
    parent = make_tiny_model(tmp_path / "parent", max_length=32, seed=3, evidence=PATHS)
    zero_encoder_path(parent, 0.0)
    assert saved_encoder_free(parent)
    reg = Registry(tmp_path / "registry")
    fb = [_fb(human_code(i), "java", "human") for i in range(300, 304)]
    fb += [_fb(ai_code(i), "python", "ai") for i in range(301, 305)]
    opts = load_options(str(write_config(tmp_path / "c.yaml", data, retrain={"epochs": 1})))
    assert opts.train.head_mix_encoder and opts.train.stack_fraction == 0  # the defaults would relearn it
    out = retrain(opts, reg, fb, who="teacher", fallback_model=parent)
    vdir = reg.path(out.version)
    assert saved_encoder_free(vdir), "the retrained head gives the encoder path a weight again"
    assert out.training["ai_score"].startswith("file evidence alone")
    hist = json.loads((vdir / "training_history.json").read_text())
    mix = hist["file_evidence"]["head_mix"]
    assert mix["encoder_excluded"] and mix["encoder_weight"] == 0.0
    # The evidence weights were refitted (not the parent's), and they still tell the files apart.
    det = CodeDetectorInference(vdir)
    assert det.encoder_free_bias is not None
    codes = [human_code(i) for i in range(500, 504)] + [ai_code(i) for i in range(501, 505)]
    scores = det.score(codes, ["java"] * 4 + ["python"] * 4)
    assert scores[4:].min() > scores[:4].max()
    assert "Head mix, refitted on" in (vdir / "README.md").read_text()
