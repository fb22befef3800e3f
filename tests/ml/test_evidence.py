"""File evidence: folds keep groups whole, out-of-fold values do not remember their own labels,
and the saved paths reproduce the fitted ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from ml.evidence import (
    CHAR_NGRAMS,
    PATHS,
    STYLE_TREES,
    EvidenceError,
    EvidenceInputs,
    FileEvidence,
    check_paths,
    fit_evidence,
    fit_paths,
    group_folds,
    stacking_weights,
)
from tests.ml.conftest import tiny_evidence_rows


def quiet(_: str) -> None:
    pass


inputs_of = EvidenceInputs.of


def test_group_folds_partition_and_keep_groups_whole() -> None:
    groups = [f"g{i % 13}" for i in range(200)] + ["big"] * 60
    folds = group_folds(groups, 5, seed=3)
    assert sorted(np.concatenate(folds).tolist()) == list(range(len(groups)))
    for f in folds:
        others = set(np.concatenate([g for g in folds if g is not f]).tolist())
        assert not {groups[i] for i in f} & {groups[i] for i in others}
    assert max(len(f) for f in folds) < 2 * min(len(f) for f in folds) + 60
    with pytest.raises(EvidenceError, match="groups"):
        group_folds(["a", "b"], 5, seed=0)


def test_out_of_fold_values_do_not_know_their_own_labels() -> None:
    """Random labels: fitted on everything, n-grams memorise them; out of fold they cannot."""
    rng = np.random.default_rng(0)
    codes = [f"int v{i} = {rng.integers(1000)};\nreturn f{i % 7}(v{i});\n" for i in range(300)]
    labels = rng.integers(0, 2, 300).tolist()
    groups = [f"g{i}" for i in range(300)]
    evidence, oof, report = fit_evidence(inputs_of(codes, ["java"] * 300, [CHAR_NGRAMS]), labels, groups, [CHAR_NGRAMS], folds=5, log=quiet)
    in_sample = evidence.matrix(codes, ["java"] * 300)[:, 0]
    assert roc_auc_score(labels, in_sample) > 0.95
    assert abs(roc_auc_score(labels, oof[:, 0]) - 0.5) < 0.1
    assert report[f"{CHAR_NGRAMS}_oof_roc_auc"] == pytest.approx(roc_auc_score(labels, oof[:, 0]))


def test_fit_save_load_reproduces_both_paths(tmp_path: Path) -> None:
    codes, langs, labels, groups = tiny_evidence_rows()
    evidence, oof, report = fit_evidence(inputs_of(codes, langs, PATHS), labels, groups, list(PATHS), folds=2, log=quiet)
    assert oof.shape == (len(codes), 2) and report["files"] == len(codes)
    m = evidence.matrix(codes, langs)
    assert roc_auc_score(labels, m[:, 1]) == 1.0  # the two styles differ in every n-gram
    evidence.save(tmp_path)
    back = FileEvidence.load(tmp_path, list(PATHS))
    np.testing.assert_allclose(back.matrix(codes, langs), m, atol=1e-6)
    # The served fit carries the human files' median style (ml/explain.py), saved beside the arrays.
    assert evidence.reference is not None and back.reference == evidence.reference
    assert evidence.reference["files"] == {"*": labels.count(0)}
    with pytest.raises(EvidenceError, match="expects"):
        FileEvidence.load(tmp_path, [STYLE_TREES])
    with pytest.raises(EvidenceError, match="missing"):
        FileEvidence.load(tmp_path / "nowhere", list(PATHS))
    assert evidence.matrix([], []).shape == (0, 2)


def test_bad_requests_are_refused() -> None:
    with pytest.raises(EvidenceError, match="unknown"):
        check_paths(["perplexity"])
    with pytest.raises(EvidenceError, match="twice"):
        check_paths([CHAR_NGRAMS, CHAR_NGRAMS])
    codes, langs, _, groups = tiny_evidence_rows()
    with pytest.raises(EvidenceError, match="both"):
        fit_evidence(inputs_of(codes, langs, [CHAR_NGRAMS]), [0] * len(codes), groups, [CHAR_NGRAMS], folds=2, log=quiet)


def test_stacking_weights_trust_the_informative_column() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 500)
    oof = np.column_stack([rng.normal(size=500), 3.0 * (y - 0.5) + rng.normal(size=500)])
    w = stacking_weights(oof, y.tolist())
    assert w[1] > 1.0 and abs(w[0]) < 0.3


def test_sample_weights_decide_between_conflicting_sources() -> None:
    """Two sources label the same kind of text oppositely; the heavier source wins, and unit
    weights are the unweighted fit."""
    codes = [f"int {'alpha' if i % 2 else 'beta'}{i} = {i};\n" for i in range(200)]
    src_a = np.arange(200) < 100
    labels = [int((i % 2 == 1) == bool(src_a[i])) for i in range(200)]  # A: alpha = AI; B: alpha = human
    groups = [f"g{i}" for i in range(200)]
    alpha = np.array([i % 2 == 1 for i in range(200)])
    inputs = inputs_of(codes, ["java"] * 200, [CHAR_NGRAMS])

    def alpha_minus_beta(sw: np.ndarray | None) -> float:
        evidence, _, _ = fit_evidence(inputs, labels, groups, [CHAR_NGRAMS], folds=2, sample_weight=sw, log=quiet)
        s = evidence.matrix(codes, ["java"] * 200)[:, 0]
        return float(s[alpha].mean() - s[~alpha].mean())

    assert alpha_minus_beta(np.where(src_a, 1.0, 0.05)) > 0.5
    assert alpha_minus_beta(np.where(src_a, 0.05, 1.0)) < -0.5
    codes2, langs2, labels2, groups2 = tiny_evidence_rows()
    inputs2 = inputs_of(codes2, langs2, PATHS)
    plain = fit_evidence(inputs2, labels2, groups2, list(PATHS), folds=2, log=quiet)
    ones = fit_evidence(inputs2, labels2, groups2, list(PATHS), folds=2, sample_weight=np.ones(len(codes2)), log=quiet)
    np.testing.assert_allclose(ones[1], plain[1], atol=1e-5)
    np.testing.assert_allclose(ones[0].matrix(codes2, langs2), plain[0].matrix(codes2, langs2), atol=1e-5)


def test_fit_paths_is_the_served_fit_of_fit_evidence() -> None:
    """The paths fit_evidence returns are fit_paths on all rows: the leave-one-source-out
    benchmark refits with fit_paths and must get what training would serve."""
    codes, langs, labels, groups = tiny_evidence_rows()
    inputs = inputs_of(codes, langs, PATHS)
    served, _, _ = fit_evidence(inputs, labels, groups, list(PATHS), folds=2, seed=3, log=quiet)
    alone = fit_paths(inputs, labels, list(PATHS), seed=3)
    np.testing.assert_allclose(alone.matrix(codes, langs), served.matrix(codes, langs), atol=1e-6)
    with pytest.raises(EvidenceError, match="unknown"):
        fit_paths(inputs, labels, ["bigger_trees"])
