"""The worker with the shipped model (CODEGUARD_MODEL=default), when the artifact exists."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from bot.queue import model_version
from bot.settings import Settings
from tests.e2e.conftest import ROOT, bot_env, run_worker
from tests.e2e.helpers import github_headers
from tests.e2e.standins import GitHubStandIn
from tests.e2e.test_github_flow import OWN, pr_payload


@pytest.mark.slow
@pytest.mark.integration
def test_worker_loads_default_model_once_and_reports_its_version(rconn: redis.Redis, github_api: GitHubStandIn,
                                                                 web_factory: Any) -> None:
    if not (ROOT / "models" / "default" / "config.json").is_file():
        pytest.skip("models/default has no trained artifact yet")
    env = bot_env(github_api, None, CODEGUARD_MODEL="default")
    web = web_factory(env)
    for number, sha in [(4, "4" * 40), (5, "5" * 40)]:
        github_api.add_pull(number, sha, {"a.py": OWN})
        body = pr_payload(number, sha)
        assert web.post("/webhooks/github", body, github_headers(body, "pull_request")).status_code == 202
    log = run_worker(env, timeout=600)
    version = model_version(Settings.from_env(env))
    assert log.count("model: ") == 1  # loaded at worker start, reused by both jobs
    for number in (4, 5):
        (comment,) = github_api.bot_comments(number)
        assert f"model `{version}`" in comment["body"]
