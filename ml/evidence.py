"""File-level evidence for the classification head: stylometric trees and character n-grams.

Why: the encoder reads a file in 256-token windows and, trained on a 2-core CPU, sees a few
thousand of them; two cheap readers of the *whole* file, fitted on every training file in a
minute, are each stronger alone than the encoder path was (aigen dev: boosted trees over
`ml.stylometry` features and a linear model over hashed character n-grams). The classification
head adds their log-odds, each times a learned weight, to its own logit:

    logit = classifier(pooled window, style z-scores) + w . evidence(file)

How they are fitted without leaking (stacking): each path is fitted K times on K-1 folds of
the training files split by group (task/author), and every training file gets the evidence of
the fold that did not see it. The encoder and the weights w train on those out-of-fold values,
so w learns how far to trust each path on files it has not memorised. The paths served are then
refitted on all training files. The arrays live in `evidence.safetensors` beside the weights and
are evaluated with numpy (no torch, no scikit-learn pickle) for both serving backends.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ml.charngrams import CharNgramModel, ngram_counts
from ml.codetext import plain_layout
from ml.explain import REFERENCE_FILE, style_reference
from ml.stylometry import FEATURE_NAMES, style_matrix
from ml.trees import TreeEnsemble

EVIDENCE_FILE = "evidence.safetensors"
STYLE_TREES = "style_trees"
CHAR_NGRAMS = "char_ngrams"
PATHS = (STYLE_TREES, CHAR_NGRAMS)
_ATTR = {STYLE_TREES: "trees", CHAR_NGRAMS: "ngrams"}  # FileEvidence field of each path
TREE_SEEDS = 3  # boosted-tree fits averaged per style-trees path


class EvidenceError(ValueError):
    """Unknown evidence path, or a saved evidence file that does not match its model."""


def check_paths(names: Sequence[str]) -> list[str]:
    unknown = [n for n in names if n not in PATHS]
    if unknown:
        raise EvidenceError(f"unknown file evidence {unknown}; known: {', '.join(PATHS)}")
    if len(set(names)) != len(names):
        raise EvidenceError(f"file evidence listed twice: {list(names)}")
    return list(names)


def _trees_classifier(seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=400, learning_rate=0.05, max_leaf_nodes=31, random_state=seed)


def style_inputs(codes: Sequence[str], languages: Sequence[str]) -> np.ndarray:
    """What the trees read: stylometric features of the plain-layout text."""
    return style_matrix([plain_layout(c) for c in codes], list(languages))


@dataclass(frozen=True)
class EvidenceInputs:
    """What the paths read from a set of files, computed once: stylometric features (trees) and
    hashed n-gram counts (n-grams); rows can be selected to fit on folds without recomputing."""

    style: np.ndarray | None  # [n, len(FEATURE_NAMES)]
    counts: Any  # scipy CSR [n, 2**bits], or None
    languages: tuple[str, ...] = ()  # per file, for the style reference (ml/explain.py); may be empty

    @classmethod
    def of(cls, codes: Sequence[str], languages: Sequence[str], names: Sequence[str]) -> EvidenceInputs:
        return cls(
            style=style_inputs(codes, languages) if STYLE_TREES in names else None,
            counts=ngram_counts(list(codes)) if CHAR_NGRAMS in names else None,
            languages=tuple(languages),
        )

    def __len__(self) -> int:
        return int(self.style.shape[0] if self.style is not None else self.counts.shape[0])

    def rows(self, idx: np.ndarray) -> EvidenceInputs:
        return EvidenceInputs(
            style=self.style[idx] if self.style is not None else None,
            counts=self.counts[idx] if self.counts is not None else None,
            languages=tuple(self.languages[i] for i in idx) if self.languages else (),
        )


@dataclass(frozen=True)
class FileEvidence:
    """The fitted paths, in `names` order: evidence(codes) -> [n, len(names)] log-odds."""

    names: list[str]
    trees: TreeEnsemble | None = None
    ngrams: CharNgramModel | None = None
    style_names: tuple[str, ...] = tuple(FEATURE_NAMES)
    # Median style features of the human training files (ml/explain.py `style_reference`): what
    # `explain` compares a file's habits with. None for evidence saved before it existed.
    reference: dict[str, Any] | None = None

    def matrix(self, codes: Sequence[str], languages: Sequence[str]) -> np.ndarray:
        if not len(codes):
            return np.zeros((0, len(self.names)), dtype=np.float32)
        return self.matrix_of(EvidenceInputs.of(codes, languages, self.names))

    def matrix_of(self, inputs: EvidenceInputs) -> np.ndarray:
        """[n, len(names)] log-odds from precomputed inputs."""
        out = np.zeros((len(inputs), len(self.names)), dtype=np.float32)
        for j, name in enumerate(self.names):
            if name == STYLE_TREES:
                assert self.trees is not None and inputs.style is not None
                out[:, j] = self.trees.decision_function(inputs.style[:, self.style_index()])
            elif name == CHAR_NGRAMS:
                assert self.ngrams is not None and inputs.counts is not None
                out[:, j] = self.ngrams.decision_counts(inputs.counts)
        return out

    def style_index(self) -> list[int]:
        """Columns of `style_matrix` output that the trees read, in their order."""
        missing = [n for n in self.style_names if n not in FEATURE_NAMES]
        if missing:
            raise EvidenceError(
                f"the style trees read features ml/stylometry.py no longer computes: {missing[:5]}; retrain"
            )
        return [FEATURE_NAMES.index(n) for n in self.style_names]

    # ------------------------------------------------------------------------ persistence
    def save(self, model_dir: str | Path) -> Path:
        from safetensors.numpy import save_file

        arrays: dict[str, np.ndarray] = {}
        meta: dict[str, Any] = {"names": self.names, "style_names": list(self.style_names)}
        if self.trees is not None:
            a, m = self.trees.to_arrays("trees.")
            arrays.update(a)
            meta["trees"] = m
        if self.ngrams is not None:
            a, m = self.ngrams.to_arrays("ngrams.")
            arrays.update(a)
            meta["ngrams"] = m
        path = Path(model_dir) / EVIDENCE_FILE
        save_file(arrays, str(path), metadata={"evidence": json.dumps(meta)})
        if self.reference is not None:
            (Path(model_dir) / REFERENCE_FILE).write_text(json.dumps(self.reference, indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, model_dir: str | Path, expected: Sequence[str]) -> FileEvidence:
        from safetensors import safe_open
        from safetensors.numpy import load_file

        path = Path(model_dir) / EVIDENCE_FILE
        if not path.is_file():
            raise EvidenceError(f"{path} is missing: the model's classifier reads file evidence {list(expected)}")
        with safe_open(str(path), framework="np") as fh:
            meta = json.loads((fh.metadata() or {}).get("evidence", "{}"))
        if list(meta.get("names", [])) != list(expected):
            raise EvidenceError(f"{path} holds evidence {meta.get('names')}, the model expects {list(expected)}")
        arrays = load_file(str(path))
        ref_path = Path(model_dir) / REFERENCE_FILE
        reference = json.loads(ref_path.read_text(encoding="utf-8")) if ref_path.is_file() else None
        return cls(
            names=list(expected),
            trees=TreeEnsemble.from_arrays(arrays, meta["trees"], "trees.") if "trees" in meta else None,
            ngrams=CharNgramModel.from_arrays(arrays, meta["ngrams"], "ngrams.") if "ngrams" in meta else None,
            style_names=tuple(meta.get("style_names", FEATURE_NAMES)),
            reference=reference,
        )


# ---------------------------------------------------------------------------------- fitting
def group_folds(groups: Sequence[str], k: int, seed: int) -> list[np.ndarray]:
    """k disjoint index sets; every group lies wholly inside one (a task never straddles folds)."""
    names = sorted(set(groups))
    if k < 2 or len(names) < k:
        raise EvidenceError(f"need at least {k} groups for {k} folds, got {len(names)}")
    rng = np.random.default_rng(seed)
    order = [names[i] for i in rng.permutation(len(names))]
    sizes: dict[str, int] = {}
    for g in groups:
        sizes[g] = sizes.get(g, 0) + 1
    # Largest groups first into the currently smallest fold: folds of similar size.
    fold_of: dict[str, int] = {}
    load = [0] * k
    for g in sorted(order, key=lambda g: -sizes[g]):
        f = int(np.argmin(load))
        fold_of[g] = f
        load[f] += sizes[g]
    idx = np.array([fold_of[g] for g in groups])
    return [np.where(idx == f)[0] for f in range(k)]


def _fit_path(name: str, inputs: EvidenceInputs, y: np.ndarray, seed: int, sw: np.ndarray | None) -> Any:
    if name == STYLE_TREES:
        assert inputs.style is not None
        style = inputs.style
        # A few seeds, averaged (TreeEnsemble.average): one seed's early-stopping split moves dev
        # ROC-AUC by +-0.003; the mean of three is steadier and a little better on average.
        return TreeEnsemble.average(
            [
                TreeEnsemble.from_sklearn(_trees_classifier(seed + i).fit(style, y, sample_weight=sw))
                for i in range(TREE_SEEDS)
            ]
        )
    assert inputs.counts is not None
    return CharNgramModel.fit(inputs.counts, y, sample_weight=sw)


def fit_paths(
    inputs: EvidenceInputs,
    labels: Sequence[int] | np.ndarray,
    names: Sequence[str],
    *,
    seed: int = 0,
    sample_weight: np.ndarray | None = None,
) -> FileEvidence:
    """Every path fitted once on all the given files, without out-of-fold values: what is served,
    and what benchmarks/evidence_variants.py refits with a whole source left out."""
    names = check_paths(names)
    y = np.asarray(labels)
    reference = (
        style_reference(inputs.style, y, inputs.languages, FEATURE_NAMES)
        if STYLE_TREES in names and inputs.style is not None
        else None
    )
    return FileEvidence(
        names=names, reference=reference, **{_ATTR[n]: _fit_path(n, inputs, y, seed, sample_weight) for n in names}
    )


def fit_evidence(
    inputs: EvidenceInputs,
    labels: Sequence[int] | np.ndarray,
    groups: Sequence[str],
    names: Sequence[str],
    *,
    folds: int = 5,
    seed: int = 0,
    sample_weight: np.ndarray | None = None,
    log: Callable[[str], None] = print,
) -> tuple[FileEvidence, np.ndarray, dict[str, Any]]:
    """Fit the paths on all files and return (evidence, out-of-fold matrix [n, k], report).

    `inputs` are precomputed (`EvidenceInputs.of`): the benchmarks reuse one set across many fits.
    `sample_weight` (per file) lets benchmarks/evidence_variants.py weigh sources; training fits
    unweighted (source-balanced weights did not help on dev: docs/BENCHMARKS.md)."""
    from sklearn.metrics import roc_auc_score

    names = check_paths(names)
    y = np.asarray(labels)
    if set(np.unique(y).tolist()) != {0, 1}:
        raise EvidenceError("file evidence needs both human (0) and AI (1) training files")
    t0 = time.time()
    oof = np.zeros((len(inputs), len(names)), dtype=np.float32)
    all_rows = np.arange(len(inputs))
    parts = group_folds(groups, folds, seed)
    report: dict[str, Any] = {"folds": folds, "files": len(inputs)}
    for j, name in enumerate(names):
        for k, held in enumerate(parts):
            train_rows = np.setdiff1d(all_rows, held)
            sw = None if sample_weight is None else sample_weight[train_rows]
            path = _fit_path(name, inputs.rows(train_rows), y[train_rows], seed, sw)
            part = FileEvidence([name], **{_ATTR[name]: path})
            oof[held, j] = part.matrix_of(inputs.rows(held))[:, 0]
            log(f"  {name}: fold {k + 1}/{folds} done ({time.time() - t0:.0f}s)")
        report[f"{name}_oof_roc_auc"] = float(roc_auc_score(y, oof[:, j]))
        log(f"  {name}: out-of-fold ROC-AUC {report[f'{name}_oof_roc_auc']:.4f}")
    evidence = fit_paths(inputs, y, names, seed=seed, sample_weight=sample_weight)
    report["seconds"] = round(time.time() - t0, 1)
    return evidence, oof, report


def stacking_weights(
    oof: np.ndarray, labels: Sequence[int] | np.ndarray, sample_weight: np.ndarray | None = None
) -> np.ndarray:
    """Logistic-regression weights of the out-of-fold evidence columns: where the classifier's
    evidence layer starts, so training begins from the best linear mix of the paths and the
    encoder path learns what they miss."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=1.0, max_iter=1000).fit(oof, np.asarray(labels), sample_weight=sample_weight)
    return clf.coef_.ravel().astype(np.float32)
