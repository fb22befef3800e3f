"""The report options of `codeguard scan` (and any command that ends in a Report).

Kept here so the command modules only add `--format html|csv|sarif` choices and hand
over: every report option and its defaults live beside the renderers they drive.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.reports import DEFAULT_DETAIL_PAIRS, DEFAULT_MAX_ROWS, FORMATS, render_report
from ml.submission import Report, Submission


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be 0 or more")
    return value


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("reports (--format html, csv, sarif)")
    group.add_argument(
        "--anonymise",
        "--anonymize",
        action="store_true",
        help="replace submission names by stable pseudonyms (student-3f9a2c); source text is not changed",
    )
    group.add_argument(
        "--anonymise-key",
        metavar="KEY",
        help="key for the pseudonyms (default: $CODEGUARD_ANONYMISE_KEY, else random per report); "
        "the same key gives the same pseudonyms in every report",
    )
    group.add_argument(
        "--report-pairs",
        type=_count,
        default=DEFAULT_DETAIL_PAIRS,
        metavar="N",
        help=f"HTML: the N most similar pairs carry their sources for a side-by-side view (default {DEFAULT_DETAIL_PAIRS})",
    )
    group.add_argument(
        "--report-rows",
        type=_count,
        default=DEFAULT_MAX_ROWS,
        metavar="N",
        help=f"HTML: list at most N pairs as rows (default {DEFAULT_MAX_ROWS}); the JSON output lists all",
    )
    group.add_argument(
        "--sarif-uri-prefix",
        default="",
        metavar="PATH",
        help="SARIF: prefix file paths with PATH, the scanned folder relative to the repository root",
    )


def write_report(
    args: argparse.Namespace,
    report: Report,
    submissions: Sequence[Submission],
    *,
    base: Sequence[Submission] = (),
    thresholds: Mapping[str, Any] | None = None,
) -> None:
    """Render `args.format` and write it to `args.out` or standard output."""
    if args.format not in FORMATS:
        raise ValueError(f"not a report format: {args.format}")
    regions = None
    if args.format == "html" and base:
        from bot.reports.base_regions import base_regions
        from ml.structural import DEFAULT_K

        top = sorted(report.pairs, key=lambda p: -p.similarity)[: args.report_pairs]
        shown = {n for p in top for n in (p.a, p.b)}
        k = int(report.settings.get("k") or DEFAULT_K)
        regions = base_regions([s for s in submissions if s.name in shown], base, k=k)
    text = render_report(
        args.format,
        report,
        submissions,
        thresholds,
        anonymise=args.anonymise,
        anonymise_key=args.anonymise_key,
        detail_pairs=args.report_pairs,
        max_rows=args.report_rows,
        base_regions=regions,
        sarif_uri_prefix=args.sarif_uri_prefix,
    )
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
