"""GitLab end to end: recorded Merge Request / Note hooks → real worker → python-gitlab →
stand-in /api/v4; plus the embedded-Redis path shared by two processes."""

from __future__ import annotations

import json
from typing import Any

import redis

from tests.e2e.conftest import bot_env, run_worker
from tests.e2e.helpers import fixture, github_headers, gitlab_headers
from tests.e2e.standins import GitHubStandIn, GitLabStandIn
from tests.e2e.test_github_flow import OWN, SHARED, pr_payload

SHA_A = "a" * 40
SHA_B = "b" * 40


def mr_update(sha: str) -> bytes:
    payload = fixture("gitlab/merge_request.update-new-commits.go-gitlab.json")
    payload["object_attributes"]["last_commit"]["id"] = sha
    return json.dumps(payload).encode()


def test_note_upserted_statuses_and_member_recheck(rconn: redis.Redis, gitlab_api: GitLabStandIn,
                                                   web_factory: Any) -> None:
    env = bot_env(None, gitlab_api)
    web = web_factory(env)
    gitlab_api.add_mr(2, SHA_A, {"lib/sort.py": SHARED, "lib/shapes.py": OWN, "node_modules/x.js": "var a = 1;\n"},
                      removed=("gone.py",))
    response = web.post("/webhooks/gitlab", mr_update(SHA_A), gitlab_headers("Merge Request Hook", "idem-a"))
    assert response.status_code == 202
    run_worker(env)
    (note,) = gitlab_api.mr_notes(2)
    assert note["body"].startswith("<!-- codeguard:report -->")
    assert "`lib/sort.py`" in note["body"] and "merge request" in note["body"]
    assert "`node_modules`: vendored or tool folder" in note["body"] and "gone.py" in note["body"]
    assert [(s["sha"], s["state"]) for s in gitlab_api.statuses] == [(SHA_A, "running"), (SHA_A, "success")]

    gitlab_api.add_mr(2, SHA_B, {"lib/shapes.py": OWN})
    assert web.post("/webhooks/gitlab", mr_update(SHA_B), gitlab_headers("Merge Request Hook", "idem-b")).status_code == 202
    # GitLab resending the same delivery (same Idempotency-Key): dropped.
    again = web.post("/webhooks/gitlab", mr_update(SHA_B), gitlab_headers("Merge Request Hook", "idem-b"))
    assert again.json()["status"] == "duplicate"
    run_worker(env)
    (note,) = gitlab_api.mr_notes(2)
    assert note["edits"] == 1 and "lib/sort.py" not in note["body"]

    # /codeguard recheck from a Reporter (20) is ignored, from a Developer (30) honoured.
    gitlab_api.members.update({1: 20, 8: 30})
    comment = fixture("gitlab/note.merge_request.gitlab-docs.json")
    comment["object_attributes"]["note"] = "/codeguard recheck"
    comment["merge_request"]["iid"] = 2
    comment["merge_request"]["target_project_id"] = 2
    for user_id, note_id in [(1, 11), (8, 12)]:
        comment["user"]["id"] = user_id
        comment["object_attributes"]["id"] = note_id
        body = json.dumps(comment).encode()
        assert web.post("/webhooks/gitlab", body, gitlab_headers("Note Hook")).status_code == 202
    run_worker(env)
    assert len(gitlab_api.calls("GET", r"/members/all/(1|8)$")) == 2
    assert [s["state"] for s in gitlab_api.statuses].count("running") == 3


def test_embedded_redis_shared_by_web_and_worker_processes(github_api: GitHubStandIn, web_factory: Any,
                                                           tmp_path: Any) -> None:
    db = tmp_path / "redis.db"
    env = bot_env(github_api, None, CODEGUARD_EMBEDDED_REDIS_DB=str(db))
    del env["CODEGUARD_REDIS_URL"]
    web = web_factory(env)  # starts the embedded server on first use
    github_api.add_pull(3, SHA_A, {"a.py": OWN})
    body = pr_payload(3, SHA_A)
    assert web.post("/webhooks/github", body, github_headers(body, "pull_request")).status_code == 202
    registry = json.loads((tmp_path / "redis.db.settings").read_text())
    assert registry["unixsocket"].endswith("redis.socket")
    # A separate worker process finds the server through the registry next to the rdb file.
    run_worker(env)
    assert len(github_api.bot_comments(3)) == 1
    conn = redis.Redis(unix_socket_path=registry["unixsocket"])
    try:
        assert conn.hexists("codeguard:corpus:github:Codertocat/Hello-World", "Codertocat/Hello-World#3")
    finally:
        try:  # stop the embedded server now rather than leave it to this process's exit
            conn.shutdown(nosave=True)
        except redis.ConnectionError:
            pass
