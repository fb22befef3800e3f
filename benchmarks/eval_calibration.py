"""Do the AI-risk levels keep their promise on code from elsewhere, and what fixes it when not?

`high` promises that at most 1% of human files score above it. That rate is measured on dev,
whose sources training also saw. This script measures how it holds where users are:

1. Calibration rules (ml/calibration.py: pooled, balanced, worst-source) on the shipped model's
   served dev scores: the rates in-sample, and leave-one-source-out (thresholds set without a
   source, rates measured on it) -- how each rule transfers to a source calibration never saw.
2. With `--heldout-model DIR` (a run of `codeguard train ... --holdout-sources S`): the same
   rules where the model never saw S either (what a new course or generator looks like), and
   local recalibration: thresholds set on n of S's own human files only (what
   `codeguard calibrate --data` does with a teacher's past submissions), rates measured on S's
   other files, over many random draws of the n.

Served scores are cached as JSONL (ids and scores only, no code) under --cache, so that re-running
the analysis does not re-score (minutes per model with an encoder path in its AI score on 2 cores;
seconds for an evidence-only model, which loads no encoder).

  python -m benchmarks.eval_calibration [--heldout-model scratch/holdout/gptsniffer] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.report import markdown_table, publish
from ml.calibration import (
    CALIBRATION_RULES,
    MIN_GROUP_HUMANS,
    calibrate,
    rates_at_threshold,
    threshold_at_fpr,
)
from ml.data import fixed_sample

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "aigen"
CACHE = ROOT / "scratch" / "benchmarks" / "calibration"
TARGET = 0.01
LOCAL_SIZES = (25, 50, 100, 200)


def aigen_rows(split: str, only: set[str] | None = None) -> list[dict[str, Any]]:
    """aigen `split` rows in file order (only the given sources, if any)."""
    rows = [json.loads(line) for line in (DATA / f"{split}.jsonl").open()]
    return rows if only is None else [r for r in rows if r["source"] in only]


def heldout_rows(hist: dict[str, Any], held: set[str]) -> tuple[list[dict[str, Any]], int]:
    """The held-out rows a training run scored: train then dev rows of its held-out sources, and
    the same fixed sample of them when it ran with holdout_sample (ml.data.fixed_sample); with the
    number of rows sampled from."""
    rows = aigen_rows("train", held) + aigen_rows("dev", held)
    cfg = hist["config"]
    return fixed_sample(rows, int(cfg.get("holdout_sample") or 0), int(cfg["seed"])), len(rows)


def served_scores(model: Path, rows: list[dict[str, Any]], tag: str, cache: Path) -> list[dict[str, Any]]:
    """[{id, source, label, score}] of `rows`, scored as served; read from the cache (named by
    model and `tag`) when it holds exactly these rows."""
    path = cache / f"{model.resolve().name}.{tag}.jsonl"
    if path.is_file():
        cached = [json.loads(line) for line in path.open()]
        if [c["id"] for c in cached] == [r["id"] for r in rows]:
            return cached
    from ml.inference import CodeDetectorInference

    det = CodeDetectorInference(model, backend="torch")
    out: list[dict[str, Any]] = []
    for i in range(0, len(rows), 32):
        chunk = rows[i : i + 32]
        scores = det.score([r["code"] for r in chunk], [r["language"] for r in chunk])
        out += [{"id": r["id"], "source": r["source"], "label": r["label"], "score": float(s)}
                for r, s in zip(chunk, scores, strict=True)]
        print(f"\r{model.name} {tag}: scored {len(out)}/{len(rows)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    cache.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(o) + "\n" for o in out))
    return out


def arrays(rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    return (np.array([r["score"] for r in rows]), np.array([r["label"] for r in rows]),
            [r["source"] for r in rows])


def rates(rows: list[dict[str, Any]], t: float) -> tuple[float, float]:
    s, y, _ = arrays(rows)
    return rates_at_threshold(s, y, t)


def high_level(rows: list[dict[str, Any]], rule: str) -> dict[str, Any]:
    """calibrate()'s output for the `high` level alone, plus the sources it counted."""
    s, y, g = arrays(rows)
    cal = calibrate(s, y, targets=(("high", TARGET),), groups=g, rule=rule)
    return {**cal["levels"]["high"], "counted": sorted(cal["n_human_by_group"])}


def rule_table(dev: list[dict[str, Any]]) -> tuple[list[list[Any]], list[list[Any]]]:
    """In-sample and leave-one-source-out rows per rule on one model's dev scores."""
    inside, loso = [], []
    for rule in CALIBRATION_RULES:
        lv = high_level(dev, rule)
        worst = max(lv["fpr_by_group"].values())
        inside.append([rule, f"{lv['threshold']:.4f}", f"{lv['fpr']:.4f}", f"{worst:.3f}", f"{lv['tpr']:.3f}"])
        res = []
        for src in lv["counted"]:
            t_s = high_level([r for r in dev if r["source"] != src], rule)["threshold"]
            res.append(rates([r for r in dev if r["source"] == src], t_s))
        arr = np.array(res)
        loso.append([rule, len(res), f"{arr[:, 0].mean():.4f}", f"{arr[:, 0].max():.3f}", f"{arr[:, 1].mean():.3f}"])
    return inside, loso


def local_recalibration(rows: list[dict[str, Any]], draws: int, seed: int) -> list[list[Any]]:
    """Thresholds from n of the source's own humans (empirical and conformal 1% rules); FPR on its
    other humans, TPR on its AI files, averaged over random draws of the n."""
    rng = np.random.default_rng(seed)
    s, y, _ = arrays(rows)
    human, ai = s[y == 0], s[y == 1]
    out = []
    for n in LOCAL_SIZES:
        if n >= human.size:
            continue
        res: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
        for _ in range(draws):
            pick = rng.permutation(human.size)
            for conformal in (False, True):
                t = threshold_at_fpr(human[pick[:n]], TARGET, conformal)
                res[conformal].append((float((human[pick[n:]] > t).mean()), float((ai > t).mean())))
        emp, conf = np.array(res[False]), np.array(res[True])
        out.append([n, f"{emp[:, 0].mean():.4f}", f"{emp[:, 1].mean():.3f}", f"{conf[:, 0].mean():.4f}",
                    f"{np.quantile(conf[:, 0], 0.95):.3f}", f"{conf[:, 1].mean():.3f}"])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models" / "default"))
    ap.add_argument("--heldout-model", default=None, metavar="DIR",
                    help="a model trained with --holdout-sources (its training_history.json names them)")
    ap.add_argument("--cache", default=str(CACHE))
    ap.add_argument("--draws", type=int, default=500, help="random draws per local sample size")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-write", action="store_true", help="print instead of writing docs/BENCHMARKS.md")
    args = ap.parse_args(argv)
    started = time.time()
    cache = Path(args.cache)
    model = Path(args.model)
    dev_rows = aigen_rows("dev")
    dev = served_scores(model, dev_rows, "dev.all", cache)
    inside, loso = rule_table(dev)
    head_in = ["rule", "high threshold", "dev FPR (pooled)", "worst source FPR", "dev TPR"]
    head_loso = ["rule", "sources", "mean FPR on the left-out source", "max", "mean TPR there"]
    body = [
        f"Command: `python -m benchmarks.eval_calibration {' '.join(argv if argv is not None else sys.argv[1:])}` "
        f"({time.strftime('%Y-%m-%d')}). Target: `high` flags at most {TARGET:.0%} of human files. Sources count "
        f"for the per-source rules with >= {MIN_GROUP_HUMANS} dev humans.",
        "",
        f"**Shipped model (`{model.name}`), served dev scores ({len(dev)} files), in-sample:**",
        "",
        markdown_table(head_in, inside),
        "",
        "**Leave one dev source out of calibration** (the model saw every source in training; only the "
        "thresholds did not):",
        "",
        markdown_table(head_loso, loso),
    ]
    if args.heldout_model:
        hdir = Path(args.heldout_model)
        hist = json.loads((hdir / "training_history.json").read_text())
        held = set(hist["config"]["holdout_sources"])
        if not held:
            raise SystemExit(f"{hdir} was not trained with --holdout-sources")
        h_dev = [r for r in served_scores(hdir, dev_rows, "dev.all", cache) if r["source"] not in held]
        h_all, n_all = heldout_rows(hist, held)
        h_rows = served_scores(hdir, h_all, f"heldout.{'-'.join(sorted(held))}.n{len(h_all)}", cache)
        rows = []
        for rule in CALIBRATION_RULES:
            t = high_level(h_dev, rule)["threshold"]
            fpr, tpr = rates(h_rows, t)
            rows.append([rule, f"{t:.4f}", f"{fpr:.4f}", f"{tpr:.3f}"])
        n_h = sum(r["label"] == 0 for r in h_rows)
        which = f"all {n_all}" if len(h_rows) == n_all else f"a random {len(h_rows)} (the training run's sample) of the {n_all}"
        body += [
            "",
            f"**Model trained without {', '.join(sorted(held))}** (`{hdir}`), thresholds from its dev scores "
            f"without that source, rates on {which} of its files ({n_h} human):",
            "",
            markdown_table(["rule", "high threshold", "FPR on the unseen source", "TPR there"], rows),
            "",
            f"**Local recalibration on the unseen source** (`codeguard calibrate --data`): `high` set on n of "
            f"its own human files, rates on its other files; {args.draws} random draws per n. Empirical: at most "
            "1% of the n above (the old rule); conformal: (k+1)/(n+1) <= 1% (the rule calibrate uses):",
            "",
            markdown_table(["n local humans", "empirical: mean FPR", "mean TPR", "conformal: mean FPR",
                            "95th pct FPR", "mean TPR"], local_recalibration(h_rows, args.draws, args.seed)),
        ]
    body[0] += f" {time.time() - started:.0f} s (scoring included unless cached)."
    publish("Calibration across sources", "eval_calibration", body, write=not args.no_write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
