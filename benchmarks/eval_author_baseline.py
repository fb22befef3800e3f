"""AI detection against the author's own work (ml.author_baseline), on the aigen sources whose ids
name their authors (gpt-java-gcj, gpt-java-rewrite).

Why: the pooled 1% threshold compares every file with every other author's human code, and
people differ more than a generator moves one person's file. A reviewer often has files the
author certainly wrote (earlier submissions, work done in class); this measures what comparing
a file with those buys, and what it costs when the history is short or not all human.

1. alpha on training only: out-of-fold evidence logits of the training files (the recipe's group
   folds and seed, mixed with the model's evidence weights; the training run's cache is reused
   when it matches), history = the author's human files on other work; each alpha of
   ml.author_baseline.ALPHA_GRID scored, the best TPR@1%FPR picked.
2. dev, measured once with that alpha: the model as served (`CodeDetectorInference.score`), on the
   dev files whose author has other human dev files (absolute and relative scores on the same
   files), with the whole history, one or two files of it drawn at random, or the author's other
   files whatever their label; and, for rewrites, how often the AI file scores above its own
   original. Thresholds are set at 1% / 5% of the rows' human files, as everywhere on the page.

Usage:
  python -m benchmarks.eval_author_baseline             # writes docs/BENCHMARKS.md (~5 min on 2 cores)
  python -m benchmarks.eval_author_baseline --no-write
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.report import publish
from ml.author_baseline import ALPHA, fit_alpha, histories, relative_logits, to_logit
from ml.calibration import safe_auc, target_intervals, tpr_at_fpr
from ml.data import CodeExample

ROOT = Path(__file__).resolve().parents[1]
SECTION = "Against the author's own work (aigen)"
SOURCES = ("gpt-java-gcj", "gpt-java-rewrite")  # the sources whose ids name authors
HISTORY_SEED = 0


def training_logits(cfg: Any, train: list[CodeExample], model_dir: Path, log: Callable[[str], None]) -> np.ndarray:
    """Out-of-fold evidence logits (without the bias, which no ranking needs) of the training files."""
    from ml.evidence import EVIDENCE_FILE, EvidenceInputs, fit_evidence
    from ml.inference import saved_evidence_weights
    from ml.stacking import EVIDENCE_OOF_FILE, evidence_cache_key, group_key, read_cache_key

    names = list(cfg.file_evidence)
    cache = ROOT / cfg.checkpoint_dir
    key = evidence_cache_key(train, names, cfg.evidence_folds, cfg.seed, cfg.evidence_source_alpha,
                             cfg.evidence_edited_copies)
    own = ROOT / "scratch" / "benchmarks" / "author_baseline_oof.npz"
    if read_cache_key(cache).get("key") == key and (cache / EVIDENCE_FILE).is_file():
        log(f"out-of-fold evidence: the training cache in {cache}")
        oof = np.load(cache / EVIDENCE_OOF_FILE)
    elif own.is_file() and str(np.load(own)["key"]) == key:
        log(f"out-of-fold evidence: this benchmark's cache {own}")
        oof = np.load(own)["oof"]
    else:
        log(f"out-of-fold evidence: fitting {cfg.evidence_folds} folds on {len(train)} files (a few minutes)")
        inputs = EvidenceInputs.of([e.code for e in train], [e.language for e in train], names)
        _, oof, _ = fit_evidence(inputs, [e.label for e in train], [group_key(e) for e in train], names,
                                 folds=cfg.evidence_folds, seed=cfg.seed, log=lambda _: None)
        own.parent.mkdir(parents=True, exist_ok=True)
        np.savez(own, key=key, oof=oof)
    return np.asarray(oof @ saved_evidence_weights(model_dir), dtype=np.float64)


def draw(hist: list[list[int]], k: int | None, seed: int = HISTORY_SEED) -> list[list[int]]:
    """At most k files of each history, drawn at random (seeded); None keeps them all."""
    if k is None:
        return hist
    rng = np.random.default_rng(seed)
    return [sorted(rng.choice(h, size=k, replace=False).tolist()) if len(h) > k else h for h in hist]


def metrics(scores: np.ndarray, labels: np.ndarray, groups: Sequence[str], intervals: bool = True) -> dict[str, Any]:
    nan = (float("nan"), float("nan"))
    ci = target_intervals(scores, labels, groups) if intervals else {"roc_auc": nan, "tpr_at_1fpr": nan}
    return {"files": int(len(labels)), "humans": int((labels == 0).sum()), "roc_auc": safe_auc(labels, scores),
            "roc_auc_ci95": ci["roc_auc"], "tpr_at_1fpr": tpr_at_fpr(scores, labels, 0.01),
            "tpr_at_1fpr_ci95": ci["tpr_at_1fpr"], "tpr_at_5fpr": tpr_at_fpr(scores, labels, 0.05)}


def pair_wins(logits: np.ndarray, rows: Sequence[CodeExample], index: Sequence[int]) -> tuple[int, float]:
    """Over the rows at `index`: (AI files with a human file of the same author and work, share of
    such comparisons the AI file wins): does the score rise from a person's file to its rewrite?"""
    humans: dict[tuple[str, str], list[int]] = {}
    for i in index:
        e = rows[i]
        if e.label == 0 and e.author:
            humans.setdefault((e.author, e.work), []).append(i)
    ai = [i for i in index if rows[i].label == 1 and (rows[i].author, rows[i].work) in humans]
    wins = [float(logits[i] > logits[j]) for i in ai for j in humans[(rows[i].author, rows[i].work)]]
    return len(ai), float(np.mean(wins)) if wins else float("nan")


def scope_rows(
    logits: np.ndarray, rows: list[CodeExample], alpha: float, scopes: Sequence[str] = (*SOURCES, "both"),
    intervals: bool = True,
) -> list[dict[str, Any]]:
    """Absolute vs relative per scope (a source, or "both" of SOURCES), on the files that have a
    human history (`intervals`: 95% over resampled authors, the slow part)."""
    y = np.array([e.label for e in rows])
    authors, works = [e.author for e in rows], [e.work for e in rows]
    human = histories(authors, works, y)
    kinds: list[tuple[str, list[list[int]]]] = [
        ("relative, whole human history", human),
        ("relative, 1 human file", draw(human, 1)),
        ("relative, 2 human files", draw(human, 2)),
        ("relative, other files of any label", histories(authors, works)),
    ]
    has = np.array([len(h) > 0 for h in human])
    src = np.array([e.source for e in rows])
    out = []
    for scope in scopes:
        m = has & (np.isin(src, SOURCES) if scope == "both" else src == scope)
        groups = [a for a, k in zip(authors, m, strict=True) if k]
        row = {"scope": scope, "absolute": metrics(logits[m], y[m], groups, intervals)}
        for name, hist in kinds:
            rel = relative_logits(logits, hist, alpha)
            keep = m & ~np.isnan(rel)
            if keep.sum() != m.sum():  # any-label history: every file with a human history has one
                raise AssertionError("a file lost its history")
            row[name] = metrics(rel[m], y[m], groups, intervals)
        n, wins = pair_wins(logits, rows, np.flatnonzero(np.isin(src, SOURCES) if scope == "both" else src == scope))
        row["pairs"], row["pair_wins"] = n, wins
        out.append(row)
    return out


def render(
    fit: dict[str, Any], dev: list[dict[str, Any]], command: str, when: str, loso: list[dict[str, Any]] | None = None
) -> list[str]:
    lines = [
        f"Command: `{command}` ({when}). Model `{fit['model']}`. A file's relative logit is its logit minus "
        "alpha times the median logit of its history (ml/author_baseline.py); history = the same author's "
        "files on other work (another problem, another file), never the file's own original.",
        "",
        f"alpha, fitted on training only (out-of-fold evidence logits of the {fit['train_files']} training files "
        "of these two sources with a human history; picked: best TPR@1%FPR):",
        "",
        "| alpha | files | ROC-AUC | TPR@1%FPR | TPR@5%FPR |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in fit["grid"]:
        mark = " (picked)" if r["alpha"] == fit["alpha"] else ""
        lines.append(f"| {r['alpha']:.2f}{mark} | {r['files']} | {r['roc_auc']:.4f} | {r['tpr_at_1fpr']:.3f} | "
                     f"{r['tpr_at_5fpr']:.3f} |")
    lines += [
        "",
        f"Dev, the model as served, alpha {ALPHA:.2f} (ml.author_baseline.ALPHA, what `codeguard detect --history` "
        f"uses{'' if fit['alpha'] == ALPHA else '; NOT the alpha the training fit picked'}); every row of a scope is "
        "the same files (those whose author has other human dev files); intervals 95% over resampled authors; "
        "`pairs`: AI files with a human file of the same author and work in dev, and how often the AI file "
        "scores higher.",
        "",
        *score_table(dev),
    ]
    lines += ["", "| scope | AI files with their original in dev | AI scores above its original |", "|---|---:|---:|"]
    lines += [f"| {r['scope']} | {r['pairs']} | {r['pair_wins']:.3f} |" for r in dev]
    if loso:
        lines += [
            "",
            "Left out (`--loso`): the evidence paths refitted on the training files of every other source "
            "(the model's evidence weights kept), then all of the left-out source's files, train and dev, scored "
            "by them; histories as above; alpha stays the one fitted on both sources' training files. Does the "
            "relative score still help where the readers never saw the source?",
            "",
            *score_table(loso),
        ]
    return lines


def score_table(rows: list[dict[str, Any]]) -> list[str]:
    def ci(pair: Sequence[float]) -> str:
        return f"{pair[0]:.3f}-{pair[1]:.3f}"

    lines = ["| scope | score | files | humans | ROC-AUC | 95% | TPR@1%FPR | 95% | TPR@5%FPR |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        for name, m in row.items():
            if isinstance(m, dict):
                lines.append(f"| {row['scope']} | {name} | {m['files']} | {m['humans']} | {m['roc_auc']:.4f} | "
                             f"{ci(m['roc_auc_ci95'])} | {m['tpr_at_1fpr']:.3f} | {ci(m['tpr_at_1fpr_ci95'])} | "
                             f"{m['tpr_at_5fpr']:.3f} |")
    return lines


def loso_rows(cfg: Any, data: Any, model_dir: Path, log: Callable[[str], None]) -> list[dict[str, Any]]:
    """Each of SOURCES left out of the evidence fit (its training files), then all of its files,
    train and dev, scored by the paths fitted on every other training file."""
    from ml.evidence import EvidenceInputs, fit_paths
    from ml.inference import saved_evidence_weights

    names = list(cfg.file_evidence)
    every = [*data.train, *(e for e in data.dev_full if e.source in SOURCES)]
    log(f"left out: features of {len(every)} files")
    inputs = EvidenceInputs.of([e.code for e in every], [e.language for e in every], names)
    source = np.array([e.source for e in every])
    labels = np.array([e.label for e in every])
    in_train = np.arange(len(every)) < len(data.train)
    w = saved_evidence_weights(model_dir)
    out = []
    for src in SOURCES:
        fit, test = np.flatnonzero(in_train & (source != src)), np.flatnonzero(source == src)
        log(f"left out {src}: fitting on {len(fit)} files")
        evidence = fit_paths(inputs.rows(fit), labels[fit], names, seed=cfg.seed)
        logits = np.asarray(evidence.matrix_of(inputs.rows(test)) @ w, dtype=np.float64)
        out.extend(scope_rows(logits, [every[i] for i in test], ALPHA, scopes=(src,)))
        out[-1]["scope"] = f"{src}, left out"
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default=str(ROOT / "configs" / "default.yaml"), help="training config (data, folds, seed)")
    ap.add_argument("--model", default=str(ROOT / "models" / "default"), help="model directory (default: models/default)")
    ap.add_argument("--loso", action="store_true",
                    help="also leave each source out of the evidence fit and score all its files (~10 min more)")
    ap.add_argument("--no-write", action="store_true", help="print the section instead of writing docs")
    args = ap.parse_args(argv)

    from ml.config import load_yaml
    from ml.inference import CodeDetectorInference
    from ml.train import TrainingData

    def log(m: str) -> None:
        print(m, file=sys.stderr, flush=True)

    t0 = time.time()
    cfg = load_yaml(args.config)
    data = TrainingData(cfg)
    model = Path(args.model)
    train_logits = training_logits(cfg, data.train, model, log)
    keep = [i for i, e in enumerate(data.train) if e.source in SOURCES]
    rows = [data.train[i] for i in keep]
    y = np.array([e.label for e in rows])
    hist = histories([e.author for e in rows], [e.work for e in rows], y)
    alpha, grid = fit_alpha(train_logits[keep], y, hist)
    log(f"alpha fitted on training: {alpha} (ml.author_baseline.ALPHA, what detect uses: {ALPHA})")
    fit = {"alpha": alpha, "grid": grid, "train_files": grid[0]["files"], "model": model.name}

    dev = data.dev_full
    det = CodeDetectorInference(model)
    scores = np.concatenate([det.score([e.code for e in dev[i:i + 64]], [e.language for e in dev[i:i + 64]])
                             for i in range(0, len(dev), 64)])
    results = scope_rows(to_logit(scores), dev, ALPHA)
    held = loso_rows(cfg, data, model, log) if args.loso else None
    command = "python -m benchmarks.eval_author_baseline" + (" --loso" if args.loso else "")
    body = render(fit, results, command, time.strftime("%Y-%m-%d") + f", {time.time() - t0:.0f} s", held)
    publish(SECTION, "author_baseline", body, write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
