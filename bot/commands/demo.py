"""`codeguard demo`: scan the bundled example class and print the report (the README's first command)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.cli import UsageError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="scan the bundled example class (examples/class) and print the report",
        description=(
            "Scan examples/class (8 small submissions in Python, Java and C: some copied with "
            "renaming, reformatting, reordering and junk statements, one a folder of two files) "
            "with examples/class_base as the instructor's starter code, and print the ranked pairs. "
            "Equivalent to: codeguard scan examples/class --base-code examples/class_base"
        ),
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.commands import scan

    class_dir, base_dir = EXAMPLES / "class", EXAMPLES / "class_base"
    if not class_dir.is_dir():
        raise UsageError(f"example class not found at {class_dir} (run from a checkout of the repository)")
    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers()
    scan.register(subparsers)
    scan_args = parser.parse_args(["scan", str(class_dir), "--base-code", str(base_dir), "--format", args.format])
    return int(scan.run(scan_args))
