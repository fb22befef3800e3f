"""`codeguard tune`: Optuna search over learning rate, batch size and the loss weights.

The training guide's search space: batch size from {8, 16, 32}, the contrastive weight
lambda_c in [0.3, 0.7] (the classification weight is 1 - lambda_c, so the two stay a mix and
the total loss scale does not drift with the trial), and a log-uniform learning rate. The
guide's 1e-6..1e-4 is for fine-tuning a whole encoder; here `learning_rate` is the heads'
rate (the LoRA adapters get it times `unfreeze_lr_factor`), so the default range is
1e-4..3e-3; `--lr-min/--lr-max` change it. The objective is the validation ROC-AUC that
ml.train selects epochs by (dev set only). Each trial is a full `ml.train` run in a scratch
folder; the best trial's settings are written as a YAML config that `codeguard train
--config` takes as is.

Optuna is optional (`pip install 'codeguard-nexus[tune]'` or `pip install optuna`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    from ml.config import add_config_arguments

    p = subparsers.add_parser("tune", help="hyperparameter search with Optuna (optional dependency)",
                              description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--trials", type=int, default=20, help="number of trials (default 20)")
    p.add_argument("--timeout", type=float, default=None, help="stop starting trials after this many seconds")
    p.add_argument("--lr-min", type=float, default=1e-4)
    p.add_argument("--lr-max", type=float, default=3e-3)
    p.add_argument("--batch-sizes", default="8,16,32", help="comma-separated choices (default 8,16,32)")
    p.add_argument("--study-name", default="codeguard-tune")
    p.add_argument("--storage", default=None, help="Optuna storage URL (e.g. sqlite:///scratch/tune.db) to resume")
    p.add_argument("--out", default="scratch/tune/best.yaml", help="where to write the best config")
    p.add_argument("--trial-dir", default=None, help="keep each trial's artifacts here (default: discarded)")
    add_config_arguments(p)
    p.set_defaults(func=run)


def suggest(trial: Any, lr_range: tuple[float, float], batch_sizes: list[int]) -> dict[str, Any]:
    """The guide's search space, as TrainConfig keys."""
    lambda_c = trial.suggest_float("lambda_contrastive", 0.3, 0.7)
    return {
        "learning_rate": trial.suggest_float("learning_rate", lr_range[0], lr_range[1], log=True),
        "batch_size": trial.suggest_categorical("batch_size", batch_sizes),
        "lambda_contrastive": lambda_c,
        "lambda_classification": 1.0 - lambda_c,
    }


def run(args: argparse.Namespace) -> int:
    from bot.cli import UsageError
    from ml.config import ConfigError, config_from_args, config_from_mapping
    from ml.data import DataError
    from ml.model import ModelLoadError

    try:
        import optuna
    except ImportError:
        raise UsageError("codeguard tune needs Optuna, an optional dependency: "
                         "pip install 'codeguard-nexus[tune]' (or pip install optuna)") from None
    if args.trials < 1:
        raise UsageError("--trials must be >= 1")
    if not 0 < args.lr_min < args.lr_max:
        raise UsageError("need 0 < --lr-min < --lr-max")
    try:
        sizes = sorted({int(s) for s in args.batch_sizes.split(",") if s.strip()})
    except ValueError:
        raise UsageError(f"--batch-sizes must be integers, got {args.batch_sizes!r}") from None
    if not sizes or min(sizes) < 1:
        raise UsageError("--batch-sizes needs at least one size >= 1")
    try:
        base = config_from_args(args)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None

    from ml.train import Trainer

    scratch = Path(args.trial_dir) if args.trial_dir else Path(tempfile.mkdtemp(prefix="codeguard-tune-"))

    def objective(trial: Any) -> float:
        values = suggest(trial, (args.lr_min, args.lr_max), sizes)
        out = scratch / f"trial-{trial.number:03d}"
        cfg = config_from_mapping({**values, "output_dir": str(out / "model"),
                                   "checkpoint_dir": str(out / "checkpoint"), "resume": "", "use_wandb": False},
                                  base)
        result = Trainer(cfg, command=f"codeguard tune (trial {trial.number})").train()
        auc = float(result.get("best_val_roc_auc", float("nan")))
        if auc != auc or auc < 0:
            raise optuna.TrialPruned("validation ROC-AUC undefined")
        trial.set_user_attr("best_epoch", result.get("best_epoch"))
        if not args.trial_dir:
            shutil.rmtree(out, ignore_errors=True)
        return auc

    study = optuna.create_study(direction="maximize", study_name=args.study_name, storage=args.storage,
                                load_if_exists=bool(args.storage), sampler=optuna.samplers.TPESampler(seed=base.seed))
    try:
        study.optimize(objective, n_trials=args.trials, timeout=args.timeout, catch=())
    except (ConfigError, DataError, ModelLoadError) as exc:
        raise UsageError(str(exc)) from None
    finally:
        if not args.trial_dir:
            shutil.rmtree(scratch, ignore_errors=True)
    done = [t for t in study.trials if t.value is not None]
    if not done:
        raise UsageError("no trial finished with a defined validation ROC-AUC")
    best = study.best_trial
    params = dict(best.params)
    params["lambda_classification"] = 1.0 - params["lambda_contrastive"]
    import yaml

    tuned = {**{k: v for k, v in base.to_dict().items() if k not in ("output_dir", "checkpoint_dir", "resume")},
             **params}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(f"# codeguard tune: best of {len(done)} trials, validation ROC-AUC {best.value:.4f}\n"
                   + yaml.safe_dump(tuned, sort_keys=True), encoding="utf-8")
    print(json.dumps({"best_value": best.value, "best_params": params, "trials": len(done), "config": str(out)}))
    return 0
