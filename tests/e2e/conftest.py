"""End-to-end plumbing: real Redis, the webhook app on a real HTTP port, stand-in APIs,
and `codeguard worker --burst` as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from bot.settings import Settings
from tests.e2e.helpers import GITHUB_SECRET, GITLAB_SECRET, REDIS_URL
from tests.e2e.standins import GitHubStandIn, GitLabStandIn
from webhooks.app import create_app

ROOT = Path(__file__).resolve().parents[2]
_MODELS_DIR = tempfile.mkdtemp(prefix="codeguard-e2e-models-")


@pytest.fixture
def github_api() -> Iterator[GitHubStandIn]:
    server = GitHubStandIn().start()
    yield server  # type: ignore[misc]
    server.stop()


@pytest.fixture
def gitlab_api() -> Iterator[GitLabStandIn]:
    server = GitLabStandIn().start()
    yield server  # type: ignore[misc]
    server.stop()


def bot_env(github: GitHubStandIn | None, gitlab: GitLabStandIn | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CODEGUARD_", "GITHUB_", "GITLAB_"))}
    env.update({
        "CODEGUARD_REDIS_URL": REDIS_URL,
        "CODEGUARD_MODEL": "none",
        "GITHUB_WEBHOOK_SECRET": GITHUB_SECRET,
        "GITLAB_WEBHOOK_SECRET": GITLAB_SECRET,
        "CODEGUARD_GITHUB_MIN_INTERVAL": "0",
        "CODEGUARD_GITHUB_WRITE_INTERVAL": "0",
        "CODEGUARD_HTTP_RETRIES": "3",
        "CODEGUARD_HTTP_BACKOFF": "0.05",
        "CODEGUARD_JOB_RETRIES": "1",
        "CODEGUARD_JOB_RETRY_INTERVALS": "0",
        "PYTHONPATH": str(ROOT),
        # Registry and feedback snapshots of test runs stay out of the project's models/.
        "CODEGUARD_MODELS_DIR": _MODELS_DIR,
    })
    if github is not None:
        env.update({"GITHUB_TOKEN": "test-token", "GITHUB_API_URL": github.url})
    if gitlab is not None:
        env.update({"GITLAB_TOKEN": "test-token", "GITLAB_URL": gitlab.url})
    env.update(extra)
    return env


@dataclass
class WebApp:
    url: str
    settings: Settings

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> requests.Response:
        return requests.post(self.url + path, data=body, headers=headers, timeout=10)


@pytest.fixture
def web_factory() -> Iterator[Any]:
    servers = []

    def start(env: dict[str, str]) -> WebApp:
        settings = Settings.from_env(env)
        server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return WebApp(f"http://127.0.0.1:{server.server_port}", settings)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def run_worker(env: dict[str, str], *queues: str, timeout: float = 180) -> str:
    """One real `codeguard worker --burst` process; returns its log (asserts it exited 0)."""
    cmd = [sys.executable, "-m", "bot", "worker", "--burst"]
    for q in queues or ("cpu", "training"):
        cmd += ["--queue", q]
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    output = proc.stdout + proc.stderr
    print(output)  # shown by pytest when the test fails
    assert proc.returncode == 0, output[-3000:]
    return output
