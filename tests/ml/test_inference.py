"""CodeDetectorInference on a tiny random model: contracts, windowing, batching, caching."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from ml.author_baseline import shifted_score
from ml.calibration import calibrate, save_thresholds
from ml.inference import (
    CodeDetectorInference,
    InferenceError,
    clear_cache,
    get_detector,
    saved_evidence_weights,
)
from tests.ml.conftest import with_relative_levels

PY = "def add(a, b):\n    # Sum two numbers.\n    return a + b\n"
JAVA = "public class A {\n    int add(int a, int b) {\n        return a + b;\n    }\n}\n"


def long_code(n: int = 60) -> str:
    return "".join(f"def f{i}(x):\n    value_{i} = x * {i}\n    return value_{i} + {i}\n\n" for i in range(n))


@pytest.fixture(scope="module")
def det(tiny_model_dir: Path) -> CodeDetectorInference:
    return CodeDetectorInference(tiny_model_dir)


def test_detect_ai_contract(det: CodeDetectorInference) -> None:
    r = det.detect_ai(PY, "python")
    assert set(r) == {"ai_score", "is_ai", "risk_level"}
    assert 0.0 <= r["ai_score"] <= 1.0
    assert r["risk_level"] in {"low", "medium", "high"}
    assert r["is_ai"] == (r["risk_level"] == "high")
    assert not det.calibrated  # the tiny model has no thresholds.json


def test_batch_equals_single_and_order_is_kept(det: CodeDetectorInference) -> None:
    codes = [PY, JAVA, long_code(12), PY + "\nprint(add(1, 2))\n"]
    langs = ["python", "java", "python", "python"]
    emb, scores = det.analyse(codes, langs)
    assert emb.shape == (4, 16) and scores.shape == (4,)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    for i, (c, lang) in enumerate(zip(codes, langs, strict=True)):
        e1, s1 = det.analyse([c], [lang])
        np.testing.assert_allclose(e1[0], emb[i], atol=1e-5)
        assert s1[0] == pytest.approx(scores[i], abs=1e-5)
    np.testing.assert_allclose(det.score(codes, langs), scores, atol=1e-6)
    np.testing.assert_allclose(det.embed(codes, langs), emb, atol=1e-6)


def test_long_files_are_windowed_not_truncated(det: CodeDetectorInference) -> None:
    code = long_code(20)
    wins, weights = det.windows_of(code)
    assert len(wins) > 3 and all(len(w) <= det.max_length for w in wins)
    # Changing only the end of a long file must change its score: truncation would ignore it.
    tail_changed = code + "".join(f"class Extra{i}:\n    pass\n" for i in range(30))
    assert det.score([tail_changed], ["python"])[0] != pytest.approx(
        det.score([code], ["python"])[0], abs=1e-7
    )
    per_window = det.window_logits([code], ["python"])[0]
    assert per_window[0].shape == (len(wins),) and per_window[1] == weights


def test_similarity(det: CodeDetectorInference) -> None:
    s_same = det.compute_similarity(PY, PY, "python", "python")
    s_other = det.compute_similarity(PY, JAVA, "python", "java")
    assert s_same == pytest.approx(1.0, abs=1e-5)
    assert 0.0 <= s_other <= 1.0
    assert s_other < s_same


def test_bad_input(det: CodeDetectorInference) -> None:
    with pytest.raises(ValueError, match="empty"):
        det.score([PY, "   \n"], ["python", "python"])
    with pytest.raises(ValueError):
        det.score([PY], ["python", "java"])
    with pytest.raises(TypeError):
        det.score(PY, ["python"])  # type: ignore[arg-type]
    assert det.score([], []).shape == (0,)


def test_calibrated_thresholds_are_used(tiny_model_dir: Path, tmp_path: Path) -> None:
    d = tmp_path / "m"
    shutil.copytree(tiny_model_dir, d)
    base = CodeDetectorInference(d)
    s = float(base.score([PY], ["python"])[0])
    # Human scores all below s except none: the 1% threshold sits just below this file's score.
    human = np.array([s - 0.02] * 50 + [s - 0.01] * 50)
    save_thresholds(d, calibrate(np.r_[human, [0.99]], np.r_[np.zeros(100, int), [1]]))
    det = CodeDetectorInference(d)
    assert det.calibrated
    assert det.detect_ai(PY, "python")["risk_level"] == "high"
    assert det.detect_ai(PY, "python")["is_ai"] is True
    with pytest.raises(InferenceError, match="no relative risk levels"):
        det.detect_ai(PY, "python", history=[PY])


def test_history_gives_a_relative_level(tiny_model_dir: Path, tmp_path: Path) -> None:
    d, cal = with_relative_levels(tiny_model_dir, tmp_path / "m")
    det = CodeDetectorInference(d)
    other = "def g(values):\n    total = 0\n    for v in values:\n        total += v\n    return total\n"
    r = det.detect_ai(PY, "python", history=[other, PY])
    s, hist = float(det.score([PY], ["python"])[0]), det.score([other, PY], ["python"] * 2).tolist()
    assert r["relative_score"] == pytest.approx(shifted_score(s, hist, 0.5), abs=1e-6)
    assert r["relative_level"] == ("high" if r["relative_score"] > cal["relative"]["levels"]["high"]["threshold"]
                                   else "medium" if r["relative_score"] > cal["relative"]["levels"]["medium"]["threshold"]
                                   else "low")
    assert "relative_score" not in det.detect_ai(PY, "python")


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InferenceError, match="no trained model"):
        CodeDetectorInference(tmp_path)
    with pytest.raises(InferenceError, match="not found"):
        CodeDetectorInference(tmp_path / "nope")


def test_onnx_backend_without_export_is_a_clear_error(tiny_model_dir: Path, tmp_path: Path) -> None:
    d = tmp_path / "m"
    shutil.copytree(tiny_model_dir, d)
    with pytest.raises(InferenceError, match="codeguard export --onnx"):
        CodeDetectorInference(d, backend="onnx")


def test_get_detector_caches(tiny_model_dir: Path) -> None:
    clear_cache()
    a = get_detector(tiny_model_dir)
    assert get_detector(str(tiny_model_dir)) is a
    clear_cache()
    assert get_detector(tiny_model_dir) is not a


def test_file_evidence_adds_its_weighted_log_odds_to_every_window(tmp_path: Path) -> None:
    import torch

    from ml.evidence import EVIDENCE_FILE, PATHS
    from ml.model import DualHeadCodeModel
    from tests.ml.conftest import make_tiny_model

    d = make_tiny_model(tmp_path, evidence=PATHS)
    codes = [JAVA, long_code(30), "int total=0;\nfor(int i=0;i<n;i++){ total+=a[i]; }\n"]
    langs = ["java", "python", "java"]
    with_ev = CodeDetectorInference(d)
    assert with_ev.evidence is not None
    ev = with_ev.evidence.matrix(codes, langs)
    model = DualHeadCodeModel.from_pretrained(d)
    assert model.evidence_head is not None
    w = model.evidence_head.weight.detach().numpy().ravel().copy()
    with torch.no_grad():
        model.evidence_head.weight.zero_()
    d0 = tmp_path / "no-evidence-weight"
    shutil.copytree(d, d0)
    model.save_pretrained(d0)
    without = CodeDetectorInference(d0)

    def logit(p: np.ndarray) -> np.ndarray:
        return np.log(p) - np.log1p(-p)

    diff = logit(with_ev.score(codes, langs).astype(np.float64)) - logit(without.score(codes, langs).astype(np.float64))
    np.testing.assert_allclose(diff, ev @ w, atol=1e-3)
    assert np.abs(ev @ w).max() > 0.1  # the check above is not vacuous
    # The split the card and the head mix use: served logit = encoder path + evidence term.
    logits, term = with_ev.logit_parts(codes, langs)
    np.testing.assert_allclose(term, ev @ w, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(logits, logit(with_ev.score(codes, langs).astype(np.float64)), atol=1e-4)
    np.testing.assert_allclose(logits - term, logit(without.score(codes, langs).astype(np.float64)), atol=1e-3)
    np.testing.assert_allclose(saved_evidence_weights(d), w, rtol=1e-6)
    assert not without.logit_parts(codes, langs)[1].any()  # zero weights: no evidence term
    (d / EVIDENCE_FILE).unlink()
    with pytest.raises(InferenceError, match="evidence"):
        CodeDetectorInference(d)


def test_logit_parts_without_file_evidence_is_all_encoder(tiny_model_dir: Path) -> None:
    det = CodeDetectorInference(tiny_model_dir)
    codes, langs = [PY, JAVA, long_code(40)], ["python", "java", "python"]
    logits, term = det.logit_parts(codes, langs)
    assert logits.shape == term.shape == (3,)
    assert not term.any()
    p = det.score(codes, langs).astype(np.float64)
    np.testing.assert_allclose(logits, np.log(p) - np.log1p(-p), atol=1e-4)
    with pytest.raises(InferenceError, match="no file-evidence weights"):
        saved_evidence_weights(tiny_model_dir)
    empty = det.logit_parts([], [])
    assert empty[0].shape == empty[1].shape == (0,)


def test_an_encoder_free_head_scores_without_the_encoder(tmp_path: Path) -> None:
    """A head mix that gave the encoder path weight 0 serves bias + w . evidence: `score` skips the
    encoder pass and gives what the full pass gives."""
    from ml.evidence import PATHS
    from ml.inference import saved_encoder_free
    from tests.ml.conftest import make_tiny_model, zero_encoder_path

    d = make_tiny_model(tmp_path, evidence=PATHS)
    assert CodeDetectorInference(d).encoder_free_bias is None  # a trained-looking head reads the encoder
    assert not saved_encoder_free(d)
    heads = zero_encoder_path(d, 0.35)
    assert saved_encoder_free(d)
    det = CodeDetectorInference(d)
    assert det.encoder_free_bias == pytest.approx(0.35 * heads)
    codes, langs = [JAVA, long_code(30), PY], ["java", "python", "python"]
    lazy = det.score(codes, langs)
    assert det._model is None and det._tokenizer is None  # neither loaded for the AI score
    full = det.analyse(codes, langs)[1]
    assert det._model is not None and det._tokenizer is not None  # embeddings load them on first use
    np.testing.assert_allclose(lazy, full, atol=1e-5)

    def no_encoder(*_: object) -> None:
        raise AssertionError("the encoder ran")

    det._forward = no_encoder  # type: ignore[method-assign]
    fast = det.score(codes, langs)
    np.testing.assert_allclose(fast, full, atol=1e-5)
    assert np.ptp(fast) > 0.01  # the evidence still tells the files apart
    logits, term = det.logit_parts(codes, langs)
    np.testing.assert_allclose(logits - term, 0.35 * heads, atol=1e-12)
    np.testing.assert_allclose(1 / (1 + np.exp(-logits)), fast, atol=1e-6)
    from ml.train import logit_part_metrics

    parts = logit_part_metrics(logits, term, np.array([0, 1, 1]))
    assert parts["encoder_path"] == {"constant": pytest.approx(0.35 * heads)}
    assert parts["evidence_term"]["roc_auc"] in (0.0, 0.5, 1.0)
    assert det.score([], []).shape == (0,)
    with pytest.raises(ValueError, match="empty"):
        det.score(["  "], ["python"])
    with pytest.raises(AssertionError, match="encoder ran"):
        det.analyse(codes, langs)  # embeddings still need the encoder
