"""Labelled feedback: code a maintainer or instructor said is AI-generated or human-written.

Examples come from PR/MR labels (`codeguard:ai` / `codeguard:human`, via bot.jobs) and from
`codeguard feedback add` (LMS cases, files an instructor already judged). Each example keeps
the code, its language, the label, who labelled it, where it came from and when.

Deduplicated by content: the id is a hash of the language and the normalised text, so the
same file labelled on two PRs (or re-labelled after a force-push that did not touch it) is
one training example, not two votes. A later, different label replaces the earlier one and
the earlier one is kept in `previous` so a flip-flop can be seen.

Durable twice: Redis (what the jobs read) and a JSONL snapshot in the feedback data dir
(`CODEGUARD_FEEDBACK_DIR`, default `<models dir>/feedback/`, gitignored: it holds student
code and must never be committed). The snapshot is rewritten atomically after every change,
so a lost Redis is restored from it (`restore`) without losing a label. Nothing here logs
code; logs and listings carry ids, labels and places only.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import redis

from ml.registry import _atomic_write, models_dir

ITEMS_KEY = "codeguard:feedback:items"
ORDER_KEY = "codeguard:feedback:order"
SNAPSHOT_FILE = "feedback.jsonl"
LABELS = ("ai", "human")
MAX_CODE_BYTES = 1024 * 1024


class FeedbackError(ValueError):
    """An example cannot be stored as given; the message says what is wrong."""


def feedback_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    value = env.get("CODEGUARD_FEEDBACK_DIR", "").strip()
    return Path(value) if value else models_dir(env) / "feedback"


def normalise(code: str) -> str:
    """Line endings and trailing blanks differ between platforms and editors; content does not."""
    lines = code.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n") + "\n"


def example_id(code: str, language: str) -> str:
    return hashlib.sha256(f"{language.lower()}\0{normalise(code)}".encode()).hexdigest()[:24]


def path_digest(path: str) -> str:
    """Joins feedback with prediction logs (bot.predictions) without storing paths there."""
    return hashlib.sha256(path.encode("utf-8")).hexdigest()[:12]


@dataclass
class FeedbackExample:
    code: str
    language: str
    label: str  # "ai" | "human"
    who: str = ""
    where: str = ""  # "github:owner/repo#12", "moodle:course 3/assignment 7", a file path...
    path: str = ""
    head_sha: str = ""
    submission_key: str = ""  # bot.predictions key of the PR/MR it came from, if any
    when: float = 0.0
    id: str = ""
    previous: list[dict[str, Any]] = field(default_factory=list)

    def validate(self) -> None:
        if self.label not in LABELS:
            raise FeedbackError(f"label must be one of {', '.join(LABELS)}, got {self.label!r}")
        if not isinstance(self.code, str) or not self.code.strip():
            raise FeedbackError(f"example {self.where or self.path or '?'} has no code")
        if len(self.code.encode("utf-8")) > MAX_CODE_BYTES:
            raise FeedbackError(f"example {self.where or self.path or '?'} is over {MAX_CODE_BYTES} bytes")
        if not self.language:
            raise FeedbackError(f"example {self.where or self.path or '?'} has no language")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FeedbackExample:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass(frozen=True)
class AddResult:
    added: int = 0
    relabelled: int = 0
    unchanged: int = 0


class FeedbackStore:
    def __init__(self, conn: redis.Redis, data_dir: str | Path | None = None) -> None:
        self.conn = conn
        self.data_dir = Path(data_dir) if data_dir is not None else feedback_dir()

    @staticmethod
    def _encode(ex: FeedbackExample) -> bytes:
        return zlib.compress(json.dumps(ex.to_dict()).encode("utf-8"), 6)

    @staticmethod
    def _decode(blob: bytes) -> FeedbackExample:
        return FeedbackExample.from_dict(json.loads(zlib.decompress(blob).decode("utf-8")))

    def add(self, examples: Iterable[FeedbackExample], *, snapshot: bool = True) -> AddResult:
        """Store examples; all are validated before any is written (no half-stored batch)."""
        batch = list(examples)
        for ex in batch:
            ex.validate()
            ex.language = ex.language.lower()
            ex.id = example_id(ex.code, ex.language)
            ex.when = ex.when or time.time()
        added = relabelled = unchanged = 0
        seen: dict[str, FeedbackExample] = {}
        for ex in batch:
            seen[ex.id] = ex  # within one batch the last label of a duplicate wins
        existing = self.conn.hmget(ITEMS_KEY, list(seen)) if seen else []
        pipe = self.conn.pipeline()
        for (eid, ex), old_blob in zip(seen.items(), existing, strict=True):
            if old_blob is not None:
                old = self._decode(old_blob)
                if old.label == ex.label:
                    unchanged += 1
                    continue
                ex.previous = [*old.previous, {"label": old.label, "who": old.who, "where": old.where,
                                               "when": old.when}]
                relabelled += 1
            else:
                added += 1
            pipe.hset(ITEMS_KEY, eid, self._encode(ex))
            pipe.zadd(ORDER_KEY, {eid: ex.when})
        pipe.execute()
        if snapshot and (added or relabelled):
            self.write_snapshot()
        return AddResult(added, relabelled, unchanged)

    def examples(self, label: str | None = None) -> list[FeedbackExample]:
        """Every stored example, oldest first (restored from the snapshot if Redis lost them)."""
        ids = [i.decode() for i in self.conn.zrange(ORDER_KEY, 0, -1)]
        if not ids and (self.data_dir / SNAPSHOT_FILE).is_file():
            self.restore()
            ids = [i.decode() for i in self.conn.zrange(ORDER_KEY, 0, -1)]
        if not ids:
            return []
        blobs = self.conn.hmget(ITEMS_KEY, ids)
        out = [self._decode(b) for b in blobs if b is not None]
        return [e for e in out if label is None or e.label == label]

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(LABELS, 0)
        for ex in self.examples():
            counts[ex.label] += 1
        return counts

    def write_snapshot(self, path: str | Path | None = None) -> Path:
        """The deduplicated dataset as JSONL (one example per line, with its code)."""
        target = Path(path) if path is not None else self.data_dir / SNAPSHOT_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        lines = [json.dumps(e.to_dict(), sort_keys=True) for e in self.examples()]
        _atomic_write(target, "".join(line + "\n" for line in lines))
        return target

    def restore(self, path: str | Path | None = None) -> AddResult:
        """Load a snapshot (or an exported file) back into Redis, keeping its who/where/when."""
        source = Path(path) if path is not None else self.data_dir / SNAPSHOT_FILE
        if not source.is_file():
            raise FeedbackError(f"no feedback file at {source}")
        rows: list[FeedbackExample] = []
        for n, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append(FeedbackExample.from_dict(json.loads(line)))
            except (ValueError, TypeError) as exc:
                raise FeedbackError(f"{source}:{n} is not a feedback example: {exc}") from None
        # Restoring the snapshot itself must not rewrite it; importing another file must.
        return self.add(rows, snapshot=source.resolve() != (self.data_dir / SNAPSHOT_FILE).resolve())
