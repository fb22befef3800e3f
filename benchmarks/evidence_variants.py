"""Variants of the file-evidence stack (ml.evidence), scored on aigen dev: what moves the numbers?

Why this exists: the shipped model's served dev score is its file-evidence term plus an encoder
path that adds nothing measurable (docs/BENCHMARKS.md: evidence term alone 0.976 / 0.647 against
served 0.976 / 0.626). So a change to the evidence can be judged here in a few minutes per
variant instead of a 25-minute retrain, on exactly the training rows the recipe uses
(`ml.train.TrainingData`: aigen train + Rosetta human rows, Python type hints stripped) and the
same group folds and seed. Each variant is reported with 95% intervals over resampled dev tasks
(`ml.calibration.target_intervals`), because a few dev humans set TPR@1%FPR.

Variants (comma-separated in --variants):
  shipped              the recipe's evidence as training fits it, mixed by logistic regression on the
                       out-of-fold values (where the classifier's evidence weights start; the served
                       model's head mix rescales them)
  source-alpha=A       files weighted so every (source, label) cell has mass ~ count**A, as the
                       encoder's sampler does (`ml.data.sampling_weights`): in the paths and the mix.
                       A=1 is `shipped`; A=0 gives every cell the same mass
  lang-offset          `shipped`, then each language's scores shifted so that the 99th percentile of
                       its out-of-fold *training* human scores meets the pooled one (languages with
                       at least 20 training humans; the rest keep their scores)
  no-rosetta-humans    the Rosetta human rows left out of training

Usage:
  python -m benchmarks.evidence_variants                      # all variants, writes docs
  python -m benchmarks.evidence_variants --variants shipped,source-alpha=0.5 --no-write
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.report import publish
from ml.calibration import safe_auc, target_intervals, tpr_at_fpr
from ml.data import CodeExample, sampling_weights
from ml.evidence import PATHS, EvidenceInputs, FileEvidence, fit_evidence, stacking_weights
from ml.stacking import group_key

ROOT = Path(__file__).resolve().parents[1]
SECTION = "File-evidence variants (aigen dev)"
DEFAULT_VARIANTS = "shipped,source-alpha=0.5,source-alpha=0.25,lang-offset,no-rosetta-humans"
ROSETTA_HUMAN = "rosetta-human"  # the source name ml.data.rosetta_human_examples gives its rows
OFFSET_QUANTILE = 0.99
OFFSET_MIN_HUMANS = 20


@dataclass(frozen=True)
class Variant:
    """One parsed --variants entry."""

    spec: str
    source_alpha: float = 1.0
    lang_offset: bool = False
    drop_rosetta_humans: bool = False


def parse_variant(spec: str) -> Variant:
    spec = spec.strip()
    if spec == "shipped":
        return Variant(spec)
    if spec == "lang-offset":
        return Variant(spec, lang_offset=True)
    if spec == "no-rosetta-humans":
        return Variant(spec, drop_rosetta_humans=True)
    if spec.startswith("source-alpha="):
        try:
            alpha = float(spec.split("=", 1)[1])
        except ValueError:
            alpha = -1.0
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"{spec!r}: source-alpha takes a number from 0 to 1")
        return Variant(spec, source_alpha=alpha)
    raise ValueError(f"unknown variant {spec!r}; known: shipped, source-alpha=A, lang-offset, no-rosetta-humans")


def language_offsets(
    scores: np.ndarray,
    labels: np.ndarray,
    languages: Sequence[str],
    q: float = OFFSET_QUANTILE,
    min_humans: int = OFFSET_MIN_HUMANS,
) -> dict[str, float]:
    """Per language, how far the q-quantile of its human scores lies above the pooled one.

    Languages with fewer than `min_humans` human scores get no offset: their quantile is noise."""
    langs = np.asarray(languages)
    humans = labels == 0
    pooled = float(np.quantile(scores[humans], q))
    out: dict[str, float] = {}
    for lang in sorted(set(langs.tolist())):
        mask = humans & (langs == lang)
        if mask.sum() >= min_humans:
            out[lang] = float(np.quantile(scores[mask], q)) - pooled
    return out


def apply_offsets(scores: np.ndarray, languages: Sequence[str], offsets: dict[str, float]) -> np.ndarray:
    return np.array([s - offsets.get(lang, 0.0) for s, lang in zip(scores, languages, strict=True)])


def dev_metrics(scores: np.ndarray, labels: np.ndarray, groups: Sequence[str]) -> dict[str, Any]:
    ci = target_intervals(scores, labels, groups)
    return {
        "roc_auc": safe_auc(labels, scores),
        "roc_auc_ci95": ci["roc_auc"],
        "tpr_at_1fpr": tpr_at_fpr(scores, labels, 0.01),
        "tpr_at_1fpr_ci95": ci["tpr_at_1fpr"],
        "tpr_at_5fpr": tpr_at_fpr(scores, labels, 0.05),
    }


@dataclass(frozen=True)
class Fit:
    """The evidence fitted for a variant: its training rows, paths, out-of-fold values and mix."""

    rows: list[CodeExample]
    evidence: FileEvidence
    oof: np.ndarray
    mix: np.ndarray
    seconds: float


def fit_variant(
    variant: Variant, train: Sequence[CodeExample], train_inputs: EvidenceInputs, *, folds: int, seed: int
) -> Fit:
    t0 = time.time()
    keep = np.array([not (variant.drop_rosetta_humans and e.source == ROSETTA_HUMAN) for e in train])
    rows = [e for e, k in zip(train, keep, strict=True) if k]
    labels = np.array([e.label for e in rows])
    weights = None if variant.source_alpha == 1.0 else sampling_weights(rows, variant.source_alpha) * len(rows)
    evidence, oof, _ = fit_evidence(
        train_inputs.rows(np.where(keep)[0]), labels, [group_key(e) for e in rows], PATHS,
        folds=folds, seed=seed, sample_weight=weights, log=lambda _: None,
    )
    return Fit(rows, evidence, oof, stacking_weights(oof, labels, weights), time.time() - t0)


def score_variant(
    variant: Variant, fit: Fit, dev: Sequence[CodeExample], dev_inputs: EvidenceInputs
) -> dict[str, Any]:
    """The variant's dev numbers from its fit (lang-offset only post-processes `shipped`'s)."""
    scores = fit.evidence.matrix_of(dev_inputs) @ fit.mix
    if variant.lang_offset:
        labels = np.array([e.label for e in fit.rows])
        offsets = language_offsets(fit.oof @ fit.mix, labels, [e.language for e in fit.rows])
        scores = apply_offsets(scores, [e.language for e in dev], offsets)
    return {
        "variant": variant.spec,
        "train_files": len(fit.rows),
        "weights": dict(zip(PATHS, map(float, fit.mix), strict=True)),
        **dev_metrics(scores, np.array([e.label for e in dev]), [group_key(e) for e in dev]),
        "seconds": round(fit.seconds, 1),
    }


def run_variants(
    variants: Sequence[Variant],
    train: Sequence[CodeExample],
    train_inputs: EvidenceInputs,
    dev: Sequence[CodeExample],
    dev_inputs: EvidenceInputs,
    *,
    folds: int,
    seed: int,
    log: Callable[[str], None] = lambda _: None,
) -> list[dict[str, Any]]:
    """Each variant's dev numbers; variants that train alike share one fit."""
    fits: dict[tuple[float, bool], Fit] = {}
    out = []
    for v in variants:
        key = (v.source_alpha, v.drop_rosetta_humans)
        if key not in fits:
            fits[key] = fit_variant(v, train, train_inputs, folds=folds, seed=seed)
        out.append(score_variant(v, fits[key], dev, dev_inputs))
        r = out[-1]
        log(f"{v.spec}: ROC-AUC {r['roc_auc']:.4f} TPR@1% {r['tpr_at_1fpr']:.3f} ({r['seconds']:.0f}s)")
    return out


def render(results: list[dict[str, Any]], command: str, when: str) -> list[str]:
    def ci(pair: Sequence[float]) -> str:
        return f"{pair[0]:.3f}-{pair[1]:.3f}"

    lines = [
        f"Command: `{command}` ({when}). Evidence term alone (no encoder), fitted on the training rows of "
        "`configs/default.yaml` with its folds and seed; intervals are 95% over resampled dev tasks. "
        "A variant beats `shipped` only where it leaves these intervals; `s` is the fit's time (variants that "
        "train alike share one fit).",
        "",
        "| variant | train files | mix (trees, n-grams) | ROC-AUC | 95% | TPR@1%FPR | 95% | TPR@5%FPR | s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        mix = ", ".join(f"{v:.2f}" for v in r["weights"].values())
        lines.append(
            f"| {r['variant']} | {r['train_files']} | {mix} | {r['roc_auc']:.4f} | {ci(r['roc_auc_ci95'])} | "
            f"{r['tpr_at_1fpr']:.3f} | {ci(r['tpr_at_1fpr_ci95'])} | {r['tpr_at_5fpr']:.3f} | {r['seconds']:.0f} |"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default=str(ROOT / "configs" / "default.yaml"), help="training config (data, folds, seed)")
    ap.add_argument("--variants", default=DEFAULT_VARIANTS, help=f"comma-separated (default: {DEFAULT_VARIANTS})")
    ap.add_argument("--no-write", action="store_true", help="print the section instead of writing docs")
    args = ap.parse_args(argv)
    try:
        variants = [parse_variant(v) for v in args.variants.split(",") if v.strip()]
    except ValueError as exc:
        ap.error(str(exc))

    from ml.config import load_yaml
    from ml.train import TrainingData

    cfg = load_yaml(args.config)
    data = TrainingData(cfg)
    t0 = time.time()
    train_inputs = EvidenceInputs.of([e.code for e in data.train], [e.language for e in data.train], PATHS)
    dev_inputs = EvidenceInputs.of([e.code for e in data.dev_full], [e.language for e in data.dev_full], PATHS)
    print(f"features of {len(data.train)} training and {len(data.dev_full)} dev files: {time.time() - t0:.0f}s",
          file=sys.stderr, flush=True)
    results = run_variants(
        variants, data.train, train_inputs, data.dev_full, dev_inputs, folds=cfg.evidence_folds, seed=cfg.seed,
        log=lambda m: print(m, file=sys.stderr, flush=True),
    )
    command = "python -m benchmarks.evidence_variants" + (
        f" --variants {args.variants}" if args.variants != DEFAULT_VARIANTS else "")
    body = render(results, command, time.strftime("%Y-%m-%d") + f", {time.time() - t0:.0f} s")
    publish(SECTION, "evidence_variants", body, write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
