"""`codeguard` command line: one parser, one module per subcommand in bot/commands.

Subcommands are discovered rather than listed so that adding one never touches this file.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from bot import commands


def quiet_libraries() -> None:
    """Library deprecation notices and progress bars are noise in a report on stdout/stderr."""
    import warnings

    from transformers.utils import logging as hf_logging

    warnings.filterwarnings("ignore", category=FutureWarning)
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def add_model_argument(parser: argparse.ArgumentParser) -> None:
    """--model DIR, the same for every command that loads the dual-head model."""
    parser.add_argument(
        "--model", metavar="DIR", help="model directory (default: $CODEGUARD_MODEL_DIR or models/default)"
    )


class UsageError(Exception):
    """Bad arguments or input the user can fix: one line on stderr, exit 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codeguard",
        description="CodeGuard Nexus: code similarity and AI-generated code signals for human review.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"codeguard: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("codeguard: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
