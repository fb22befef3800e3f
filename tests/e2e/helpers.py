"""Shared test plumbing: a real Redis db per test run, signed deliveries from the fixtures."""

from __future__ import annotations

import atexit
import json
import os
import uuid
from pathlib import Path
from typing import Any

import redis

from webhooks.signatures import github_signature

FIXTURES = Path(os.environ.get("CODEGUARD_FIXTURES", Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "webhooks"))
REDIS_HOST = os.environ.get("CODEGUARD_TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("CODEGUARD_TEST_REDIS_PORT", "6379"))
LOCK_KEY = "codeguard:test-db-owner"
# Databases these tests may use (12 is the LMS tests'); each test session claims one.
CANDIDATE_DBS = (13, 15, 11, 10, 9, 8)


def _claim_db() -> int:
    """A database no other test session on this Redis is using right now.

    Tests flush their database, so two sessions sharing one (two people running the
    suite on one machine) would wipe each other's queues mid-test. The claim is a key
    holding our pid with a TTL, refreshed by `reset_db` after every flush.
    """
    if "CODEGUARD_TEST_REDIS_DB" in os.environ:
        return int(os.environ["CODEGUARD_TEST_REDIS_DB"])
    me = str(os.getpid())
    for db in CANDIDATE_DBS:
        try:
            conn = redis.Redis(REDIS_HOST, REDIS_PORT, db, socket_connect_timeout=1)
            if conn.set(LOCK_KEY, me, nx=True, ex=1800) or conn.get(LOCK_KEY) == me.encode():
                return db
        except redis.RedisError:
            break
    return CANDIDATE_DBS[0]


REDIS_DB = _claim_db()


@atexit.register
def _release_db() -> None:
    try:
        conn = redis.Redis(REDIS_HOST, REDIS_PORT, REDIS_DB, socket_connect_timeout=1)
        if conn.get(LOCK_KEY) == str(os.getpid()).encode():
            conn.delete(LOCK_KEY)
    except redis.RedisError:
        pass


REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"


def reset_db(conn: redis.Redis) -> None:
    """Empty the session's database and keep it claimed."""
    conn.flushdb()
    conn.set(LOCK_KEY, str(os.getpid()), ex=1800)
GITHUB_SECRET = "test-github-secret"
GITLAB_SECRET = "test-gitlab-token"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def redis_available() -> bool:
    try:
        return bool(redis.Redis(REDIS_HOST, REDIS_PORT, REDIS_DB, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def github_headers(body: bytes, event: str, delivery: str | None = None, secret: str = GITHUB_SECRET) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/test",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": github_signature(secret, body),
    }


def gitlab_headers(event: str, key: str | None = None, token: str = GITLAB_SECRET, *, uuid_only: bool = False) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "User-Agent": "GitLab/17.5.0", "X-Gitlab-Event": event,
               "X-Gitlab-Token": token, "X-Gitlab-Event-UUID": key or str(uuid.uuid4())}
    if not uuid_only:
        headers["Idempotency-Key"] = key or str(uuid.uuid4())
    return headers
