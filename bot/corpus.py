"""The scope's corpus: earlier submissions each new PR/MR is compared with, in Redis.

A scope is one repository (`github:owner/repo`: its other open and past PRs) or, for
GitHub-Classroom-style courses, every repository of one organisation whose name starts
with the assignment prefix (`github:org/hw1-*`: each student's repo is one submission).
Each submission is one hash field (its name) holding zlib-compressed JSON of its files;
a new analysis of the same PR replaces the previous version, so a PR is never compared
with its own earlier commits.

Student code lives in Redis only: nothing here logs file contents, and the PR comment
shows other submissions by name and line range, never their text.
"""

from __future__ import annotations

import json
import time
import zlib
from dataclasses import dataclass
from typing import Any

import redis

from bot.queue import ChangeRef
from bot.repo_config import RepoConfig
from ml.submission import SourceFile, Submission

PREFIX = "codeguard:corpus"
FEEDBACK_PREFIX = "codeguard:feedback"


def assignment_prefix(repo_name: str, configured: str = "") -> str:
    """GitHub Classroom names repos `<assignment>-<username>`; the prefix is the part before."""
    if configured:
        return configured
    name = repo_name.rsplit("/", 1)[-1]
    return name.rsplit("-", 1)[0] + "-" if "-" in name else name


def scope_for(ref: ChangeRef, config: RepoConfig) -> str:
    if config.scope == "assignment" and ref.owner:
        return f"{ref.platform}:{ref.owner}/{assignment_prefix(ref.repo, config.assignment_prefix)}*"
    return f"{ref.platform}:{ref.repo}"


def submission_name(ref: ChangeRef) -> str:
    return ref.label


@dataclass(frozen=True)
class StoredMeta:
    name: str
    author: str
    head_sha: str
    stored_at: float


class Corpus:
    def __init__(self, conn: redis.Redis, max_submissions: int = 1000) -> None:
        self.conn = conn
        self.max_submissions = max_submissions

    @staticmethod
    def _key(scope: str) -> str:
        return f"{PREFIX}:{scope}"

    def store(self, scope: str, submission: Submission, head_sha: str) -> None:
        record = {
            "name": submission.name,
            "author": submission.author,
            "head_sha": head_sha,
            "stored_at": time.time(),
            "files": [{"path": f.path, "language": f.language, "text": f.text} for f in submission.files],
        }
        blob = zlib.compress(json.dumps(record).encode("utf-8"), 6)
        key = self._key(scope)
        pipe = self.conn.pipeline()
        pipe.hset(key, submission.name, blob)
        pipe.zadd(f"{key}:order", {submission.name: record["stored_at"]})
        pipe.execute()
        self._trim(key)

    def _trim(self, key: str) -> None:
        excess = self.conn.zcard(f"{key}:order") - self.max_submissions
        if excess > 0:
            oldest = [m.decode() for m in self.conn.zrange(f"{key}:order", 0, excess - 1)]
            pipe = self.conn.pipeline()
            pipe.hdel(key, *oldest)
            pipe.zrem(f"{key}:order", *oldest)
            pipe.execute()

    @staticmethod
    def _decode(blob: bytes) -> dict[str, Any]:
        return json.loads(zlib.decompress(blob).decode("utf-8"))  # type: ignore[no-any-return]

    def load(self, scope: str, *, exclude: str = "") -> list[Submission]:
        """Every stored submission of the scope except `exclude` (the one being analysed)."""
        out: list[Submission] = []
        for name, blob in sorted(self.conn.hgetall(self._key(scope)).items()):
            if name.decode() == exclude:
                continue
            record = self._decode(blob)
            files = [SourceFile(f["path"], f["language"], f["text"]) for f in record["files"]]
            out.append(Submission(record["name"], files, scope=scope, author=record.get("author", "")))
        return out

    def meta(self, scope: str, name: str) -> StoredMeta | None:
        blob = self.conn.hget(self._key(scope), name)
        if blob is None:
            return None
        record = self._decode(blob)
        return StoredMeta(record["name"], record.get("author", ""), record.get("head_sha", ""), record["stored_at"])

    def names(self, scope: str) -> list[str]:
        return sorted(n.decode() for n in self.conn.hkeys(self._key(scope)))

    def forget(self, scope: str, name: str) -> None:
        pipe = self.conn.pipeline()
        pipe.hdel(self._key(scope), name)
        pipe.zrem(f"{self._key(scope)}:order", name)
        pipe.execute()

    # ------------------------------------------------------------------ labelled feedback

    def store_feedback(self, label: str, submission: Submission, source: str, head_sha: str) -> int:
        """Keep the PR's files as labelled examples ("ai" / "human") for retraining.

        One field per (source, commit, path), so labelling the same commit twice stores
        each file once; a later commit's files are separate examples.
        """
        if label not in ("ai", "human"):
            raise ValueError(f"feedback label must be 'ai' or 'human', got {label!r}")
        key = f"{FEEDBACK_PREFIX}:{label}"
        pipe = self.conn.pipeline()
        for f in submission.files:
            example = {"path": f.path, "language": f.language, "text": f.text, "label": label,
                       "source": source, "head_sha": head_sha, "stored_at": time.time()}
            pipe.hset(key, f"{source}@{head_sha}:{f.path}", zlib.compress(json.dumps(example).encode("utf-8")))
        pipe.execute()
        return len(submission.files)

    def feedback(self, label: str) -> list[dict[str, Any]]:
        return [self._decode(v) for _, v in sorted(self.conn.hgetall(f"{FEEDBACK_PREFIX}:{label}").items())]
