"""`/webhooks/moodle` and `/webhooks/canvas` through the real app, with real Redis."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import redis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask.testing import FlaskClient
from pytest_httpserver import HTTPServer
from rq import Queue

from bot.lms_config import LmsSettings
from bot.settings import Settings
from tests.e2e.lms_helpers import (
    LMS_REDIS_URL,
    MOODLE_SECRET,
    CanvasKeys,
    canvas_event,
    lms_redis,
    moodle_event,
    moodle_signature,
    write_course,
)
from webhooks.app import create_app

COURSES = {
    "moodle.yml": "platform: moodle\ncourse: 5\nassignments:\n  '31': {}\n",
    "canvas.yml": "platform: canvas\ncourse: 7\nassignments:\n  '21': {}\n",
}


@pytest.fixture
def conn() -> Iterator[redis.Redis]:
    client = lms_redis()
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def keys(tmp_path: Path) -> CanvasKeys:
    return CanvasKeys(tmp_path)


def make_client(tmp_path: Path, keys: CanvasKeys, *, redis_client: redis.Redis | None = None,
                **env: str) -> FlaskClient:
    for name, text in COURSES.items():
        write_course(tmp_path / "courses", name, text)
    settings = Settings(redis_url=LMS_REDIS_URL, model="none", max_body_bytes=50_000)
    app = create_app(settings, redis_client=redis_client)
    app.config["CODEGUARD_LMS_SETTINGS"] = LmsSettings.from_env({
        "CODEGUARD_LMS_CONFIG": str(tmp_path / "courses"), "MOODLE_URL": "https://moodle.example.edu",
        "CANVAS_URL": "https://canvas.example.edu", "MOODLE_WEBHOOK_SECRET": MOODLE_SECRET,
        "CANVAS_JWKS_FILE": str(keys.path), **env})
    return app.test_client()


def post_moodle(client: FlaskClient, body: bytes, signature: str | None = "auto") -> Any:
    headers = {"Content-Type": "application/json"}
    if signature == "auto":
        headers["X-CodeGuard-Signature"] = moodle_signature(body)
    elif signature is not None:
        headers["X-CodeGuard-Signature"] = signature
    return client.post("/webhooks/moodle", data=body, headers=headers)


def test_moodle_signed_event_is_queued_once(tmp_path: Path, keys: CanvasKeys, conn: redis.Redis) -> None:
    client = make_client(tmp_path, keys)
    body = moodle_event(345, 5, 31, 67)
    first = post_moodle(client, body)
    assert first.status_code == 202, first.json
    [job_id] = Queue("cpu", connection=conn).job_ids
    task = Queue("cpu", connection=conn).fetch_job(job_id).kwargs["task"]
    # The site comes from configuration, never from the event's `host`.
    assert task["base_url"] == "https://moodle.example.edu" and task["submission_id"] == "345"
    assert post_moodle(client, body).json["status"] == "duplicate"
    assert Queue("cpu", connection=conn).count == 1


def test_moodle_rejections_and_ignores(tmp_path: Path, keys: CanvasKeys, conn: redis.Redis) -> None:
    client = make_client(tmp_path, keys)
    body = moodle_event(345, 5, 31, 67)
    assert post_moodle(client, body, None).status_code == 401
    assert post_moodle(client, body, moodle_signature(body, "wrong")).status_code == 401
    assert post_moodle(client, body, moodle_signature(body + b" ")).status_code == 401
    assert post_moodle(client, b"{not json").status_code == 400
    event = json.loads(body)
    del event["objectid"]
    assert post_moodle(client, json.dumps(event).encode()).status_code == 400
    viewed = json.dumps({**json.loads(body), "eventname": "\\core\\event\\course_viewed"}).encode()
    assert post_moodle(client, viewed).json["status"] == "ignored"
    other = moodle_event(345, 5, 99, 67)
    resp = post_moodle(client, other)
    assert resp.status_code == 200 and "not configured" in resp.json["reason"]
    old = moodle_event(345, 5, 31, 67, when=int(time.time()) - 30 * 24 * 3600)
    assert post_moodle(client, old).json["status"] == "ignored"
    big = json.dumps({**json.loads(body), "extra": "x" * 60_000}).encode()
    assert post_moodle(client, big).status_code == 413
    assert Queue("cpu", connection=conn).count == 0
    unset = make_client(tmp_path, keys, MOODLE_WEBHOOK_SECRET="")
    assert post_moodle(unset, body).status_code == 401  # no secret configured: nothing is trusted


def test_redis_down_is_503_so_the_sender_retries(tmp_path: Path, keys: CanvasKeys) -> None:
    down = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    client = make_client(tmp_path, keys, redis_client=down)
    assert post_moodle(client, moodle_event(345, 5, 31, 67)).status_code == 503
    token = keys.sign(canvas_event("submission_created", assignment=21, user=47, attempt=1,
                                   submitted_at="2024-06-01T10:00:00Z"))
    assert client.post("/webhooks/canvas", data=token).status_code == 503


def _created(**kw: Any) -> dict[str, Any]:
    return canvas_event("submission_created", assignment=21, user=47, attempt=1,
                        submitted_at="2024-06-01T10:00:00Z", **kw)


def test_canvas_signed_event_is_queued_with_local_ids(tmp_path: Path, keys: CanvasKeys, conn: redis.Redis) -> None:
    client = make_client(tmp_path, keys)
    resp = client.post("/webhooks/canvas", data=keys.sign(_created()), content_type="application/jwt")
    assert resp.status_code == 202, resp.json
    job = Queue("cpu", connection=conn).fetch_job(resp.json["jobs"][0]["job"])
    task = job.kwargs["task"]
    assert (task["course"], task["assignment"], task["user_id"]) == ("7", "21", "47")
    # The same upload announced again by submission_updated (course in the metadata): same job.
    updated = canvas_event("submission_updated", assignment=21, user=47, attempt=1, course=7,
                           submitted_at="2024-06-01T10:00:00.000Z")
    again = client.post("/webhooks/canvas", data=keys.sign(updated))
    assert again.status_code == 202 and again.json["jobs"][0]["duplicate"] is True


def test_canvas_refuses_everything_but_fresh_rs256_from_a_known_key(tmp_path: Path, keys: CanvasKeys,
                                                                     conn: redis.Redis) -> None:
    client = make_client(tmp_path, keys)
    event = _created()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = keys.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    cases = {
        "wrong key": keys.sign(event, key=other),
        "unknown kid": keys.sign(event, key=other, kid="not-a-canvas-kid"),
        "alg none": jwt.encode(event, None, algorithm="none", headers={"kid": keys.kid}),
        "HS256 with the public key": jwt.encode(event, public_pem.decode()[:64], algorithm="HS256",
                                               headers={"kid": keys.kid}),
        "expired": keys.sign({**event, "exp": int(time.time()) - 3600}),
        "old without exp": keys.sign({**event, "iat": int(time.time()) - 3 * 24 * 3600}),
        "unsigned JSON": json.dumps(event),
        "garbage": "hello",
    }
    for name, body in cases.items():
        resp = client.post("/webhooks/canvas", data=body)
        assert resp.status_code == 401, (name, resp.json)
    assert Queue("cpu", connection=conn).count == 0


def test_canvas_ignores_unconfigured_assignments_and_non_uploads(tmp_path: Path, keys: CanvasKeys,
                                                                 conn: redis.Redis) -> None:
    client = make_client(tmp_path, keys)
    other = canvas_event("submission_created", assignment=99, user=47, attempt=1, submitted_at="2024-06-01T10:00:00Z")
    assert client.post("/webhooks/canvas", data=keys.sign(other)).json["status"] == "ignored"
    quiz = _created()
    quiz["body"]["submission_type"] = "online_quiz"
    assert client.post("/webhooks/canvas", data=keys.sign(quiz)).json["status"] == "ignored"
    assert client.post("/webhooks/canvas", data=keys.sign({"sub": "x"})).status_code == 401  # undated
    assert client.post("/webhooks/canvas", data=keys.sign({"sub": "x", "iat": int(time.time())})).status_code == 400
    assert Queue("cpu", connection=conn).count == 0


def test_canvas_keys_from_a_jwks_url(tmp_path: Path, keys: CanvasKeys, conn: redis.Redis,
                                     httpserver: HTTPServer) -> None:
    httpserver.expect_request("/jwks").respond_with_json(keys.jwks)
    client = make_client(tmp_path, keys, CANVAS_JWKS_FILE="", CANVAS_JWKS_URL=httpserver.url_for("/jwks"))
    assert client.post("/webhooks/canvas", data=keys.sign(_created())).status_code == 202
    unreachable = make_client(tmp_path, keys, CANVAS_JWKS_FILE="", CANVAS_JWKS_URL="http://127.0.0.1:1/jwks")
    assert unreachable.post("/webhooks/canvas", data=keys.sign(_created())).status_code == 503
