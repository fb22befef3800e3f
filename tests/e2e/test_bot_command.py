"""`codeguard bot`: one command starts embedded Redis + webhook server + worker, and a
delivery ends as a comment on the (stand-in) pull request."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from typing import Any

import requests

from tests.e2e.conftest import ROOT, bot_env
from tests.e2e.helpers import github_headers
from tests.e2e.standins import GitHubStandIn
from tests.e2e.test_github_flow import OWN, pr_payload


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_bot_runs_everything_with_embedded_redis(github_api: GitHubStandIn, tmp_path: Any) -> None:
    env = bot_env(github_api, None, CODEGUARD_EMBEDDED_REDIS_DB=str(tmp_path / "bot.db"))
    del env["CODEGUARD_REDIS_URL"]
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "bot", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if requests.get(url + "/readyz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        else:
            raise AssertionError("bot did not become ready")
        github_api.add_pull(6, "6" * 40, {"a.py": OWN})
        body = pr_payload(6, "6" * 40)
        assert requests.post(url + "/webhooks/github", data=body, headers=github_headers(body, "pull_request"),
                             timeout=5).status_code == 202
        deadline = time.time() + 60
        while not github_api.bot_comments(6) and time.time() < deadline:
            time.sleep(0.2)
        assert len(github_api.bot_comments(6)) == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output[-2000:]
    assert "embedded Redis at" in output and "worker on cpu, training" in output
    assert (tmp_path / "bot.db").exists()  # the embedded server saved its data on the way out
