"""GitHub end to end: signed recorded payloads → real HTTP → real Redis → real worker
process → real PyGithub → stand-in REST API, which records what the bot posted."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import redis
from rq import Queue
from rq.registry import FailedJobRegistry

from bot.feedback import FeedbackStore
from tests.e2e.conftest import bot_env, run_worker
from tests.e2e.helpers import fixture, github_headers
from tests.e2e.standins import WEB, GitHubStandIn

SHA1 = "1111111111111111111111111111111111111111"
SHA2 = "2222222222222222222222222222222222222222"
SHA3 = "3333333333333333333333333333333333333333"

SHARED = '''
def merge_sorted(left, right):
    result = []
    i = j = 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            result.append(left[i])
            i += 1
        else:
            result.append(right[j])
            j += 1
    result.extend(left[i:])
    result.extend(right[j:])
    return result


def merge_sort(items):
    if len(items) <= 1:
        return items
    middle = len(items) // 2
    return merge_sorted(merge_sort(items[:middle]), merge_sort(items[middle:]))
'''

OWN = '''
import math


def area_of_circle(radius):
    if radius < 0:
        raise ValueError("negative radius")
    return math.pi * radius ** 2


def describe(shapes):
    total = 0.0
    for name, size in shapes.items():
        print(name, size)
        total += area_of_circle(size)
    return total
'''


def pr_payload(number: int, sha: str, action: str = "opened") -> bytes:
    payload = fixture(f"github/pull_request.{action}.json")
    payload["number"] = number
    payload["pull_request"]["number"] = number
    payload["pull_request"]["head"]["sha"] = sha
    if action == "synchronize":
        payload["after"] = sha
    return json.dumps(payload).encode()


def deliver(web: Any, body: bytes, event: str = "pull_request", delivery: str | None = None) -> Any:
    return web.post("/webhooks/github", body, github_headers(body, event, delivery))


def test_comment_created_then_edited_dedupe_and_statuses(rconn: redis.Redis, github_api: GitHubStandIn,
                                                         web_factory: Any) -> None:
    env = bot_env(github_api, None)
    web = web_factory(env)
    github_api.add_pull(1, SHA1, {"sort.py": SHARED, "README.md": "# hi\n"})
    github_api.add_pull(2, SHA2, {"src/sort.py": "# my version\n" + SHARED, "src/shapes.py": OWN,
                                  "vendor/lib.py": SHARED, "data.bin.py": b"\x00\x01\x02", "gen_pb2.py": "x = 1\n"},
                        removed=("old.py",))
    assert deliver(web, pr_payload(1, SHA1)).status_code == 202
    assert deliver(web, pr_payload(2, SHA2)).status_code == 202
    run_worker(env)

    (first,) = github_api.bot_comments(2)
    body = first["body"]
    assert body.startswith("<!-- codeguard:report -->")
    assert "`src/sort.py`" in body and "`src/shapes.py`" in body
    # PR #1's copy is found, named, scored and located by line ranges, never quoted.
    row = next(line for line in body.splitlines() if line.startswith("| `src/sort.py`"))
    assert "`PR #1`" in row and "↔" in row
    # Our side's matched lines link to this PR's own version of the file; the other side's do not.
    ours, theirs = row.split(" | ")[-1].split(" ↔ ")
    assert re.search(rf"\]\({re.escape(WEB)}/{re.escape(github_api.repo)}/blob/{SHA2}/src/sort\.py#L\d+(-L\d+)?\)", ours)
    assert "](" not in theirs
    assert "result.extend" not in body and "def merge_sorted" not in body
    for path, reason in [("`vendor`", "vendored or tool folder"), ("data.bin.py", "binary"), ("gen_pb2.py", "generated"),
                         ("old.py", "deleted"), ]:
        assert any(path in line and reason in line for line in body.splitlines()), (path, body)
    assert "/codeguard recheck" in body and "model `structural`" in body
    assert [s["state"] for s in github_api.statuses if s["sha"] == SHA2] == ["pending", "success"]
    assert "most similar: PR #1" in github_api.statuses[-1]["description"]

    # New commits: the same comment is edited, not duplicated.
    github_api.add_pull(2, SHA3, {"src/shapes.py": OWN})
    sync = pr_payload(2, SHA3, "synchronize")
    assert deliver(web, sync, delivery="sync-delivery").status_code == 202
    run_worker(env)
    (only,) = github_api.bot_comments(2)
    assert only["edits"] == 1 and "src/sort.py" not in only["body"] and f"`{SHA3[:12]}`" in only["body"]
    assert len(github_api.calls("POST", r"/issues/2/comments$")) == 1

    # Redelivery of that delivery id: nothing is queued, nothing posted.
    posts_before = len(github_api.requests)
    again = deliver(web, sync, delivery="sync-delivery")
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert Queue("cpu", connection=rconn).count == 0
    run_worker(env)
    assert len(github_api.requests) == posts_before

    # Bad signature: 401, nothing queued.
    headers = github_headers(sync, "pull_request", "forged")
    headers["X-Hub-Signature-256"] = "sha256=" + "0" * 64
    assert web.post("/webhooks/github", sync, headers).status_code == 401
    assert Queue("cpu", connection=rconn).count == 0


def test_server_errors_and_rate_limits_are_retried(rconn: redis.Redis, github_api: GitHubStandIn,
                                                   web_factory: Any) -> None:
    env = bot_env(github_api, None)
    web = web_factory(env)
    github_api.add_pull(7, SHA1, {"a.py": OWN})
    github_api.fail("POST", r"/issues/7/comments$", 500, times=1)
    github_api.fail("POST", r"/statuses/", 429, times=1, headers={"Retry-After": "1"})
    assert deliver(web, pr_payload(7, SHA1)).status_code == 202
    run_worker(env)
    posts = github_api.calls("POST", r"/issues/7/comments$")
    assert [p.status for p in posts] == [500, 201]
    assert len(github_api.bot_comments(7)) == 1
    statuses = github_api.calls("POST", r"/statuses/")
    assert statuses[0].status == 429 and statuses[1].status == 201
    assert statuses[1].at - statuses[0].at >= 0.95  # Retry-After: 1 honoured


def test_failure_after_retries_lands_in_failed_registry_with_neutral_status(
        rconn: redis.Redis, github_api: GitHubStandIn, web_factory: Any) -> None:
    env = bot_env(github_api, None, CODEGUARD_HTTP_RETRIES="1")
    web = web_factory(env)
    github_api.add_pull(9, SHA1, {"a.py": OWN})
    github_api.fail("GET", r"/pulls/9/files$", 502, times=100)
    response = deliver(web, pr_payload(9, SHA1))
    job_id = response.json()["jobs"][0]["job"]
    run_worker(env)
    assert job_id in FailedJobRegistry("cpu", connection=rconn).get_job_ids()
    # One job retry (CODEGUARD_JOB_RETRIES=1) x two HTTP attempts each.
    assert len(github_api.calls("GET", r"/pulls/9/files$")) == 4
    errors = [s for s in github_api.statuses if s["state"] == "error"]
    assert [e["description"] for e in errors] == [
        "Analysis did not complete; it will be retried automatically.",
        "Analysis did not complete; see the worker logs or comment /codeguard recheck.",
    ]
    assert github_api.bot_comments(9) == []


def test_recheck_needs_write_access_and_labels(rconn: redis.Redis, github_api: GitHubStandIn,
                                               web_factory: Any) -> None:
    env = bot_env(github_api, None)
    web = web_factory(env)
    github_api.add_pull(2, SHA1, {"a.py": OWN})
    github_api.permissions.update({"reader": "read", "teacher": "write"})
    deliver(web, pr_payload(2, SHA1))
    run_worker(env)
    assert github_api.bot_comments(2)[0]["edits"] == 0

    comment = fixture("github/issue_comment.created.on-pull-request.quarkus-bot.json")
    comment["repository"]["full_name"] = "Codertocat/Hello-World"
    comment["issue"]["number"] = 2
    comment["comment"]["body"] = "/codeguard recheck"
    for login, cid in [("reader", 1), ("teacher", 2)]:
        comment["sender"]["login"] = login
        comment["comment"]["id"] = cid
        body = json.dumps(comment).encode()
        assert deliver(web, body, "issue_comment").status_code == 202
    run_worker(env)
    # Both permissions were asked; only the teacher's recheck re-ran the analysis, which
    # found the same result: still one comment, left as it was (no needless edit).
    assert len(github_api.calls("GET", r"/collaborators/(reader|teacher)/permission$")) == 2
    assert [s["state"] for s in github_api.statuses].count("pending") == 2
    (only,) = github_api.bot_comments(2)
    assert only["edits"] == 0

    labeled = fixture("github/pull_request.labeled.json")
    labeled["number"] = 2
    labeled["pull_request"]["head"]["sha"] = SHA1
    for name in ("codeguard:ai", "codeguard:retrain"):
        labeled["label"]["name"] = name
        assert deliver(web, json.dumps(labeled).encode()).status_code == 202
    run_worker(env)
    (example,) = FeedbackStore(rconn).examples()
    assert (example.label, example.where, example.path, example.head_sha) == (
        "ai", "github:Codertocat/Hello-World#2", "a.py", SHA1)
    (request,) = [json.loads(r) for r in rconn.lrange("codeguard:training:requests", 0, -1)]
    assert request["ref"]["number"] == 2 and request["feedback_examples"] == {"ai": 1, "human": 0}
    acks = [c for c in github_api.bot_comments(2) if "codeguard:retrain" in c["body"]]
    assert len(acks) == 1 and "retraining request recorded" in acks[0]["body"]


def test_redis_down_is_503_over_http(github_api: GitHubStandIn, web_factory: Any) -> None:
    env = bot_env(github_api, None, CODEGUARD_REDIS_URL="redis://127.0.0.1:1/0", CODEGUARD_REDIS_TIMEOUT="0.2")
    web = web_factory(env)
    started = time.perf_counter()
    response = deliver(web, pr_payload(1, SHA1))
    assert response.status_code == 503
    assert time.perf_counter() - started < 5
