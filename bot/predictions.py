"""Every AI-risk prediction, logged for monitoring: which model version, what scores, what levels.

One entry per analysed submission in a capped Redis stream: the model version that scored
it, the submission key (platform, repository, PR/MR number: the same key the A/B split
hashes), the head commit, and per file a digest of its path, its language, score and level.
Never code and never paths in clear, so the log can be kept and shared for drift analysis.

`report` turns the log into per-version score distributions (what `codeguard models report`
prints) and, where files were later labelled (bot.feedback, joined on submission key and
path digest), how each version's scores separate the labels: the comparison an A/B split
exists for.
"""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import redis

from bot.feedback import FeedbackExample, path_digest
from ml.submission import FileRisk

STREAM_KEY = "codeguard:predictions"
MAX_ENTRIES = 200_000
BINS = 10


def submission_key(platform: str, label: str) -> str:
    """`github:owner/repo#12`: per PR/MR, not per commit, so a PR keeps its A/B arm."""
    return f"{platform}:{label}"


def record(conn: redis.Redis, version: str, key: str, files: Iterable[FileRisk], *, head_sha: str = "",
           source: str = "bot") -> int:
    """Log the scored files of one analysis; returns how many files carried a score."""
    rows = [{"f": path_digest(f.path), "lang": f.language, "s": round(float(f.ai_score), 6), "l": f.risk_level}
            for f in files if f.ai_score is not None and math.isfinite(float(f.ai_score))]
    if not rows:
        return 0
    conn.xadd(STREAM_KEY, {"version": version, "key": key, "head": head_sha, "source": source,
                           "at": f"{time.time():.3f}", "files": json.dumps(rows)},
              maxlen=MAX_ENTRIES, approximate=True)
    return len(rows)


def entries(conn: redis.Redis, count: int | None = None) -> list[dict[str, Any]]:
    """Logged predictions, oldest first (the newest `count` when given)."""
    raw = conn.xrevrange(STREAM_KEY, count=count) if count else conn.xrange(STREAM_KEY)
    if count:
        raw = list(reversed(raw))
    out = []
    for _id, fields in raw:
        d = {k.decode(): v.decode() for k, v in fields.items()}
        d["files"] = json.loads(d.get("files") or "[]")
        d["at"] = float(d.get("at") or 0)
        out.append(d)
    return out


def _auc(scores: Sequence[float], labels: Sequence[int]) -> float | None:
    y = np.asarray(labels)
    if len(set(labels)) < 2:
        return None
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, np.asarray(scores)))


def report(log: Sequence[dict[str, Any]], feedback: Sequence[FeedbackExample] = ()) -> dict[str, Any]:
    """Per version: score distribution, level counts and, on later labels, how well it did."""
    labels = {(ex.submission_key, path_digest(ex.path)): 1 if ex.label == "ai" else 0
              for ex in feedback if ex.submission_key and ex.path}
    scores: dict[str, list[float]] = defaultdict(list)
    levels: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    submissions: dict[str, set[str]] = defaultdict(set)
    labelled: dict[str, tuple[list[float], list[int]]] = defaultdict(lambda: ([], []))
    span: dict[str, list[float]] = {}
    for entry in log:
        v = entry.get("version", "?")
        submissions[v].add(entry.get("key", ""))
        span.setdefault(v, [entry["at"], entry["at"]])[1] = entry["at"]
        for f in entry["files"]:
            scores[v].append(float(f["s"]))
            levels[v][str(f.get("l") or "none")] += 1
            lab = labels.get((entry.get("key", ""), f["f"]))
            if lab is not None:
                labelled[v][0].append(float(f["s"]))
                labelled[v][1].append(lab)
    out: dict[str, Any] = {}
    edges = np.linspace(0.0, 1.0, BINS + 1)
    for v, s in sorted(scores.items()):
        arr = np.asarray(s)
        hist, _ = np.histogram(np.clip(arr, 0, 1), bins=edges)
        ls, ll = labelled[v]
        out[v] = {
            "files": int(arr.size),
            "submissions": len(submissions[v]),
            "first_at": span[v][0],
            "last_at": span[v][1],
            "mean": float(arr.mean()),
            "std": float(arr.std()),
            "quantiles": {q: float(np.quantile(arr, float(q) / 100)) for q in ("10", "50", "90")},
            "histogram": [int(h) for h in hist],
            "levels": dict(levels[v]),
            "labelled": {"files": len(ll), "ai": int(sum(ll)), "human": int(len(ll) - sum(ll)),
                         "roc_auc": _auc(ls, ll)},
        }
    return out


def format_report(rep: dict[str, Any]) -> str:
    if not rep:
        return "no predictions logged yet"
    lines = []
    for v, r in rep.items():
        q = r["quantiles"]
        lines.append(f"{v}: {r['files']} files in {r['submissions']} submissions; mean {r['mean']:.3f} "
                     f"sd {r['std']:.3f}; p10 {q['10']:.3f} p50 {q['50']:.3f} p90 {q['90']:.3f}")
        lines.append("  levels: " + ", ".join(f"{k} {n}" for k, n in sorted(r["levels"].items())))
        peak = max(r["histogram"]) or 1
        for i, n in enumerate(r["histogram"]):
            bar = "#" * round(30 * n / peak)
            lines.append(f"  [{i / BINS:.1f}, {(i + 1) / BINS:.1f}{']' if i == BINS - 1 else ')'} {n:6d} {bar}")
        lab = r["labelled"]
        if lab["files"]:
            auc = "n/a (one class)" if lab["roc_auc"] is None else f"{lab['roc_auc']:.3f}"
            lines.append(f"  on later labels: {lab['files']} files ({lab['ai']} ai, {lab['human']} human), "
                         f"ROC-AUC {auc}")
    return "\n".join(lines)
