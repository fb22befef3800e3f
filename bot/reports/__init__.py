"""Reports for people and tools beside the JSON contract: HTML, CSV and SARIF.

`render_report` is the one entry point the CLI and the bot call; every format goes
through the same `ReportView`, so ranks, longest fragments and pseudonyms agree.
The renderers are imported when used: every `codeguard` command imports this package
to learn the format names, and should not pay for Pygments to print its help.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ml.submission import Report, Submission

FORMATS = ("html", "csv", "sarif")
#: HTML: pairs that carry their sources for the side-by-side view.
DEFAULT_DETAIL_PAIRS = 50
#: HTML: pairs listed as rows of numbers (the rest are counted).
DEFAULT_MAX_ROWS = 10_000


def render_report(
    fmt: str,
    report: Report,
    submissions: Sequence[Submission] = (),
    thresholds: Mapping[str, Any] | None = None,
    *,
    anonymise: bool = False,
    anonymise_key: bytes | str | None = None,
    detail_pairs: int = DEFAULT_DETAIL_PAIRS,
    max_rows: int = DEFAULT_MAX_ROWS,
    base_regions: Mapping[str, Sequence[tuple[int, int]]] | None = None,
    sarif_uri_prefix: str = "",
    title: str = "CodeGuard Nexus report",
) -> str:
    """The report as text in `fmt` ("html", "csv" or "sarif").

    `thresholds` are the model's calibrated AI-risk thresholds ({"high": t, "medium": t}
    or ml.calibration's output), None without a model.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")
    from bot.reports.view import build_view

    view = build_view(report, submissions, thresholds, anonymise=anonymise, anonymise_key=anonymise_key)
    if fmt == "html":
        from bot.reports.html import render_html

        return render_html(view, title=title, detail_pairs=detail_pairs, max_rows=max_rows, base_regions=base_regions)
    if fmt == "csv":
        from bot.reports.csv import render_csv

        return render_csv(view)
    from bot.reports.sarif import render_sarif

    return json.dumps(render_sarif(view, uri_prefix=sarif_uri_prefix), indent=2) + "\n"


__all__ = ["DEFAULT_DETAIL_PAIRS", "DEFAULT_MAX_ROWS", "FORMATS", "render_report"]
