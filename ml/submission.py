"""The two platform-neutral records that cross every boundary: Submission in, Report out.

Platforms (GitHub, GitLab, Moodle, Canvas, a folder on disk) only translate to and from
these, so the analysis never learns where code came from, and a report can be rendered
for any of them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class SourceFile:
    """One code file of a submission. `path` is relative to the submission root."""

    path: str
    language: str
    text: str


@dataclass
class Submission:
    """One unit of work by one author: a PR's changed files, an LMS upload, a folder.

    Files inside one submission are never compared with each other.
    """

    name: str
    files: list[SourceFile]
    scope: str = ""
    author: str = ""


@dataclass(frozen=True)
class Skipped:
    """A file that was not analysed, and why; reports always list these."""

    path: str
    reason: str


@dataclass(frozen=True)
class FileRisk:
    path: str
    language: str
    ai_score: float | None
    risk_level: str | None
    # Why the file scored as it did (ml/explain.py): numbers, feature names and line numbers of
    # this file only, never code. Set only for files a reviewer is pointed at (bot.analysis).
    explanation: dict[str, Any] | None = field(default=None, hash=False)
    # Against the author's own earlier work (ml.author_baseline), where the bot keeps a history.
    relative_score: float | None = None
    relative_level: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The scan contract's file row; the optional extras only where they are set."""
        out = asdict(self)
        for key in _OPTIONAL_FILE_KEYS:
            if out[key] is None:
                del out[key]
        return out


_OPTIONAL_FILE_KEYS = ("explanation", "relative_score", "relative_level")


@dataclass(frozen=True)
class Fragment:
    """A matched region: inclusive 1-based line ranges on both sides."""

    a_path: str
    a_lines: tuple[int, int]
    b_path: str
    b_lines: tuple[int, int]
    tokens: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "a_path": self.a_path,
            "a_lines": list(self.a_lines),
            "b_path": self.b_path,
            "b_lines": list(self.b_lines),
            "tokens": self.tokens,
        }


@dataclass
class PairMatch:
    a: str
    b: str
    similarity: float
    structural: float
    semantic: float | None = None
    fragments: list[Fragment] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "similarity": round(self.similarity, 6),
            "structural": round(self.structural, 6),
            "semantic": None if self.semantic is None else round(self.semantic, 6),
            "fragments": [f.to_dict() for f in self.fragments],
        }


@dataclass
class Report:
    files: list[FileRisk] = field(default_factory=list)
    pairs: list[PairMatch] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    model_version: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [f.to_dict() for f in self.files],
            "pairs": [p.to_dict() for p in self.pairs],
            "skipped": [asdict(s) for s in self.skipped],
            "model_version": self.model_version,
            "settings": self.settings,
        }
