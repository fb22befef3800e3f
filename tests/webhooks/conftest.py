from __future__ import annotations

import pytest

from bot.settings import Settings
from tests.e2e.helpers import GITHUB_SECRET, GITLAB_SECRET, REDIS_URL


@pytest.fixture
def settings() -> Settings:
    return Settings(redis_url=REDIS_URL, github_webhook_secret=GITHUB_SECRET, gitlab_webhook_secret=GITLAB_SECRET,
                    model="none", max_body_bytes=200_000)
