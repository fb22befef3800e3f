"""Fixtures shared by the bot's unit tests."""

from __future__ import annotations

import pytest
import redis


@pytest.fixture
def conn(rconn: redis.Redis) -> redis.Redis:
    """The suite's real Redis (tests/conftest.py), under the name these tests use."""
    return rconn
