"""`codeguard train`: train the dual-head model (same flags as `python -m ml.train`).

`codeguard train --config configs/default.yaml` reproduces the shipped models/default.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    from ml.config import add_config_arguments

    p = subparsers.add_parser(
        "train",
        help="train the dual-head model (AI-code classifier + similarity embeddings)",
        description="Train the dual-head model on ../shared/data. Defaults < --config YAML < flags.",
    )
    add_config_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.cli import UsageError
    from ml.config import ConfigError, config_from_args
    from ml.data import DataError
    from ml.model import ModelLoadError

    try:
        cfg = config_from_args(args)
        from ml.train import train

        result = train(cfg, command=shlex.join(["codeguard", *sys.argv[1:]]))
    except (ConfigError, DataError, ModelLoadError) as exc:
        raise UsageError(str(exc)) from None
    print(json.dumps(result))
    return 0
