"""One joined, display-ready view of a Report and its Submissions, shared by every renderer.

The Report carries scores and line ranges; the pair view also needs the source texts,
which only the Submissions hold. Joining them (and applying pseudonyms) once here keeps
the HTML, CSV and SARIF outputs consistent: the same pair has the same rank, the same
longest fragment and the same pseudonym in all three.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.reports.anonymise import Pseudonymiser
from ml.submission import FileRisk, Fragment, PairMatch, Report, Skipped, SourceFile, Submission


def full_path(sub_name: str, file_path: str) -> str:
    """The path a reader sees for a file: "<submission>/<path>", without doubling the name.

    A single-file submission is named after its file ("alice.py"), and some loaders
    already prefix the submission name; neither should become "alice.py/alice.py".
    """
    p = file_path.replace("\\", "/")
    if p == sub_name or p.startswith(sub_name + "/"):
        return p
    return f"{sub_name}/{p}"


def resolve_file(sub: Submission | None, path: str) -> SourceFile | None:
    """Find a fragment's file in its submission whether the path is relative or prefixed."""
    if sub is None:
        return None
    norm = path.replace("\\", "/")
    best: SourceFile | None = None
    for f in sub.files:
        fp = f.path.replace("\\", "/")
        if fp == norm or full_path(sub.name, fp) == norm:
            return f
        if norm.endswith("/" + fp) and (best is None or len(fp) > len(best.path)):
            best = f
    return best


def fragment_lines(frag: Fragment) -> int:
    """Length of a fragment in lines, the larger of its two sides (what a reader scrolls)."""
    return max(frag.a_lines[1] - frag.a_lines[0], frag.b_lines[1] - frag.b_lines[0]) + 1


def longest_fragment(pair: PairMatch) -> Fragment | None:
    if not pair.fragments:
        return None
    return max(pair.fragments, key=lambda f: (fragment_lines(f), f.tokens))


@dataclass(slots=True)
class PairRow:
    """A ranked pair with display names.

    `a_sub`/`b_sub` and the fragments keep the real names and paths, because they are
    what the submissions are looked up by; renderers pass paths through `show_path`.
    """

    rank: int
    a: str
    b: str
    a_sub: str
    b_sub: str
    similarity: float
    structural: float
    semantic: float | None
    fragments: tuple[Fragment, ...]
    longest_lines: int
    longest_tokens: int


@dataclass
class ReportView:
    report: Report
    submissions: dict[str, Submission]
    thresholds: dict[str, float] | None
    pseudonyms: Pseudonymiser | None
    pairs: list[PairRow] = field(default_factory=list)
    files: list[FileRisk] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def show_name(self, name: str) -> str:
        return self.pseudonyms.name(name) if self.pseudonyms else name

    def show_path(self, path: str) -> str:
        return self.pseudonyms.path(path) if self.pseudonyms else path

    def fragment_paths(self, row: PairRow, frag: Fragment) -> tuple[str, str]:
        """Both sides' paths as displayed, always prefixed with their (shown) submission."""
        return (
            self.show_path(full_path(row.a_sub, frag.a_path)),
            self.show_path(full_path(row.b_sub, frag.b_path)),
        )

    def submission_names(self) -> list[str]:
        """Every submission's real name, including ones that appear only in pairs.

        Sorted by the name as displayed: sorting pseudonymised names by the real ones
        would leak the class list's alphabetical order through the page's indices.
        """
        names = dict.fromkeys(self.submissions)
        for row in self.pairs:
            names[row.a_sub] = None
            names[row.b_sub] = None
        return sorted(names, key=lambda n: (self.show_name(n), n))

    def languages(self) -> dict[str, int]:
        """Files per language over the analysed files (report rows, else submission files)."""
        counts: dict[str, int] = {}
        langs: Iterable[str] = (
            (f.language for f in self.report.files)
            if self.report.files
            else (f.language for s in self.submissions.values() for f in s.files)
        )
        for lang in langs:
            counts[lang or "unknown"] = counts.get(lang or "unknown", 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _names_to_hide(report: Report, subs: Iterable[Submission]) -> set[str]:
    names: set[str] = set()
    for s in subs:
        names.add(s.name)
        if s.author:
            names.add(s.author)
    for p in report.pairs:
        names.update((p.a, p.b))
    # Top-level entries that were skipped whole ("bob.docx") are student names too.
    for sk in report.skipped:
        if not sk.path.startswith("base code: "):  # the instructor's files, not a student's
            names.add(sk.path.replace("\\", "/").split("/", 1)[0])
    return {n for n in names if n}


def normalise_thresholds(thresholds: Mapping[str, Any] | None) -> dict[str, float] | None:
    """Accept calibrate()'s {"levels": {"high": {"threshold": t}}} or a flat {"high": t}."""
    if not thresholds:
        return None
    levels = thresholds.get("levels", thresholds)
    out: dict[str, float] = {}
    for name, value in levels.items():
        t = value.get("threshold") if isinstance(value, Mapping) else value
        if isinstance(t, int | float) and not isinstance(t, bool):
            out[str(name)] = float(t)
    return dict(sorted(out.items(), key=lambda kv: -kv[1])) or None


def build_view(
    report: Report,
    submissions: Sequence[Submission] = (),
    thresholds: Mapping[str, Any] | None = None,
    *,
    anonymise: bool = False,
    anonymise_key: bytes | str | None = None,
) -> ReportView:
    subs = {s.name: s for s in submissions}
    if len(subs) != len(submissions):
        dupes = sorted({s.name for s in submissions if sum(t.name == s.name for t in submissions) > 1})
        raise ValueError(f"duplicate submission names: {', '.join(dupes[:5])}")
    pseudo = Pseudonymiser.from_env(_names_to_hide(report, submissions), anonymise_key) if anonymise else None
    # A report from a model-backed analysis may carry its calibrated thresholds itself.
    if thresholds is None and isinstance(report.settings.get("thresholds"), Mapping):
        thresholds = report.settings["thresholds"]
    view = ReportView(report, subs, normalise_thresholds(thresholds), pseudo)
    ranked = sorted(
        report.pairs,
        key=lambda p: (-p.similarity, -p.structural, -(p.semantic or 0.0), p.a, p.b),
    )
    for rank, p in enumerate(ranked, 1):
        longest = longest_fragment(p) if p.fragments else None
        view.pairs.append(
            PairRow(
                rank=rank,
                a=view.show_name(p.a),
                b=view.show_name(p.b),
                a_sub=p.a,
                b_sub=p.b,
                similarity=p.similarity,
                structural=p.structural,
                semantic=p.semantic,
                fragments=tuple(p.fragments),
                longest_lines=fragment_lines(longest) if longest else 0,
                longest_tokens=max([f.tokens for f in p.fragments]) if p.fragments else 0,
            )
        )
    view.files = [
        replace(f, path=view.show_path(f.path)) for f in report.files
    ]
    view.skipped = [Skipped(view.show_path(s.path), s.reason) for s in report.skipped]
    return view
