"""`codeguard calibrate`: set a model's risk thresholds from labelled code, without retraining.

Scores every file of a labelled JSONL (rows with "code", "label" 0 = human / 1 = AI, and
"language"; "source" where files come from several places) through the serving path, then sets
`high` and `medium` so that at most 1% / 5% of the human files score above them, and rewrites
MODEL/thresholds.json and the risk section of MODEL/README.md. Use it to recalibrate the shipped
model on your own course's human code, or to switch rules:

  pooled        the rate over all human files
  balanced      the mean of the per-source rates (no large source hides a small one; the default,
                here and in `codeguard train`)
  worst-source  every source's own rate (strictest)

Where the rows name their authors (an "author" column and a "work" column saying which
assignment or task each file is; the aigen sources whose ids name authors are read as such),
the relative score of `codeguard detect --history` gets its own levels, set the same way on the
human files whose author has other human files in the data (ml/author_baseline.py). Data
without authors keeps the model's existing relative levels.

Thresholds are conformal: with n human files, `high` lets k of them score above it where
(k+1)/(n+1) <= 1%, which is the expected rate on NEW human files from the same place. That
needs at least 99 human files for `high` (19 for `medium`); with fewer it warns and uses their
maximum. Sources with fewer than --min-group human files do not count for the per-source rules.
Code is only read and scored, never executed or printed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    from bot.cli import add_model_argument
    from ml.calibration import CALIBRATION_RULES, MIN_GROUP_HUMANS

    p = subparsers.add_parser(
        "calibrate",
        help="set a model's risk thresholds from labelled code (no retraining)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_model_argument(p)
    p.add_argument(
        "--data", metavar="JSONL", help="labelled code to calibrate on (default: ../shared/data/aigen/dev.jsonl)"
    )
    p.add_argument("--rule", choices=CALIBRATION_RULES, default="balanced",
                   help="how the rates must hold (default balanced; one source in the file: same as pooled)")
    p.add_argument("--min-group", type=int, default=MIN_GROUP_HUMANS, metavar="N",
                   help=f"human files a source needs to count for balanced/worst-source (default {MIN_GROUP_HUMANS})")
    p.add_argument("--backend", choices=("torch", "onnx"), default="torch", help="scoring backend (default torch)")
    p.add_argument("--dry-run", action="store_true", help="print the thresholds, write nothing")
    p.set_defaults(func=run)


def _print_levels(prefix: str, cal: dict) -> None:
    for name, v in sorted(cal["levels"].items(), key=lambda kv: -kv[1]["threshold"]):
        worst = max(v.get("fpr_by_group", {}).values(), default=float("nan"))
        print(f"{prefix}{name}: score > {v['threshold']:.4f}  FPR {v['fpr']:.4f} (worst counted source {worst:.4f})  "
              f"TPR {v['tpr']:.3f}")


def _warn_small(prefix: str, cal: dict) -> None:
    for name, v in cal["levels"].items():
        if v["expected_fpr_bound"] > v["target_fpr"] + 1e-12:
            need = int(round(1 / v["target_fpr"])) - 1
            print(f"warning: {cal['n_human']} human files cannot promise {v['target_fpr']:.0%} at {prefix}{name}: new "
                  f"human files will score above it {v['expected_fpr_bound']:.1%} of the time on average; "
                  f"calibrate on at least {need} human files", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from bot.cli import UsageError, quiet_libraries
    from ml.author_baseline import calibrate_relative
    from ml.calibration import calibrate, save_thresholds
    from ml.config import TrainConfig
    from ml.data import DataError, load_aigen
    from ml.inference import InferenceError, clear_cache, default_model_dir, get_detector
    from ml.model_card import update_risk_levels

    model_dir = Path(args.model) if args.model else default_model_dir()
    defaults = TrainConfig()
    data = Path(args.data) if args.data else defaults.data_path(defaults.aigen_dev)
    if not data.is_file():
        raise UsageError(f"calibration data not found: {data}")
    if args.min_group < 1:
        raise UsageError("--min-group must be >= 1")
    try:
        rows = load_aigen(data)
    except DataError as exc:
        raise UsageError(str(exc)) from None
    labels = [r.label for r in rows]
    if 0 not in labels:
        raise UsageError(f"{data} has no human (label 0) files: nothing to calibrate a false-positive rate on")
    quiet_libraries()
    try:
        det = get_detector(model_dir, backend=args.backend)
        scores = []
        for i in range(0, len(rows), 32):
            chunk = rows[i : i + 32]
            scores.extend(det.score([r.code for r in chunk], [r.language for r in chunk]).tolist())
            print(f"\rscored {len(scores)}/{len(rows)} files", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        cal = calibrate(scores, labels, groups=[r.source or "(none)" for r in rows], rule=args.rule,
                        min_group=args.min_group)
        relative = calibrate_relative(scores, labels, [r.author for r in rows], [r.work for r in rows],
                                      [r.source or "(none)" for r in rows], rule=args.rule, min_group=args.min_group)
    except (InferenceError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    _print_levels("", cal)
    if relative is not None:
        cal["relative"] = relative
        _print_levels("relative ", relative)
        print(f"relative levels: {relative['n_human']} human / {relative['n_ai']} AI files whose author has other "
              f"human files; alpha {relative['alpha']}")
    elif det.relative is not None:
        cal["relative"] = det.relative
        print("relative levels: the data names no authors with other human files; the model's existing ones are kept")
    _warn_small("", cal)
    if relative is not None:
        _warn_small("relative ", relative)
    counted = sorted(next(iter(cal["levels"].values()))["fpr_by_group"])
    print(f"rule {args.rule}; {cal['n_human']} human / {cal['n_ai']} AI files; sources counted: "
          f"{', '.join(counted) or 'none'}")
    if args.dry_run:
        print("dry run: nothing written")
        return 0
    scored_with = f"ml.inference ({args.backend}), windows of {det.max_length} tokens, aggregation {det.aggregation}"
    where = str(data) if args.data else defaults.aigen_dev  # as training names it, not this machine's path
    extra = {"calibrated_on": where, "scored_with": scored_with, "calibrated_by": "codeguard calibrate"}
    if "epoch" in det.thresholds:  # the thresholds the detector loaded: the trained epoch they belong to
        extra["epoch"] = det.thresholds["epoch"]
    path = save_thresholds(model_dir, cal, extra=extra)
    clear_cache()  # a detector loaded before this in the same process holds the old thresholds
    card = update_risk_levels(model_dir)
    print(f"wrote {path}" + (f" and the risk section of {card}" if card else ""))
    return 0
