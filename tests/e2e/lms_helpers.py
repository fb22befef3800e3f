"""Shared plumbing for the LMS tests: a Redis db of their own, course files, signing.

The LMS tests use their own Redis database (`CODEGUARD_TEST_LMS_REDIS_DB`, default 12)
so they can run beside the GitHub/GitLab end-to-end tests (db 13) without one
flushing the other's keys.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import redis
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import make_server

from tests.e2e.helpers import REDIS_HOST, REDIS_PORT, fixture

LMS_REDIS_DB = int(os.environ.get("CODEGUARD_TEST_LMS_REDIS_DB", "12"))
LMS_REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{LMS_REDIS_DB}"
MOODLE_SECRET = "moodle-shared-secret"


def lms_redis() -> redis.Redis:
    conn = redis.Redis.from_url(LMS_REDIS_URL)
    try:
        conn.ping()
    except redis.RedisError as exc:  # pragma: no cover - environment problem
        raise RuntimeError(f"LMS tests need a real Redis at {LMS_REDIS_URL}: {exc}") from None
    return conn


def moodle_signature(body: bytes, secret: str = MOODLE_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def moodle_event(submission: int, course: int, cmid: int, user: int, when: int | None = None) -> bytes:
    """The derived local_webhooks-style event, for one submission."""
    event = fixture("moodle/event.assessable_submitted.local_webhooks.derived.json")
    event.update(objectid=str(submission), courseid=str(course), contextinstanceid=str(cmid), userid=str(user),
                 timecreated=int(when if when is not None else time.time()))
    return json.dumps(event).encode()


class CanvasKeys:
    """An RSA key pair published as a JWKS file, to sign Live Events like Canvas."""

    def __init__(self, directory: Path, kid: str = "canvas-2024-06") -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        jwk.update(kid=kid, alg="RS256", use="sig")
        self.jwks = {"keys": [jwk]}
        self.path = directory / "canvas-jwks.json"
        self.path.write_text(json.dumps(self.jwks))

    def sign(self, claims: dict[str, Any], *, key: Any = None, kid: str | None = None,
             algorithm: str = "RS256") -> str:
        return jwt.encode(claims, key or self.private, algorithm=algorithm, headers={"kid": kid or self.kid})


def canvas_event(name: str, *, assignment: int, user: int, attempt: int, submitted_at: str,
                 course: int | None = None, shard: int = 2107) -> dict[str, Any]:
    """The published example payload of `name`, with global (sharded) ids for our objects."""
    payload = fixture(f"canvas/live_event.{name}.canvas-docs.json")["examples"][0]["payload"]
    body = payload["body"]
    body.update(assignment_id=str(shard * 10**13 + assignment), user_id=str(shard * 10**13 + user),
                attempt=attempt, submitted_at=submitted_at, submission_type="online_upload",
                submission_id=str(shard * 10**13 + 7000 + user * 10 + attempt), workflow_state="submitted")
    meta = payload["metadata"]
    meta["event_time"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    meta["request_id"] = str(uuid.uuid4())
    if course is not None:
        meta.update(context_type="Course", context_id=str(shard * 10**13 + course))
    else:
        meta.pop("context_type", None)
        meta.pop("context_id", None)
    return payload


def write_course(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text)
    return path


@dataclass
class Web:
    url: str
    server: Any

    def post(self, path: str, body: bytes | str, headers: dict[str, str]) -> requests.Response:
        return requests.post(self.url + path, data=body, headers=headers, timeout=10)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_web(env: dict[str, str]) -> Web:
    """The real webhook app (webhooks.app.create_app, LMS routes included) on a real port."""
    from bot.lms_config import LmsSettings
    from bot.settings import Settings
    from webhooks.app import create_app

    app = create_app(Settings.from_env(env))
    app.config["CODEGUARD_LMS_SETTINGS"] = LmsSettings.from_env(env)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Web(f"http://127.0.0.1:{server.server_port}", server)
