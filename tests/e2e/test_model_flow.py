"""The worker with the shipped model (CODEGUARD_MODEL=default), when the artifact exists."""

from __future__ import annotations

import re
from typing import Any

import pytest
import redis

from bot.queue import model_version
from bot.settings import Settings
from tests.e2e.conftest import ROOT, bot_env, run_worker
from tests.e2e.helpers import github_headers
from tests.e2e.standins import WEB, GitHubStandIn
from tests.e2e.test_github_flow import OWN, pr_payload

# Written the way a chat assistant answers a Code Jam task: it scores high with the shipped model.
GENERATED = """import java.util.Scanner;

public class Main {
    public static void main(String[] args) {
        // Create a Scanner object to read input
        Scanner scanner = new Scanner(System.in);

        // Read the number of test cases
        int t = scanner.nextInt();

        // Process each test case
        for (int i = 1; i <= t; i++) {
            int n = scanner.nextInt();
            long sum = 0;

            // Calculate the sum of the numbers
            for (int j = 0; j < n; j++) {
                sum += scanner.nextLong();
            }

            // Output the result for the current test case
            System.out.println("Case #" + i + ": " + sum);
        }

        // Close the scanner
        scanner.close();
    }
}
"""


@pytest.mark.slow
@pytest.mark.integration
def test_worker_loads_default_model_once_and_reports_its_version(rconn: redis.Redis, github_api: GitHubStandIn,
                                                                 web_factory: Any) -> None:
    if not (ROOT / "models" / "default" / "config.json").is_file():
        pytest.skip("models/default has no trained artifact yet")
    env = bot_env(github_api, None, CODEGUARD_MODEL="default")
    github_api.set_tree(github_api.default_branch, {".codeguard.yml": "author_history: true\n"})
    web = web_factory(env)
    pulls = [(4, "4" * 40, {"a.py": OWN}), (5, "5" * 40, {"a.py": OWN}), (6, "6" * 40, {"Main.java": GENERATED})]
    for number, sha, files in pulls:
        github_api.add_pull(number, sha, files)
        body = pr_payload(number, sha)
        assert web.post("/webhooks/github", body, github_headers(body, "pull_request")).status_code == 202
    log = run_worker(env, timeout=600)
    version = model_version(Settings.from_env(env))
    assert log.count("model: ") == 1  # loaded at worker start, reused by both jobs
    for number in (4, 5):
        (comment,) = github_api.bot_comments(number)
        assert f"model `{version}`" in comment["body"]
        assert "scored high" not in comment["body"]
    # The same author's second PR is also read against the first (author_history); the first has
    # nothing earlier, and the Java file of PR 6 has no Java history.
    assert "earlier work" not in github_api.bot_comments(4)[0]["body"]
    assert re.search(r"\| `a\.py` \| (low|medium|high) \(\d\.\d\d\); against the author's earlier work: "
                     r"(low|medium|high) \|", github_api.bot_comments(5)[0]["body"])
    # A high-risk file is explained in the comment: its own line numbers and habits, no code.
    body = github_api.bot_comments(6)[0]["body"]
    assert "| `Main.java` | high (" in body and "earlier work" not in body and "<summary>Why 1 file scored high</summary>" in body
    why = next(line for line in body.splitlines() if line.startswith("- `Main.java`: "))
    # Each named line links to that line of this PR's own version of the file.
    links = re.findall(r"\[(\d+)\]\(([^)\s]+)\)", why.split(" read", 1)[0])
    assert links and all(1 <= int(n) <= GENERATED.count("\n") for n, _ in links)
    assert all(url == f"{WEB}/{github_api.repo}/blob/{'6' * 40}/Main.java#L{n}" for n, url in links)
    code_lines = {ln.strip() for ln in GENERATED.splitlines() if len(ln.strip()) > 3}
    assert not any(code in body for code in code_lines)  # no line of the file is quoted
