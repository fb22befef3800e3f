"""Stacking: the seeded slice is stable, and the refitted head mix is exactly what the head computes."""

from __future__ import annotations

import numpy as np
import torch

from ml.model import DualHeadCodeModel
from ml.stacking import stack_groups


def test_stacking_slice_takes_whole_groups_seeded_and_within_its_share() -> None:
    # 800 small groups and one giant one (as an author-grouped source has)
    keys = [f"s:g{i % 800}" for i in range(4000)] + ["s:giant"] * 1500
    picked = stack_groups(keys, 13, 0.05)
    files = sum(k in picked for k in keys)
    assert 0.045 * len(keys) < files <= 0.05 * len(keys)
    assert "s:giant" not in picked  # too large to fit: passed over, never split
    assert picked == stack_groups(list(reversed(keys)), 13, 0.05)  # order of files does not matter
    assert picked != stack_groups(keys, 14, 0.05)
    assert stack_groups(keys, 13, 0.0) == set()
    # every source gives its share, however its groups are sized
    two = [f"a:g{i}" for i in range(1000)] + [f"b:g{i % 20}" for i in range(1000)]
    picked = stack_groups(two, 13, 0.1)
    for src in "ab":
        assert 60 <= sum(k in picked for k in two if k.startswith(src + ":")) <= 100


def tiny_head_inputs(root, seed: int):  # noqa: ANN001, ANN201
    """A tiny model with file evidence, 200 random files' pooled/style/evidence inputs, and what its
    encoder path says about them (its logit with the evidence at zero)."""
    from ml.evidence import PATHS
    from tests.ml.conftest import make_tiny_model

    model = DualHeadCodeModel.from_pretrained(make_tiny_model(root, evidence=PATHS))
    g = torch.Generator().manual_seed(seed)
    pooled = torch.randn(200, model.hidden_size, generator=g)
    style = torch.rand(200, model.config.n_style, generator=g)
    ev = torch.randn(200, 2, generator=g)
    with torch.no_grad():
        enc = model.classify(pooled, style, torch.zeros(200, 2)).numpy().astype(np.float64)
    return model, g, pooled, style, ev, enc


def test_refit_head_mix_folds_the_fitted_mix_into_the_head(tmp_path) -> None:  # noqa: ANN001
    from ml.stacking import refit_head_mix

    model, g, pooled, style, ev, enc = tiny_head_inputs(tmp_path, 0)
    labels = (ev[:, 1].numpy() + 0.3 * enc > 0).astype(int)
    mix = refit_head_mix(model, enc, ev.numpy().astype(np.float64), labels, np.ones(200))
    assert mix["encoder_weight"] > 0 and mix["evidence_weights"]["char_ngrams"] > 1.0
    with torch.no_grad():
        now = model.classify(pooled, style, ev).numpy()
    w = np.array(list(mix["evidence_weights"].values()))
    np.testing.assert_allclose(now, mix["encoder_weight"] * enc + ev.numpy() @ w + mix["bias"], atol=1e-4)
    # An encoder path that points the wrong way is switched off, not trusted backwards.
    mix = refit_head_mix(model, now, ev.numpy().astype(np.float64), (now < np.median(now)).astype(int), np.ones(200))
    assert mix["encoder_weight"] == 0.0
    with torch.no_grad():
        a = model.classify(pooled, style, ev)
        b = model.classify(torch.randn(200, model.hidden_size, generator=g), style, ev)
    torch.testing.assert_close(a, b)


def test_refit_head_mix_can_leave_the_encoder_path_out_of_the_ai_score(tmp_path) -> None:  # noqa: ANN001
    """head_mix_encoder: false serves the evidence alone even where the encoder path would help."""
    from ml.evidence import PATHS
    from ml.stacking import refit_head_mix
    from tests.ml.conftest import make_tiny_model

    model, g, pooled, style, ev, enc = tiny_head_inputs(tmp_path, 1)
    labels = (ev[:, 0].numpy() + enc / enc.std() > 0).astype(int)  # the encoder path carries half the signal
    assert refit_head_mix(model, enc, ev.numpy().astype(np.float64), labels, np.ones(200))["encoder_weight"] > 0
    model = DualHeadCodeModel.from_pretrained(make_tiny_model(tmp_path / "again", evidence=PATHS))
    mix = refit_head_mix(model, enc, ev.numpy().astype(np.float64), labels, np.ones(200), use_encoder=False)
    assert mix["encoder_weight"] == 0.0 and mix["evidence_weights"]["style_trees"] > 0
    with torch.no_grad():
        now = model.classify(pooled, style, ev).numpy()
        other = model.classify(torch.randn(200, model.hidden_size, generator=g), style, ev).numpy()
    w = np.array(list(mix["evidence_weights"].values()))
    np.testing.assert_allclose(now, ev.numpy() @ w + mix["bias"], atol=1e-4)
    np.testing.assert_allclose(now, other, atol=1e-6)  # what the encoder reads no longer moves the score


def test_head_mix_encoder_off_needs_a_stacking_slice() -> None:
    import pytest

    from ml.config import ConfigError, TrainConfig

    with pytest.raises(ConfigError, match="head_mix_encoder"):
        TrainConfig(file_evidence=["style_trees"], stack_fraction=0.0, head_mix_encoder=False).validate()
    TrainConfig(file_evidence=["style_trees"], stack_fraction=0.05, head_mix_encoder=False).validate()


def test_head_mix_on_a_one_class_slice_falls_back_only_for_an_evidence_only_score(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """A small data set may leave no usable slice: an evidence-only score is then fitted on the
    training files' out-of-fold evidence (no encoder pass); a mixed one keeps what training learned."""
    from ml.data import CodeExample
    from ml.evidence import PATHS
    from ml.inference import CodeDetectorInference, saved_encoder_free
    from ml.model import load_tokenizer
    from ml.stacking import head_mix_on_slice
    from tests.ml.conftest import make_tiny_model, tiny_evidence_rows

    d = make_tiny_model(tmp_path, evidence=PATHS)
    codes, langs, labels, groups = tiny_evidence_rows()
    rng = np.random.default_rng(0)
    # Out-of-fold-like evidence: the style column tells the classes apart, the n-gram column is noise.
    rows = [CodeExample(c, lang, y, "src", g, evidence=(3.0 * (2 * y - 1) + rng.normal(), rng.normal()))
            for c, lang, y, g in zip(codes, langs, labels, groups, strict=True)]
    one_class = [r for r in rows if r.label == 1][:3]
    tok = load_tokenizer(str(d))
    weights_before = (d / "model.safetensors").read_bytes()
    kept = head_mix_on_slice(d, one_class, 1.0, "cpu", 8, tok, lambda _: None, use_encoder=True, fallback=rows)
    assert kept["skipped"] == "one class only" and (d / "model.safetensors").read_bytes() == weights_before
    assert head_mix_on_slice(d, one_class, 1.0, "cpu", 8, tok, lambda _: None, use_encoder=False)["skipped"]

    def no_encoder(*_: object) -> None:
        raise AssertionError("the encoder ran")

    monkeypatch.setattr(CodeDetectorInference, "_forward", no_encoder)
    mix = head_mix_on_slice(d, one_class, 1.0, "cpu", 8, tok, lambda _: None, use_encoder=False, fallback=rows)
    assert mix["files"] == len(rows) and mix["rows"].startswith("training files") and mix["before"] is None
    assert mix["encoder_weight"] == 0.0 and mix["evidence_weights"]["style_trees"] > 0.5
    assert mix["after"]["roc_auc"] > 0.95 and saved_encoder_free(d)
