"""The instructor's grade note for one LMS submission, from its Report.

Two renderings of the same content: HTML for Moodle's feedback-comments editor and plain
text for a Canvas submission comment (Canvas shows comments as text). What goes in is
decided by `NoteContent`, computed from the course's posting policy and whether the
student can read the note right now:

- other submissions are named only in a note the student cannot read; a student-visible
  note says "another submission of this assignment" (classmates' identities are not the
  student's business), and never shows another submission's line numbers;
- the AI-risk level is shown only when the policy allows it (bot.lms_config), and with it, for
  high-risk files, why (the student's own line numbers and style habits; ml/explain.py), and,
  where the course keeps `author_history`, the level against the student's earlier work;
- the link to the instructor-side HTML report is shown only where the policy allows it.

Wording stays neutral: signals worth a look, never a verdict about a student.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from bot.comment import LEVEL_ORDER, best_matches, explained_high, level_for, risk_cell
from bot.repo_config import RepoConfig
from ml.submission import Report

MARKER = "codeguard:report"
#: Separates an earlier offering's scope from the submission name in corpus names.
EARLIER_SEP = "|"


@dataclass(frozen=True)
class NoteContent:
    show_ai: bool
    show_names: bool  # False whenever the student may read the note
    link: str | None = None
    link_only: bool = False


@dataclass(frozen=True)
class NoteContext:
    submission: str  # our name in the corpus
    version: str  # attempt / time, so a reader sees which upload the note is about
    model_version: str
    config: RepoConfig
    late: bool = False
    compared_with: int = 0  # other submissions in the comparison


def decide(policy: str, hidden: bool, ai_enabled: bool, link: str | None) -> NoteContent | None:
    """What the note may contain; None means post nothing."""
    if policy == "none":
        return None
    if policy == "link_only":
        # A link is a credential to a page that holds other students' code: only where
        # the student cannot read it.
        if link is None or not hidden:
            return None
        return NoteContent(show_ai=False, show_names=False, link=link, link_only=True)
    full = policy == "full_while_hidden" and hidden
    return NoteContent(show_ai=ai_enabled and full, show_names=hidden, link=link if hidden else None)


def _other_label(name: str, ctx: NoteContext, content: NoteContent) -> str:
    if not content.show_names:
        return "a submission of an earlier offering" if EARLIER_SEP in name else "another submission of this assignment"
    return name


def _rows(report: Report, ctx: NoteContext, content: NoteContent) -> tuple[list[list[str]], str | None]:
    matches = best_matches(report, ctx.submission, ctx.config.similarity_threshold)
    rows = []
    levels = []
    for risk in sorted(report.files, key=lambda f: f.path):
        row = [risk.path]
        if content.show_ai:
            level = level_for(risk, ctx.config)
            if level:
                levels.append(level)
            row.append(risk_cell(risk, level, "student's earlier work"))
        match = matches.get(risk.path)
        if match is None:
            row += ["—", "—", "—"]
        else:
            ours = ", ".join(f"{s}–{e}" if s != e else str(s) for s, e in sorted(set(match.ours))[:3])
            if content.show_names:
                theirs = ", ".join(f"{s}–{e}" if s != e else str(s) for s, e in sorted(set(match.theirs))[:3])
                ours = f"{ours} ↔ {theirs}"
            row += [_other_label(match.other, ctx, content), f"{match.similarity:.2f}", ours]
        rows.append(row)
    top = max(levels, key=lambda lv: LEVEL_ORDER.get(lv, -1), default=None)
    return rows, top


def _headline(report: Report, ctx: NoteContext, content: NoteContent, top: str | None) -> str:
    pairs = [p for p in report.pairs if ctx.submission in (p.a, p.b) and p.similarity >= ctx.config.similarity_threshold]
    parts = [f"{len(report.files)} file{'s' if len(report.files) != 1 else ''} analysed"]
    if pairs:
        best = max(pairs, key=lambda p: p.similarity)
        parts.append(f"highest similarity {best.similarity:.2f}")
    else:
        parts.append(f"no similarity at or above {ctx.config.similarity_threshold:.2f}")
    if content.show_ai and top:
        parts.append(f"highest AI-generated risk: {top}")
    return "; ".join(parts)


def _footer(ctx: NoteContext) -> str:
    late = " (late: compared with everything submitted before it)" if ctx.late else ""
    return (f"Upload {ctx.version}{late} · compared with {ctx.compared_with} other submission"
            f"{'s' if ctx.compared_with != 1 else ''} · model {ctx.model_version} · {MARKER}")


def render_text(report: Report, ctx: NoteContext, content: NoteContent) -> str:
    lines = ["CodeGuard review signals"]
    if content.link_only:
        lines += ["", f"Report for instructors: {content.link}", "", _footer(ctx)]
        return "\n".join(lines) + "\n"
    rows, top = _rows(report, ctx, content)
    lines += [_headline(report, ctx, content, top) + ".",
              "Signals for the grader's review, not a judgement about anyone's work.", ""]
    for row in rows:
        path, rest = row[0], row[1:]
        detail = []
        if content.show_ai:
            detail.append(f"AI-generated risk {rest.pop(0)}")
        other, score, lines_ = rest
        if other != "—":
            detail.append(f"similar to {other} ({score}), lines {lines_}")
        lines.append(f"- {path}: " + ("; ".join(detail) if detail else "no signals"))
    if content.show_ai and (why := explained_high(report, ctx.config)):
        lines += ["", "Why the high-risk files scored high (where to look, not proof):"]
        lines += [f"- {risk.path}: {text}." for risk, text in why]
    if report.skipped:
        lines += ["", f"Not analysed ({len(report.skipped)}):"]
        lines += [f"- {s.path}: {s.reason}" for s in sorted(report.skipped, key=lambda s: s.path)]
    if content.link:
        lines += ["", f"Full report for instructors: {content.link}"]
    lines += ["", _footer(ctx)]
    return "\n".join(lines) + "\n"


def render_html(report: Report, ctx: NoteContext, content: NoteContent) -> str:
    out = ["<p><strong>CodeGuard review signals</strong></p>"]
    if content.link_only:
        out.append(f'<p><a href="{escape(content.link or "")}">Report for instructors</a></p>')
        out.append(f"<p><small>{escape(_footer(ctx))}</small></p>")
        return "\n".join(out) + "\n"
    rows, top = _rows(report, ctx, content)
    out.append(f"<p>{escape(_headline(report, ctx, content, top))}. "
               "Signals for the grader's review, not a judgement about anyone's work.</p>")
    if rows:
        head = ["File"] + (["AI-generated risk"] if content.show_ai else []) + [
            "Most similar submission", "Similarity", "Matched lines" + (" (here ↔ there)" if content.show_names else "")]
        out.append("<table><thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr></thead><tbody>")
        for row in rows:
            out.append("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>")
        out.append("</tbody></table>")
    if content.show_ai and (why := explained_high(report, ctx.config)):
        out.append("<p>Why the high-risk files scored high (where to look, not proof):</p><ul>")
        out += [f"<li>{escape(risk.path)}: {escape(text)}.</li>" for risk, text in why]
        out.append("</ul>")
    if report.skipped:
        out.append(f"<p>Not analysed ({len(report.skipped)}):</p><ul>")
        out += [f"<li>{escape(s.path)}: {escape(s.reason)}</li>" for s in sorted(report.skipped, key=lambda s: s.path)]
        out.append("</ul>")
    if content.link:
        out.append(f'<p><a href="{escape(content.link)}">Full report for instructors</a></p>')
    out.append(f"<p><small>{escape(_footer(ctx))}</small></p>")
    return "\n".join(out) + "\n"
