"""SARIF 2.1.0 output, so findings can be uploaded to GitHub code scanning.

Two rules: an AI-generated-code risk signal per file at medium or high risk, and a
code-similarity finding per pair located on the longest matched fragment of its first
side, with every matched region of both sides as related locations. Low-risk files are
not results: code scanning shows every result as an alert, and an alert for "nothing
notable" would bury the ones worth reading. A file scanned with `--explain` is located on the
line that reads most like generated code, and its message says why (ml/explain.py).

Each result carries a partial fingerprint of what it is about (the file, or the
unordered pair), so re-running a scan updates an alert instead of opening a new one.
GitHub rejects URIs that are absolute or outside the checkout, so paths are written
relative to %SRCROOT%, with `uri_prefix` for a scan of a sub-folder of the repository.
"""

from __future__ import annotations

import hashlib
from importlib import metadata
from typing import Any
from urllib.parse import quote

from bot.reports.view import PairRow, ReportView, full_path
from ml.explain import reasons, reasons_text

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
AI_RULE = "codeguard/ai-generated-risk"
SIMILARITY_RULE = "codeguard/code-similarity"
_LEVEL = {"high": "warning", "medium": "note"}

_RULES: list[dict[str, Any]] = [
    {
        "id": AI_RULE,
        "name": "AiGeneratedCodeRisk",
        "shortDescription": {"text": "AI-generated code risk signal"},
        "fullDescription": {
            "text": "The classifier scored this file as resembling AI-generated code. "
            "A signal for human review, not a finding of misconduct."
        },
        "help": {
            "text": "Read the file with its author in mind: the score is a calibrated probability-like "
            "signal from a model, with known false positives on short or boilerplate code. "
            "Use it to decide what to look at, never as a verdict.",
        },
        "defaultConfiguration": {"level": "note"},
        "properties": {"tags": ["academic-integrity", "ai-generated"], "precision": "low"},
    },
    {
        "id": SIMILARITY_RULE,
        "name": "CodeSimilarity",
        "shortDescription": {"text": "Code similar to another submission"},
        "fullDescription": {
            "text": "Structural fingerprints (and, where a model is used, embeddings) match another "
            "submission. Shared code can be legitimate: base code, libraries, allowed collaboration."
        },
        "help": {
            "text": "Compare the related locations side by side (the HTML report shows them) and "
            "decide whether the overlap is expected for this assignment.",
        },
        "defaultConfiguration": {"level": "warning"},
        "properties": {"tags": ["academic-integrity", "similarity"], "precision": "medium"},
    },
]


def _version() -> str:
    try:
        return metadata.version("codeguard-nexus")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:32]


def _location(uri: str, start: int, end: int | None = None, message: str | None = None) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": max(1, start)}
    if end is not None and end >= region["startLine"]:
        region["endLine"] = end
    loc: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
            "region": region,
        }
    }
    if message:
        loc["message"] = {"text": message}
    return loc


def _score(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


class _Uris:
    def __init__(self, view: ReportView, prefix: str) -> None:
        self.view = view
        self.prefix = prefix.strip("/")

    def __call__(self, path: str) -> str:
        shown = self.view.show_path(path).replace("\\", "/").lstrip("/")
        joined = f"{self.prefix}/{shown}" if self.prefix else shown
        return quote(joined, safe="/-._~")


def _pair_result(view: ReportView, row: PairRow, uri: _Uris) -> dict[str, Any]:
    summary = (
        f"Similar to {row.b}: similarity {_score(row.similarity)} "
        f"(structural {_score(row.structural)}, semantic {_score(row.semantic)}), "
        f"{len(row.fragments)} matched region(s). Evidence for human review."
    )
    related = []
    primary = None
    longest = max(
        row.fragments,
        key=lambda f: (max(f.a_lines[1] - f.a_lines[0], f.b_lines[1] - f.b_lines[0]), f.tokens),
        default=None,
    )
    for i, frag in enumerate(row.fragments):
        a_path = full_path(row.a_sub, frag.a_path)
        b_path = full_path(row.b_sub, frag.b_path)
        a_shown, b_shown = view.fragment_paths(row, frag)
        related.append(
            _location(uri(a_path), *frag.a_lines, message=f"region {i + 1}, matches {b_shown}")
            | {"id": 2 * i}
        )
        related.append(
            _location(uri(b_path), *frag.b_lines, message=f"region {i + 1}, matches {a_shown}")
            | {"id": 2 * i + 1}
        )
        if frag is longest:
            primary = _location(uri(a_path), *frag.a_lines)
    if primary is None:
        # No line-level evidence (a semantic-only match): point at the submission itself.
        sub = view.submissions.get(row.a_sub)
        first = sorted(f.path for f in sub.files)[0] if sub and sub.files else row.a_sub
        primary = _location(uri(full_path(row.a_sub, first)), 1)
    result: dict[str, Any] = {
        "ruleId": SIMILARITY_RULE,
        "ruleIndex": 1,
        "level": "warning",
        "message": {"text": summary},
        "locations": [primary],
        "partialFingerprints": {"codeguardPair/v1": _fingerprint(*sorted((row.a_sub, row.b_sub)))},
        "properties": {
            "rank": row.rank,
            "other": row.b,
            "similarity": round(row.similarity, 4),
            "structural": round(row.structural, 4),
            "semantic": None if row.semantic is None else round(row.semantic, 4),
        },
    }
    if related:
        result["relatedLocations"] = related
    return result


def render_sarif(view: ReportView, *, uri_prefix: str = "") -> dict[str, Any]:
    """The SARIF log as a dict (json.dump it); one run, one tool, two rules."""
    uri = _Uris(view, uri_prefix)
    results: list[dict[str, Any]] = []
    for shown, real in zip(view.files, view.report.files, strict=True):
        level = (real.risk_level or "").lower()
        if level not in _LEVEL:
            continue
        why = reasons_text(real.explanation) if real.explanation else ""
        lines, _ = reasons(real.explanation) if real.explanation else ([], [])
        results.append(
            {
                "ruleId": AI_RULE,
                "ruleIndex": 0,
                "level": _LEVEL[level],
                "message": {
                    "text": f"AI-generated code risk: {level} (score {_score(real.ai_score)}). "
                    + (f"Against the author's earlier work: {real.relative_level}. " if real.relative_level else "")
                    + (f"Why: {why}. " if why else "")
                    + "A signal for human review, not a verdict."
                },
                # Code scanning annotates the primary location: the line that reads most generated.
                "locations": [_location(uri(real.path), lines[0] if lines else 1)],
                "partialFingerprints": {"codeguardFile/v1": _fingerprint(real.path)},
                "properties": {"ai_score": real.ai_score, "risk_level": level, "path": shown.path},
            }
        )
    results.extend(_pair_result(view, row, uri) for row in view.pairs)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "CodeGuard Nexus",
                "version": _version(),
                "rules": _RULES,
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The scanned checkout."}}},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            "model_version": view.report.model_version,
            "settings": view.report.settings,
            "thresholds": view.thresholds,
            "anonymised": view.pseudonyms is not None,
        },
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
