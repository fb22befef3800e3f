"""The self-contained HTML report: one file, no CDN, no network, opens from disk offline.

Everything the page shows travels inside it: CSS and JS inline, the data as one JSON
block, sources pre-highlighted on the server. A Content-Security-Policy meta tag with
`default-src 'none'` makes the browser refuse any request the page might still try, so
"no network" is enforced rather than hoped for; that matters because the page holds
student code and is opened on staff machines.

Size grows with what is shown, not with the class squared: only the top `detail_pairs`
pairs carry their fragments and the full source of the files those fragments touch
(each file once, however many pairs share it); up to `max_rows` further pairs are rows
of numbers; the rest are counted. A 500-student class stays a few MB.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from importlib import resources
from typing import Any

from bot.reports import DEFAULT_DETAIL_PAIRS, DEFAULT_MAX_ROWS
from bot.reports.highlight import LINE_SEP, highlight_lines, style_css
from bot.reports.view import ReportView, full_path, resolve_file
from ml.explain import reasons_text

HISTOGRAM_BINS = 20

#: Line ranges (inclusive, 1-based) of a file that come from the base code, keyed by the
#: file's real full path ("<submission>/<path>"); those lines are shown greyed out.
BaseRegions = Mapping[str, Sequence[tuple[int, int]]]

DISCLAIMER = (
    "This report collects evidence for human review. Similarity and AI-risk scores are signals "
    "that tell you where to look, not findings of misconduct: code can be shared legitimately "
    "(base code, common idioms, libraries, permitted collaboration), and AI-risk models make "
    "mistakes, especially on short or template-like code. Read the sources before drawing any conclusion."
)


def _asset(name: str) -> str:
    return (resources.files("bot.reports") / "assets" / name).read_text(encoding="utf-8")


def _json_for_script(data: Any) -> str:
    """JSON that cannot end its <script> element early, whatever strings it holds."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # "</" and "<!--" are the only sequences the HTML tokenizer acts on inside script
    # data; "<\/" is still valid JSON for "</".
    return text.replace("</", "<\\/").replace("<!--", "\\u003c!--")


def _r(x: float | None) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), 4)


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def histogram_svg(
    scores: Sequence[float], thresholds: Mapping[str, float] | None, bins: int = HISTOGRAM_BINS
) -> str:
    """AI-score histogram over [0, 1] with the calibrated thresholds as labelled lines.

    Drawn on the server: it is static, and an SVG prints as sharply as the text.
    """
    counts = [0] * bins
    for s in scores:
        counts[min(bins - 1, max(0, int(s * bins)))] += 1
    w, h, left, bottom, top = 640, 220, 40, 28, 26
    plot_w, plot_h = w - left - 10, h - bottom - top
    peak = max(counts) or 1
    bw = plot_w / bins
    parts = [
        f'<svg class="hist" viewBox="0 0 {w} {h}" role="img" '
        f'aria-label="Histogram of AI-risk scores over {len(scores)} files">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" class="axis"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" class="axis"/>',
    ]
    for i, c in enumerate(counts):
        bh = plot_h * c / peak
        x = left + i * bw
        lo, hi = i / bins, (i + 1) / bins
        parts.append(
            f'<rect class="hbar" x="{x + 1:.1f}" y="{top + plot_h - bh:.1f}" width="{bw - 2:.1f}" '
            f'height="{bh:.1f}" data-count="{c}"><title>{lo:.2f}–{hi:.2f}: {c} file(s)</title></rect>'
        )
    for tick in range(0, 11, 2):
        x = left + plot_w * tick / 10
        parts.append(f'<text x="{x:.1f}" y="{h - 10}" class="tick">{tick / 10:.1f}</text>')
    parts.append(f'<text x="{left - 6}" y="{top + 4}" class="tick end">{peak}</text>')
    parts.append(f'<text x="{left - 6}" y="{top + plot_h}" class="tick end">0</text>')
    for j, (name, t) in enumerate((thresholds or {}).items()):
        x = left + plot_w * min(1.0, max(0.0, t))
        parts.append(
            f'<line class="thr thr-{escape(name)}" x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{top + plot_h}"'
            f' data-level="{escape(name)}" data-threshold="{t:.4f}"/>'
            f'<text class="thr-label" x="{x + 3:.1f}" y="{top - 8 + 12 * (j % 2):.1f}">{escape(name)} &gt; {t:.2f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


class _Files:
    """Source files embedded in the page, each once, indexed for the pair details."""

    def __init__(self, view: ReportView, base_regions: BaseRegions | None) -> None:
        self.view = view
        self.base = base_regions or {}
        self.index: dict[tuple[str, str], int] = {}
        self.rows: list[dict[str, Any]] = []

    def get(self, sub_name: str, path: str) -> int:
        sub = self.view.submissions.get(sub_name)
        src = resolve_file(sub, path)
        real = full_path(sub_name, src.path if src else path)
        key = (sub_name, real)
        if key in self.index:
            return self.index[key]
        row: dict[str, Any] = {"name": self.view.show_path(real)}
        if src is None:
            row.update(lang="", html=None, lines=0, base=[])
        else:
            lines = highlight_lines(src.text, src.language, src.path)
            row.update(
                lang=src.language,
                html=LINE_SEP.join(lines),
                lines=len(lines),
                base=[[int(s), int(e)] for s, e in self.base.get(real, ())],
            )
        self.index[key] = len(self.rows)
        self.rows.append(row)
        return self.index[key]


def _overview(view: ReportView, generated: str, n_submissions: int) -> dict[str, Any]:
    settings = dict(view.report.settings)
    return {
        "generated": generated,
        "model_version": view.report.model_version,
        "settings": settings,
        "thresholds": view.thresholds,
        "n_submissions": n_submissions,
        "n_files": len(view.files) or sum(len(s.files) for s in view.submissions.values()),
        "languages": view.languages(),
        "skipped": [[s.path, s.reason] for s in view.skipped],
        "anonymised": view.pseudonyms is not None,
    }


def build_payload(
    view: ReportView,
    *,
    detail_pairs: int = DEFAULT_DETAIL_PAIRS,
    max_rows: int = DEFAULT_MAX_ROWS,
    base_regions: BaseRegions | None = None,
    generated: str | None = None,
) -> dict[str, Any]:
    """The data block of the page; separate from the HTML so tests can read it directly."""
    if detail_pairs < 0 or max_rows < 0:
        raise ValueError("detail_pairs and max_rows must be >= 0")
    names = view.submission_names()
    sub_index = {n: i for i, n in enumerate(names)}
    files = _Files(view, base_regions)
    pairs: list[list[Any]] = []
    details: list[dict[str, Any]] = []
    shown = view.pairs[: max(max_rows, detail_pairs)]
    for row in shown:
        detail = -1
        if len(details) < detail_pairs:
            frags = []
            for frag in row.fragments:
                fa = files.get(row.a_sub, frag.a_path)
                fb = files.get(row.b_sub, frag.b_path)
                frags.append([fa, *frag.a_lines, fb, *frag.b_lines, frag.tokens])
            details.append({"frags": frags})
            detail = len(details) - 1
        pairs.append(
            [
                sub_index[row.a_sub],
                sub_index[row.b_sub],
                _r(row.similarity),
                _r(row.structural),
                _r(row.semantic),
                len(row.fragments),
                row.longest_lines,
                detail,
                row.rank,
            ]
        )
    risk = [[f.path, f.language, _r(f.ai_score), f.risk_level, reasons_text(f.explanation) if f.explanation else "",
             f.relative_level or ""]
            for f in view.files]
    return {
        "overview": _overview(
            view, generated or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), len(names)
        ),
        "subs": [view.show_name(n) for n in names],
        "pairs": pairs,
        "pairs_total": len(view.pairs),
        "details": details,
        "files": files.rows,
        "risk": risk,
    }


def render_html(
    view: ReportView,
    *,
    title: str = "CodeGuard Nexus report",
    detail_pairs: int = DEFAULT_DETAIL_PAIRS,
    max_rows: int = DEFAULT_MAX_ROWS,
    base_regions: BaseRegions | None = None,
    generated: str | None = None,
) -> str:
    payload = build_payload(
        view, detail_pairs=detail_pairs, max_rows=max_rows, base_regions=base_regions, generated=generated
    )
    scores = [f.ai_score for f in view.files if f.ai_score is not None and math.isfinite(f.ai_score)]
    if scores:
        hist = histogram_svg(scores, view.thresholds)
    else:
        hist = '<p class="muted" id="no-model">No AI-risk model was used for this scan, so there are no scores.</p>'
    page = _asset("report.html")
    css = _asset("report.css") + "\n" + style_css(".src")
    replacements = {
        "{{TITLE}}": escape(title),
        "{{CSS}}": css,
        "{{JS}}": _asset("report.js"),
        "{{DATA}}": _json_for_script(payload),
        "{{DISCLAIMER}}": escape(DISCLAIMER),
        "{{HISTOGRAM}}": hist,
    }
    for key in replacements:
        if key not in page:
            raise RuntimeError(f"report template lacks {key}")
    # One pass, so a value that happens to contain "{{JS}}" is never substituted again.
    out: list[str] = []
    rest = page
    while "{{" in rest:
        head, _, tail = rest.partition("{{")
        key, sep, after = tail.partition("}}")
        token = "{{" + key + "}}"
        out.append(head)
        if sep and token in replacements:
            out.append(replacements[token])
            rest = after
        else:
            out.append("{{")
            rest = tail
    out.append(rest)
    return "".join(out)
