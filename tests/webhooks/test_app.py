from __future__ import annotations

import json

import redis
from rq import Queue

from bot.queue import model_version, work_key
from bot.settings import Settings
from tests.e2e.helpers import fixture, fixture_bytes, github_headers, gitlab_headers
from webhooks.app import create_app


def _client(settings: Settings):  # type: ignore[no-untyped-def]
    return create_app(settings).test_client()


def _depth(conn: redis.Redis, name: str = "cpu") -> int:
    return Queue(name, connection=conn).count


def test_signed_pull_request_is_queued_once_under_its_work_key(settings: Settings, rconn: redis.Redis) -> None:
    client = _client(settings)
    body = fixture_bytes("github/pull_request.opened.json")
    headers = github_headers(body, "pull_request", delivery="delivery-1")
    first = client.post("/webhooks/github", data=body, headers=headers)
    assert first.status_code == 202, first.json
    expected = work_key("github", "Codertocat/Hello-World", 2, "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
                        model_version(settings))
    assert first.json["jobs"] == [{"job": expected, "queue": "cpu", "duplicate": False}]
    assert Queue("cpu", connection=rconn).job_ids == [expected]
    # Redelivery of the same delivery id: dropped by the SET NX dedupe.
    again = client.post("/webhooks/github", data=body, headers=headers)
    assert again.status_code == 200 and again.json["status"] == "duplicate"
    # Same head commit under a new delivery id (e.g. reopened): the work key stops it.
    other = client.post("/webhooks/github", data=body, headers=github_headers(body, "pull_request", "delivery-2"))
    assert other.status_code == 202 and other.json["jobs"][0]["duplicate"] is True
    assert _depth(rconn) == 1
    assert rconn.ttl("codeguard:delivery:github:delivery-1") > 0


def test_bad_or_missing_signature_is_401_and_stores_nothing(settings: Settings, rconn: redis.Redis) -> None:
    client = _client(settings)
    body = fixture_bytes("github/pull_request.opened.json")
    headers = github_headers(body, "pull_request", delivery="d-bad", secret="wrong")
    assert client.post("/webhooks/github", data=body, headers=headers).status_code == 401
    del headers["X-Hub-Signature-256"]
    assert client.post("/webhooks/github", data=body, headers=headers).status_code == 401
    tampered = github_headers(body, "pull_request", delivery="d-bad")
    assert client.post("/webhooks/github", data=body + b" ", headers=tampered).status_code == 401
    assert _depth(rconn) == 0
    assert rconn.keys("codeguard:delivery:*") == []


def test_unconfigured_secret_rejects_everything(settings: Settings, rconn: redis.Redis) -> None:
    client = _client(settings.with_(github_webhook_secret=None))
    body = fixture_bytes("github/pull_request.opened.json")
    assert client.post("/webhooks/github", data=body, headers=github_headers(body, "pull_request")).status_code == 401
    assert _depth(rconn) == 0


def test_malformed_json_is_400_and_oversized_is_413(settings: Settings, rconn: redis.Redis) -> None:
    client = _client(settings)
    body = b'{"action": "opened", '
    assert client.post("/webhooks/github", data=body, headers=github_headers(body, "pull_request")).status_code == 400
    body = b"[1, 2]"
    assert client.post("/webhooks/github", data=body, headers=github_headers(body, "pull_request")).status_code == 400
    payload = fixture("github/pull_request.opened.json")
    del payload["pull_request"]["head"]
    body = json.dumps(payload).encode()
    assert client.post("/webhooks/github", data=body, headers=github_headers(body, "pull_request")).status_code == 400
    body = b'{"pad": "' + b"x" * 300_000 + b'"}'
    response = client.post("/webhooks/github", data=body, headers=github_headers(body, "pull_request"))
    assert response.status_code == 413
    assert _depth(rconn) == 0


def test_ignored_events_are_2xx(settings: Settings, rconn: redis.Redis) -> None:
    client = _client(settings)
    for name, event in [("github/ping.json", "ping"), ("github/installation.created.json", "installation"),
                        ("github/pull_request.closed.json", "pull_request"), ("github/issue_comment.created.json",
                                                                              "issue_comment")]:
        body = fixture_bytes(name)
        response = client.post("/webhooks/github", data=body, headers=github_headers(body, event))
        assert response.status_code == 200 and response.json["status"] == "ignored", name
    assert _depth(rconn) == 0


def test_form_encoded_github_delivery(settings: Settings, rconn: redis.Redis) -> None:
    from urllib.parse import urlencode

    body = urlencode({"payload": fixture_bytes("github/pull_request.reopened.json").decode()}).encode()
    headers = github_headers(body, "pull_request")
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    assert _client(settings).post("/webhooks/github", data=body, headers=headers).status_code == 202
    assert _depth(rconn) == 1


def test_labels_and_commands_go_to_their_queues(settings: Settings, rconn: redis.Redis) -> None:
    client = _client(settings)
    payload = fixture("github/pull_request.labeled.json")
    payload["label"]["name"] = "codeguard:retrain"
    body = json.dumps(payload).encode()
    assert client.post("/webhooks/github", data=body, headers=github_headers(body, "pull_request")).status_code == 202
    assert _depth(rconn, "training") == 1
    payload["label"]["name"] = "codeguard:ai"
    body = json.dumps(payload).encode()
    assert client.post("/webhooks/github", data=body, headers=github_headers(body, "pull_request")).status_code == 202
    comment = fixture("github/issue_comment.created.on-pull-request.quarkus-bot.json")
    comment["comment"]["body"] = "/codeguard recheck"
    body = json.dumps(comment).encode()
    assert client.post("/webhooks/github", data=body, headers=github_headers(body, "issue_comment")).status_code == 202
    funcs = sorted(job.func_name for job in Queue("cpu", connection=rconn).jobs)
    assert funcs == ["bot.jobs.recheck_change", "bot.jobs.store_feedback"]


def test_gitlab_token_dedupe_and_fallback_key(settings: Settings, rconn: redis.Redis) -> None:
    client = _client(settings)
    body = fixture_bytes("gitlab/merge_request.update-new-commits.go-gitlab.json")
    assert client.post("/webhooks/gitlab", data=body,
                       headers=gitlab_headers("Merge Request Hook", token="nope")).status_code == 401
    headers = gitlab_headers("Merge Request Hook", key="idem-1")
    assert client.post("/webhooks/gitlab", data=body, headers=headers).status_code == 202
    retry = dict(headers, **{"X-Gitlab-Event-UUID": "another-event-uuid"})  # same Idempotency-Key
    assert client.post("/webhooks/gitlab", data=body, headers=retry).json["status"] == "duplicate"
    old_server = gitlab_headers("Note Hook", key="uuid-only", uuid_only=True)
    note = fixture("gitlab/note.merge_request.gitlab-docs.json")
    note["object_attributes"]["note"] = "/codeguard recheck"
    nbody = json.dumps(note).encode()
    assert client.post("/webhooks/gitlab", data=nbody, headers=old_server).status_code == 202
    assert client.post("/webhooks/gitlab", data=nbody, headers=old_server).json["status"] == "duplicate"
    assert rconn.exists("codeguard:delivery:gitlab:uuid-only")
    assert _depth(rconn) == 2
    ignored = fixture_bytes("gitlab/merge_request.merge.go-gitlab.json")
    assert client.post("/webhooks/gitlab", data=ignored, headers=gitlab_headers("Merge Request Hook")).status_code == 200


def test_redis_down_is_503_and_readyz_fails(settings: Settings) -> None:
    down = settings.with_(redis_url="redis://127.0.0.1:1/0", redis_timeout_s=0.2)
    client = _client(down)
    body = fixture_bytes("github/pull_request.opened.json")
    response = client.post("/webhooks/github", data=body, headers=github_headers(body, "pull_request"))
    assert response.status_code == 503
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["checks"]["redis"] is False
    assert client.get("/healthz").status_code == 200
    assert "codeguard_redis_up 0" in client.get("/metrics").get_data(as_text=True)


def test_readyz_and_metrics(settings: Settings, rconn: redis.Redis, tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = _client(settings)
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"]["model"] == "disabled"
    missing = _client(settings.with_(model=str(tmp_path / "nope"))).get("/readyz")
    assert missing.status_code == 503 and missing.json["checks"]["model"] is False
    body = fixture_bytes("github/pull_request.opened.json")
    client.post("/webhooks/github", data=body, headers=github_headers(body, "pull_request", "m1"))
    client.post("/webhooks/github", data=body, headers=github_headers(body, "pull_request", "m1"))
    text = client.get("/metrics").get_data(as_text=True)
    assert 'codeguard_deliveries_total{platform="github",result="queued"} 1' in text
    assert 'codeguard_deliveries_total{platform="github",result="duplicate"} 1' in text
    assert 'codeguard_queue_depth{queue="cpu"} 1' in text
