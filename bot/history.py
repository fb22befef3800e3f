"""Each author's earlier AI scores in a scope (a course for the LMS bot; a repository, or a
classroom organisation, for PRs), so new work can also be read against the author's own
(ml.author_baseline; `codeguard detect --history` does the same for folders).

Why: on Code Jam dev the same score caught 0.743 of GPT-4o rewrites at 1% FPR alone and 0.775
against the author's other files whatever they were (docs/BENCHMARKS.md, "Against the author's
own work"); a course sees every student many times. Why opt-in (`author_history` in the
course file or `.codeguard.yml`): those levels were calibrated on professional and competitive
authors, and how a student's style drifts over a course is not in the data; a student whose
early files were messier than later ones is the false-positive risk.

What is kept: per (scope, author, work: an assignment or a PR) the model version and, per
language, the AI scores of the work's latest upload or head. Numbers only, never code or paths.
A re-upload replaces its work's entry; scores of another model version are ignored (another
scale); a file is never its own history, nor is the rest of its work.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import redis

from ml.submission import FileRisk, Report

PREFIX = "codeguard:history"


@dataclass(frozen=True)
class AuthorHistory:
    conn: redis.Redis

    @staticmethod
    def key(scope: str, author: str) -> str:
        return f"{PREFIX}:{scope}:{author}"

    def record(self, scope: str, author: str, work: str, model: str, files: Sequence[FileRisk]) -> int:
        """Keep this upload's scores as `work`'s entry (replacing an earlier upload's); returns how
        many were kept. An upload with no scored file removes the entry: it no longer stands."""
        scores: dict[str, list[float]] = {}
        for f in files:
            if f.ai_score is not None:
                scores.setdefault(f.language, []).append(round(float(f.ai_score), 6))
        if not scores:
            self.conn.hdel(self.key(scope, author), work)
            return 0
        entry = {"model": model, "scores": scores, "at": round(time.time(), 3)}
        self.conn.hset(self.key(scope, author), work, json.dumps(entry, sort_keys=True))
        return sum(len(v) for v in scores.values())

    def scores(self, scope: str, author: str, model: str, language: str, exclude_work: str) -> list[float]:
        """The author's kept scores in `language` from other work, by the same model version."""
        out: list[float] = []
        for work, raw in self.conn.hgetall(self.key(scope, author)).items():
            if _text(work) == exclude_work:
                continue
            entry = json.loads(raw)
            if entry.get("model") == model:
                out.extend(float(s) for s in entry.get("scores", {}).get(language, []))
        return out

    def entries(self, scope: str, author: str) -> dict[str, dict[str, Any]]:
        """Everything kept about one author in one scope: {work: {"model", "scores", "at"}}."""
        return {_text(w): json.loads(raw) for w, raw in sorted(self.conn.hgetall(self.key(scope, author)).items())}

    def forget(self, scope: str, author: str) -> bool:
        """Drop everything kept about one author in one scope (e.g. on a data request)."""
        return bool(self.conn.delete(self.key(scope, author)))


@dataclass(frozen=True)
class AuthorWork:
    """One author's history seen from one piece of work (an LMS assignment, a PR): what the
    analysis of that work reads (`lookup`) and keeps (`keep`)."""

    store: AuthorHistory
    scope: str  # a course (LMS), an organisation or a repository (GitHub/GitLab)
    author: str
    work: str

    def lookup(self, model: str, language: str) -> list[float]:
        return self.store.scores(self.scope, self.author, model, language, exclude_work=self.work)

    def keep(self, report: Report) -> None:
        self.store.record(self.scope, self.author, self.work, report.model_version or "", report.files)


def with_relative(report: Report, detector: Any, history: Callable[[str, str], Sequence[float]]) -> int:
    """Set relative_score/relative_level on each scored file whose language has a history by
    this detector's model version; returns how many. Nothing when the model has no relative
    calibration."""
    if detector is None or getattr(detector, "relative", None) is None:
        return 0
    model = str(getattr(detector, "model_version", ""))
    by_language: dict[str, list[float]] = {}  # one history read per language, not per file
    done = 0
    for i, f in enumerate(report.files):
        if f.ai_score is None:
            continue
        if f.language not in by_language:
            by_language[f.language] = list(history(model, f.language))
        past = by_language[f.language]
        if not past:
            continue
        rel = detector.relative_score(f.ai_score, past)
        report.files[i] = replace(f, relative_score=float(rel["relative_score"]), relative_level=rel["relative_level"])
        done += 1
    return done


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
