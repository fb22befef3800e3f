"""Suite-wide checks that must fail once and clearly, not as dozens of FileNotFoundErrors, and
the one real-Redis fixture every layer's tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from tests.e2e.helpers import FIXTURES, REDIS_URL, redis_available, reset_db


def pytest_sessionstart(session: pytest.Session) -> None:
    # The recorded platform payloads live in ../shared (never copied into the repo): a clone
    # checked out anywhere else needs CODEGUARD_FIXTURES pointing at them.
    if not FIXTURES.is_dir():
        pytest.exit(
            f"webhook fixtures not found at {FIXTURES}: clone the repository beside shared/ "
            "(as CI does) or set CODEGUARD_FIXTURES to shared/fixtures/webhooks",
            returncode=2,
        )


@pytest.fixture
def rconn() -> Iterator[redis.Redis]:
    """The real Redis the suite runs against (CI starts one), emptied before and after."""
    if not redis_available():
        pytest.fail(f"these tests need a real Redis at {REDIS_URL} (set CODEGUARD_TEST_REDIS_HOST/PORT/DB)")
    conn = redis.Redis.from_url(REDIS_URL)
    reset_db(conn)
    yield conn
    reset_db(conn)
