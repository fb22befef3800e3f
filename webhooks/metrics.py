"""Prometheus metrics kept in Redis, so gunicorn workers and RQ workers add to one count.

Counters are Redis hashes (HINCRBY); job durations are a sum/count pair per job kind,
exposed as a Prometheus summary. Deliveries that could not reach Redis are counted in
process memory as well (that is exactly when Redis cannot count them).
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import redis

PREFIX = "codeguard:metrics"
DELIVERIES = f"{PREFIX}:deliveries"  # field "platform|result"
COMMENTS = f"{PREFIX}:comments"  # field "platform|action"
JOBS = f"{PREFIX}:jobs"  # fields "kind|outcome|count" and "kind|outcome|sum"

_local = Counter[tuple[str, str]]()
_lock = threading.Lock()


def count_delivery(conn: redis.Redis | Any, platform: str, result: str) -> None:
    conn.hincrby(DELIVERIES, f"{platform}|{result}", 1)


def count_unstored_delivery(platform: str, result: str) -> None:
    with _lock:
        _local[(platform, result)] += 1


def count_comment(conn: redis.Redis, platform: str, action: str) -> None:
    conn.hincrby(COMMENTS, f"{platform}|{action}", 1)


def observe_job(conn: redis.Redis, kind: str, outcome: str, seconds: float) -> None:
    pipe = conn.pipeline()
    pipe.hincrby(JOBS, f"{kind}|{outcome}|count", 1)
    pipe.hincrbyfloat(JOBS, f"{kind}|{outcome}|sum", seconds)
    pipe.execute()


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render(conn: redis.Redis | None, queue_depths: dict[str, int] | None) -> str:
    """Prometheus text exposition format 0.0.4."""
    lines: list[str] = []
    deliveries: Counter[tuple[str, str]] = Counter()
    comments: dict[tuple[str, str], int] = {}
    jobs: dict[tuple[str, str], dict[str, float]] = {}
    if conn is not None:
        for field, value in conn.hgetall(DELIVERIES).items():
            platform, _, result = field.decode().partition("|")
            deliveries[(platform, result)] += int(value)
        for field, value in conn.hgetall(COMMENTS).items():
            platform, _, action = field.decode().partition("|")
            comments[(platform, action)] = int(value)
        for field, value in conn.hgetall(JOBS).items():
            kind, outcome, stat = field.decode().split("|", 2)
            jobs.setdefault((kind, outcome), {})[stat] = float(value)
    with _lock:
        deliveries.update(_local)

    lines += ["# HELP codeguard_deliveries_total Webhook deliveries by platform and result.",
              "# TYPE codeguard_deliveries_total counter"]
    for (platform, result), n in sorted(deliveries.items()):
        lines.append(f'codeguard_deliveries_total{{platform="{_esc(platform)}",result="{_esc(result)}"}} {n}')
    lines += ["# HELP codeguard_queue_depth Jobs waiting in each RQ queue.", "# TYPE codeguard_queue_depth gauge"]
    for name, depth in sorted((queue_depths or {}).items()):
        lines.append(f'codeguard_queue_depth{{queue="{_esc(name)}"}} {depth}')
    lines += ["# HELP codeguard_job_duration_seconds Job run time by kind and outcome.",
              "# TYPE codeguard_job_duration_seconds summary"]
    for (kind, outcome), stats in sorted(jobs.items()):
        labels = f'kind="{_esc(kind)}",outcome="{_esc(outcome)}"'
        lines.append(f"codeguard_job_duration_seconds_sum{{{labels}}} {stats.get('sum', 0.0):.6f}")
        lines.append(f"codeguard_job_duration_seconds_count{{{labels}}} {int(stats.get('count', 0))}")
    lines += ["# HELP codeguard_comments_posted_total PR/MR comments created or updated.",
              "# TYPE codeguard_comments_posted_total counter"]
    for (platform, action), n in sorted(comments.items()):
        lines.append(f'codeguard_comments_posted_total{{platform="{_esc(platform)}",action="{_esc(action)}"}} {n}')
    lines.append(f"codeguard_redis_up {0 if conn is None else 1}")
    return "\n".join(lines) + "\n"
