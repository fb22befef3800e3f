"""Pairs as CSV: one row per pair, for spreadsheets and grade-book imports.

Cells that a spreadsheet would evaluate (a submission named "=HYPERLINK(...)") are
prefixed with an apostrophe: the file is opened by staff in Excel or LibreOffice, and
names come from students.
"""

from __future__ import annotations

import csv
import io

from bot.reports.view import ReportView

COLUMNS = (
    "rank",
    "a",
    "b",
    "similarity",
    "structural",
    "semantic",
    "fragments",
    "longest_fragment_lines",
    "longest_fragment_tokens",
    "matched_regions",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _score(x: float | None) -> str:
    return "" if x is None else f"{x:.4f}"


def render_csv(view: ReportView) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in view.pairs:
        regions = []
        for frag in row.fragments:
            a_path, b_path = view.fragment_paths(row, frag)
            regions.append(
                f"{a_path}:{frag.a_lines[0]}-{frag.a_lines[1]} <-> {b_path}:{frag.b_lines[0]}-{frag.b_lines[1]}"
            )
        writer.writerow(
            [
                row.rank,
                _cell(row.a),
                _cell(row.b),
                _score(row.similarity),
                _score(row.structural),
                _score(row.semantic),
                len(row.fragments),
                row.longest_lines,
                row.longest_tokens,
                _cell("; ".join(regions)),
            ]
        )
    return out.getvalue()
