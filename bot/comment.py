"""The PR/MR comment and the one-line status summary, from a Report.

Wording is deliberately neutral: scores are signals that a human reviewer may want to
look at, never verdicts about a person. Other submissions appear only by name, score and
line ranges; no text of another contributor's code is ever copied into the comment.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import quote

from bot.notebook import is_notebook
from bot.repo_config import RepoConfig
from ml.explain import reasons_text
from ml.submission import FileRisk, Fragment, PairMatch, Report, Skipped

LEVEL_ORDER = {"low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True)
class FileMatch:
    other: str
    similarity: float
    ours: list[tuple[int, int]] = field(default_factory=list)
    theirs: list[tuple[int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class CommentContext:
    submission: str  # our submission's name (ChangeRef.label)
    repo: str
    platform: str
    head_sha: str
    model_version: str
    config: RepoConfig = field(default_factory=RepoConfig)
    web_url: str = ""  # the repository's web page (ChangeInfo.web_url): line numbers become links

    def line_link(self, path: str, start: int, end: int | None = None) -> str:
        """"12" or "12–14", as a link to those lines of this change's version of `path` where the
        repository's web page is known. Links go only to this change's own files."""
        end = start if end is None else end
        text = f"{start}–{end}" if end != start else f"{start}"
        if not _WEB_URL.fullmatch(self.web_url) or is_notebook(path):
            return text  # a notebook's lines are those of its code cells, not of the file's JSON
        blob = "blob" if self.platform == "github" else "-/blob"
        anchor = f"L{start}" + (("-L" if self.platform == "github" else "-") + str(end) if end != start else "")
        return f"[{text}]({self.web_url.rstrip('/')}/{blob}/{self.head_sha}/{quote(path)}#{anchor})"


# A web page address that cannot break out of a markdown link.
_WEB_URL = re.compile(r"https?://[^\s()\[\]<>]+")


def _code(text: str) -> str:
    # Paths and names go inside inline code; a backtick or pipe would break the table.
    return "`" + text.replace("`", "'").replace("|", "\\|").replace("\n", " ") + "`"


def display_name(name: str, ctx: CommentContext) -> str:
    """Same-repository submissions read as "PR #5" / "MR !5"; others keep their repo."""
    for sep, word in (("#", "PR"), ("!", "MR")):
        if name.startswith(ctx.repo + sep):
            return f"{word} {sep}{name[len(ctx.repo) + 1:]}"
    return name


def level_for(risk: FileRisk, config: RepoConfig) -> str | None:
    if risk.ai_score is None:
        return None
    if config.ai_risk_high is not None and config.ai_risk_medium is not None:
        if risk.ai_score >= config.ai_risk_high:
            return "high"
        return "medium" if risk.ai_score >= config.ai_risk_medium else "low"
    return risk.risk_level


def risk_cell(risk: FileRisk, level: str | None, whose: str) -> str:
    """"high (0.97)", with the level against `whose` earlier work where a history gave one."""
    if level is None or risk.ai_score is None:
        return "not assessed"
    cell = f"{level} ({risk.ai_score:.2f})"
    return cell + (f"; against the {whose}: {risk.relative_level}" if risk.relative_level else "")


def best_matches(report: Report, ours: str, threshold: float) -> dict[str, FileMatch]:
    """For each of our files, the most similar other submission and the matched ranges."""
    best: dict[str, FileMatch] = {}
    for pair in report.pairs:
        if ours not in (pair.a, pair.b) or pair.a == pair.b or pair.similarity < threshold:
            continue
        we_are_a = pair.a == ours
        other = pair.b if we_are_a else pair.a
        per_file: dict[str, FileMatch] = {}
        for frag in pair.fragments:
            path, mine, theirs = _sides(frag, we_are_a)
            current = per_file.get(path) or FileMatch(other, pair.similarity)
            current.ours.append(mine)
            current.theirs.append(theirs)
            per_file[path] = current
        for path, match in per_file.items():
            if path not in best or match.similarity > best[path].similarity:
                best[path] = match
    return best


def _sides(frag: Fragment, we_are_a: bool) -> tuple[str, tuple[int, int], tuple[int, int]]:
    if we_are_a:
        return frag.a_path, frag.a_lines, frag.b_lines
    return frag.b_path, frag.b_lines, frag.a_lines


def _ranges(ranges: list[tuple[int, int]], limit: int = 3, link: Callable[[int, int], str] | None = None) -> str:
    parts = [link(s, e) if link else (f"{s}–{e}" if s != e else f"{s}") for s, e in sorted(set(ranges))[:limit]]
    more = len(set(ranges)) - limit
    return ", ".join(parts) + (f" (+{more})" if more > 0 else "")


def _top_pair(report: Report, ours: str, threshold: float) -> PairMatch | None:
    pairs = [p for p in report.pairs if ours in (p.a, p.b) and p.a != p.b and p.similarity >= threshold]
    return max(pairs, key=lambda p: p.similarity, default=None)


def summary(report: Report, ctx: CommentContext) -> tuple[str, str]:
    """(state, one line) for the commit status / check run. State "attention" = signals found."""
    files = [f for f in report.files]
    levels = [lv for lv in (level_for(f, ctx.config) for f in files) if lv]
    top_level = max(levels, key=lambda lv: LEVEL_ORDER.get(lv, -1), default=None)
    pair = _top_pair(report, ctx.submission, ctx.config.similarity_threshold)
    parts = [f"{len(files)} file{'s' if len(files) != 1 else ''} analysed"]
    if ctx.config.ai_detection and top_level:
        parts.append(f"highest AI-generated risk: {top_level}")
    if pair is not None:
        other = pair.b if pair.a == ctx.submission else pair.a
        parts.append(f"most similar: {display_name(other, ctx)} ({pair.similarity:.2f})")
    attention = pair is not None or top_level == "high"
    if not attention:
        parts.append("no signals above the thresholds")
    return ("attention" if attention else "success"), "; ".join(parts)


def render(report: Report, ctx: CommentContext) -> str:
    matches = best_matches(report, ctx.submission, ctx.config.similarity_threshold)
    sep = "!" if ctx.platform == "gitlab" else "#"
    kind = "merge request" if ctx.platform == "gitlab" else "pull request"
    lines = [
        "### CodeGuard review signals",
        "",
        f"Automated signals for the reviewer of this {kind}. They point at code worth a closer "
        "look; they are not a judgement about anyone's work.",
        "",
    ]
    show_ai = ctx.config.ai_detection
    if report.files:
        header = "| File | " + ("AI-generated risk | " if show_ai else "") + "Most similar submission | Similarity | Matched lines (here ↔ there) |"
        lines += [header, "|" + "---|" * header.count(" | ")]
        for risk in sorted(report.files, key=lambda f: f.path):
            row = [_code(risk.path)]
            if show_ai:
                level = level_for(risk, ctx.config)
                row.append(risk_cell(risk, level, "author's earlier work"))
            match = matches.get(risk.path)
            if match is None:
                row += ["—", "—", "—"]
            else:
                row += [
                    _code(display_name(match.other, ctx)),
                    f"{match.similarity:.2f}",
                    f"{_ranges(match.ours, link=partial(ctx.line_link, risk.path))} ↔ {_ranges(match.theirs)}",
                ]
            lines.append("| " + " | ".join(row) + " |")
    else:
        lines.append("No code files in this change could be analysed.")
    if show_ai:
        lines += _reasons(report, ctx, kind)
    if report.skipped:
        lines += ["", f"<details><summary>Skipped files ({len(report.skipped)})</summary>", ""]
        lines += [f"- {_code(s.path)}: {s.reason}" for s in sorted(report.skipped, key=_skip_key)]
        lines += ["", "</details>"]
    if ctx.config.errors:
        lines += ["", "**`.codeguard.yml` problems** (defaults used for these):"]
        lines += [f"- {err}" for err in ctx.config.errors]
    lines += [
        "",
        f"<sub>Commit `{ctx.head_sha[:12]}` · model `{ctx.model_version}` · similarity shown from "
        f"{ctx.config.similarity_threshold:.2f} · compared with earlier submissions in this "
        f"{'assignment' if ctx.config.scope == 'assignment' else 'repository'}. "
        f"To analyse again, comment `/codeguard recheck` on this {kind} (needs write access). "
        f"Ref {sep}{ctx.submission.rsplit(sep, 1)[-1]}.</sub>",
    ]
    return "\n".join(lines) + "\n"


def explained_high(
    report: Report, config: RepoConfig, ctx: CommentContext | None = None
) -> list[tuple[FileRisk, str]]:
    """(file, why in words) for each high-risk file that carries an explanation, by path; with
    `ctx`, its line numbers link to the lines."""
    out = []
    for r in sorted(report.files, key=lambda f: f.path):
        if r.explanation and level_for(r, config) == "high":
            why = reasons_text(r.explanation, line=partial(ctx.line_link, r.path) if ctx else str)
            if why:
                out.append((r, why))
    return out


def _reasons(report: Report, ctx: CommentContext, kind: str) -> list[str]:
    """Why the high-risk files scored high: their own line numbers and style habits, no code."""
    rows = explained_high(report, ctx.config, ctx)
    if not rows:
        return []
    out = ["", f"<details><summary>Why {len(rows)} file{'s' if len(rows) != 1 else ''} scored high</summary>", ""]
    out += [f"- {_code(risk.path)}: {why}." for risk, why in rows]
    out += ["", f"Where to look, not proof: people write this way too, and light edits change these signals. "
            f"Line numbers are those of the file in this {kind}.", "", "</details>"]
    return out


def _skip_key(s: Skipped) -> str:
    return s.path


def failure_text(will_retry: bool) -> str:
    if will_retry:
        return "Analysis did not complete; it will be retried automatically."
    return "Analysis did not complete; see the worker logs or comment /codeguard recheck."
