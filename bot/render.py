"""Report -> what a person reads (a ranked table) or what a tool reads (JSON).

The JSON is the `codeguard scan` contract of DESIGN.md: top-level `files`, `pairs`,
`skipped` (plus extra keys tools may ignore: `model_version`, `settings`), scores in
[0, 1], `a`/`b` submission names relative to their DIR, fragments with inclusive
1-based `a_lines`/`b_lines`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ml.explain import reasons_text
from ml.submission import PairMatch, Report

DEFAULT_TEXT_ROWS = 20
FRAGMENTS_SHOWN = 3


def report_json(report: Report) -> dict[str, Any]:
    return report.to_dict()


def render_json(report: Report, *, indent: int | None = None) -> str:
    """Compact by default: indenting switches json to its pure-Python encoder, ~10x slower
    on a 2,000-submission class with thousands of pairs."""
    if indent is not None:
        return json.dumps(report_json(report), indent=indent, ensure_ascii=False) + "\n"
    buffer = io.StringIO()
    write_json(report, buffer)
    return buffer.getvalue()


# Pairs encoded per write: bounds the memory of the encoded text, whatever the class size.
_PAIRS_PER_WRITE = 5_000


_LEAN_KEYS = ("a", "b", "similarity", "structural", "semantic", "fragments")


def _pair_encoder(dumps: Callable[[Any], str]) -> Callable[[PairMatch], str]:
    """Encodes one pair; lean pairs (no fragments, no semantic score: the bulk of an
    every-pair listing) by string formatting, ~10x faster than a dict through json.

    The shortcut is used only while PairMatch.to_dict has exactly the keys it writes,
    so a new field can never be silently left out; the test compares both paths.
    """
    names: dict[str, str] = {}

    def name(text: str) -> str:
        if text not in names:
            names[text] = dumps(text)
        return names[text]

    def full(pair: PairMatch) -> str:
        return dumps(pair.to_dict())

    if tuple(PairMatch(a="", b="", similarity=0.0, structural=0.0).to_dict()) != _LEAN_KEYS:
        return full

    def encode(pair: PairMatch) -> str:
        if pair.fragments or pair.semantic is not None:
            return full(pair)
        return (
            f'{{"a": {name(pair.a)}, "b": {name(pair.b)}, "similarity": {round(pair.similarity, 6)!r}, '
            f'"structural": {round(pair.structural, 6)!r}, "semantic": null, "fragments": []}}'
        )

    return encode


def write_json(report: Report, out: TextIO) -> None:
    """The report's compact JSON written to `out` as it is encoded, pairs in chunks.

    `--min-similarity 0` on a 2,000-submission class lists two million pairs: building
    one dict of them all and one string of it (hundreds of MB each) would cost more
    than the scan itself. The output is byte-for-byte `json.dumps(report.to_dict())`.
    """
    head = Report(
        files=report.files, pairs=[], skipped=report.skipped,
        model_version=report.model_version, settings=report.settings,
    ).to_dict()  # fmt: skip
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    out.write("{")
    for n, key in enumerate(head):
        out.write(", " if n else "")
        out.write(dumps(key) + ": ")
        if key != "pairs":
            out.write(dumps(head[key]))
            continue
        out.write("[")
        pairs = report.pairs
        encode = _pair_encoder(dumps)
        for start in range(0, len(pairs), _PAIRS_PER_WRITE):
            chunk = ", ".join(encode(p) for p in pairs[start : start + _PAIRS_PER_WRITE])
            out.write((", " if start else "") + chunk)
        out.write("]")
    out.write("}\n")


def _fragment_lines(pair: PairMatch) -> Text:
    text = Text()
    for i, frag in enumerate(pair.fragments[:FRAGMENTS_SHOWN]):
        if i:
            text.append("\n")
        text.append(f"{frag.a_path}:{frag.a_lines[0]}-{frag.a_lines[1]}")
        text.append(" ~ ", style="dim")
        text.append(f"{frag.b_path}:{frag.b_lines[0]}-{frag.b_lines[1]}")
    more = len(pair.fragments) - FRAGMENTS_SHOWN
    if more > 0:
        text.append(f"\n(+{more} more)", style="dim")
    if not pair.fragments:
        text.append("-", style="dim")
    return text


def _style(score: float) -> str:
    if score >= 0.75:
        return "bold red"
    if score >= 0.5:
        return "yellow"
    return ""


def _render_risk(report: Report, console: Console, limit: int) -> None:
    """The files at medium or high AI-generated risk, highest first (nothing when no model ran)."""
    scored = [f for f in report.files if f.ai_score is not None]
    if not scored:
        return
    flagged = sorted((f for f in scored if f.risk_level in ("medium", "high")), key=lambda f: -(f.ai_score or 0.0))
    high = sum(f.risk_level == "high" for f in flagged)
    if not flagged:
        console.print(f"AI-generated risk: none of the {len(scored)} scored files is at medium or high.")
        return
    shown = flagged[:limit]
    console.print(f"[bold]AI-generated risk[/]: {high} high, {len(flagged) - high} medium of {len(scored)} files"
                  + (f" (first {len(shown)} shown)" if len(shown) < len(flagged) else ""))
    table = Table()
    table.add_column("Level")
    table.add_column("Score", justify="right")
    table.add_column("File")
    explained = any(f.explanation for f in shown)
    if explained:
        table.add_column("Why (where to look)")
    for f in shown:
        row = [Text(f.risk_level or "", style="bold red" if f.risk_level == "high" else "yellow"),
               f"{f.ai_score:.3f}", Text(f.path)]
        if explained:
            row.append(Text(reasons_text(f.explanation) if f.explanation else ""))
        table.add_row(*row)
    console.print(table)
    console.print(
        "Levels use the model's thresholds, calibrated on validation data. A signal for review, not proof"
        + ("." if explained else "; --explain says why."),
        style="dim",
    )


def render_text(report: Report, console: Console, *, rows: int | None = None) -> None:
    """Ranked table of the most similar pairs, the files at medium or high AI risk, then what was
    skipped and why."""
    settings = report.settings
    limit = DEFAULT_TEXT_ROWS if rows is None else rows
    n_files = len(report.files)
    subs = settings.get("submissions", "?")
    console.print(
        f"[bold]CodeGuard scan[/]: {subs} submissions, {n_files} files analysed, "
        f"{len(report.skipped)} skipped; k={settings.get('k')}, window={settings.get('window')}"
        + (f", max share {settings['max_share']}" if settings.get("max_share") else "")
        + (f", base code: {settings['base_files']} files" if settings.get("base_files") else "")
    )
    if not report.pairs:
        threshold = settings.get("min_similarity")
        console.print(f"No pairs at or above similarity {threshold}.")
    else:
        shown = report.pairs[:limit]
        table = Table(title=f"Most similar pairs ({len(shown)} of {len(report.pairs)})", show_lines=True)
        table.add_column("#", justify="right")
        table.add_column("Submission A")
        table.add_column("Submission B")
        table.add_column("Similarity", justify="right")
        table.add_column("Matched lines (A ~ B)")
        for rank, pair in enumerate(shown, start=1):
            score = Text(f"{pair.similarity:.0%}", style=_style(pair.similarity))
            table.add_row(str(rank), Text(pair.a), Text(pair.b), score, _fragment_lines(pair))  # names are not markup
        console.print(table)
        console.print(
            "Similarity is structural (token fingerprints: renaming, comments and layout do not hide a copy); "
            "it flags pairs for a human to review, it does not prove plagiarism.",
            style="dim",
        )
    _render_risk(report, console, limit)
    if report.skipped:
        console.print(f"[bold]Skipped ({len(report.skipped)})[/]")
        for item in report.skipped[:limit]:
            console.print(f"  {item.path}: {item.reason}", markup=False, highlight=False)
        if len(report.skipped) > limit:
            console.print(f"  ... and {len(report.skipped) - limit} more (see --format json)")
