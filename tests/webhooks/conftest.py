from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from bot.settings import Settings
from tests.e2e.helpers import GITHUB_SECRET, GITLAB_SECRET, REDIS_URL, redis_available, reset_db


@pytest.fixture
def settings() -> Settings:
    return Settings(redis_url=REDIS_URL, github_webhook_secret=GITHUB_SECRET, gitlab_webhook_secret=GITLAB_SECRET,
                    model="none", max_body_bytes=200_000)


@pytest.fixture
def rconn() -> Iterator[redis.Redis]:
    if not redis_available():
        pytest.fail(f"these tests need a real Redis at {REDIS_URL} (set CODEGUARD_TEST_REDIS_HOST/PORT/DB)")
    conn = redis.Redis.from_url(REDIS_URL)
    reset_db(conn)
    yield conn
    reset_db(conn)
