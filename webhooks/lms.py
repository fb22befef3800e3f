"""LMS ingress: `/webhooks/moodle` (HMAC-signed observer events) and `/webhooks/canvas`
(Canvas Live Events as RS256-signed JWTs). Verify, dedupe, enqueue, answer; no LMS API
call happens in the request.

Same status rules as the GitHub/GitLab routes (webhooks/app.py): 202 queued, 200
duplicate or ignored, 401 bad/missing signature, 400 malformed, 413 too large, 503 when
Redis (or Canvas's key set) cannot be reached so the sender tries again later.

Moodle: the observer plugin (docs/LMS.md) POSTs the event's JSON and signs the raw body
with the shared secret `MOODLE_WEBHOOK_SECRET`:
    X-CodeGuard-Signature: sha256=<hex HMAC-SHA256 of the raw body>
(the GitHub format, so the same verification code serves both). The `host` and `token`
fields some plugins put in the body are ignored: the site the worker talks to, and the
token it sends there, come from configuration only, never from a request. Deliveries are
deduplicated on event name + object id + event time.

Canvas: the body is a compact JWT. Only RS256 is accepted (`alg: none`, HS256 and the
rest are refused before any key is looked up); the key is the JWKS entry named by the
token's `kid`, from `CANVAS_JWKS_FILE` or `CANVAS_JWKS_URL` (refetched when an unknown
kid appears: Instructure rotates monthly). `exp` is enforced when present; without it
the event must be younger than `CANVAS_LIVE_EVENTS_MAX_AGE`. Unsigned JSON is refused.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import jwt
import redis
from flask import Blueprint, Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from bot.lms_config import LmsConfigError, LmsSettings
from bot.lms_jobs import LmsTask, canvas_key, enqueue_task
from bot.settings import Settings
from webhooks import metrics
from webhooks.signatures import verify_github

log = logging.getLogger("codeguard.webhooks.lms")

SIGNATURE_HEADER = "X-CodeGuard-Signature"
DEDUPE_PREFIX = "codeguard:delivery"  # same key space as webhooks/app.py
MOODLE_EVENT = "\\mod_assign\\event\\assessable_submitted"
CANVAS_EVENTS = ("submission_created", "submission_updated")
CANVAS_TYPES = (None, "", "online_upload")
_SETTINGS_KEY = "CODEGUARD_LMS_SETTINGS"

lms_blueprint = Blueprint("lms", __name__)


class Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def register_lms(app: Flask, conn: Callable[[], redis.Redis]) -> None:
    """Attach the LMS routes to the app `webhooks.app.create_app` built (sharing its Redis)."""
    app.extensions["codeguard_lms_redis"] = conn
    app.register_blueprint(lms_blueprint)


def _settings() -> Settings:
    return current_app.config["CODEGUARD_SETTINGS"]  # type: ignore[no-any-return]


def _lms() -> LmsSettings:
    if _SETTINGS_KEY not in current_app.config:
        current_app.config[_SETTINGS_KEY] = LmsSettings.from_env()
    return current_app.config[_SETTINGS_KEY]  # type: ignore[no-any-return]


def _conn() -> redis.Redis:
    return current_app.extensions["codeguard_lms_redis"]()  # type: ignore[no-any-return]


def _reply(code: int, **body: Any) -> tuple[Response, int]:
    return jsonify(body), code


def _reject(platform: str, status: int, reason: str) -> tuple[Response, int]:
    metrics.count_unstored_delivery(platform, f"rejected_{status}")
    return _reply(status, status="rejected", reason=reason)


def _ignore(platform: str, reason: str) -> tuple[Response, int]:
    try:
        metrics.count_delivery(_conn(), platform, "ignored")
    except redis.RedisError:
        metrics.count_unstored_delivery(platform, "ignored")
    return _reply(200, status="ignored", reason=reason)


def _accept(platform: str, dedupe: str, task: LmsTask, job_key: str) -> tuple[Response, int]:
    settings = _settings()
    delivery = hashlib.sha256(dedupe.encode()).hexdigest()[:32]
    key = f"{DEDUPE_PREFIX}:{platform}:{delivery}"
    try:
        client = _conn()
        if not client.set(key, "1", nx=True, ex=settings.dedupe_ttl_s):
            metrics.count_delivery(client, platform, "duplicate")
            return _reply(200, status="duplicate", delivery=delivery)
        try:
            job_id, duplicate = enqueue_task(client, settings, task, job_key, delivery=delivery)
        except BaseException:
            try:
                client.delete(key)  # not stored: let the redelivery in
            except redis.RedisError:
                pass
            raise
        metrics.count_delivery(client, platform, "queued")
    except redis.RedisError as exc:
        metrics.count_unstored_delivery(platform, "redis_unavailable")
        log.warning("%s delivery not stored: %s", platform, type(exc).__name__)
        return _reply(503, status="unavailable", reason="queue storage is unreachable; redeliver later")
    log.info("%s delivery %s queued %s", platform, delivery, job_id)
    return _reply(202, status="queued", jobs=[{"job": job_id, "queue": settings.analysis_queue,
                                              "duplicate": duplicate}])


@lms_blueprint.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: Exception) -> tuple[Response, int]:
    platform = "moodle" if request.path.endswith("/moodle") else "canvas"
    return _reject(platform, 413, f"body larger than {_settings().max_body_bytes} bytes")


# ------------------------------------------------------------------------------ Moodle


def _int_field(payload: dict[str, Any], name: str) -> int:
    value = payload.get(name)
    if isinstance(value, bool) or value is None:
        raise Rejected(400, f"malformed payload: {name} is missing")
    try:
        return int(str(value))
    except ValueError:
        raise Rejected(400, f"malformed payload: {name} is not a number") from None


@lms_blueprint.post("/webhooks/moodle")
def moodle_hook() -> tuple[Response, int]:
    body = request.get_data(cache=True)
    lms = _lms()
    secret = lms.moodle_webhook_secret
    if not verify_github(secret.reveal() if secret else None, body, request.headers.get(SIGNATURE_HEADER)):
        return _reject("moodle", 401, f"missing or invalid {SIGNATURE_HEADER}")
    try:
        payload = json.loads(body.decode("utf-8"))
        if not isinstance(payload, dict):
            raise ValueError("not a JSON object")
    except (ValueError, UnicodeDecodeError) as exc:
        return _reject("moodle", 400, f"malformed payload: {exc}")
    event = str(payload.get("eventname") or "")
    if not event:
        return _reject("moodle", 400, "malformed payload: eventname is missing")
    if event != MOODLE_EVENT:
        return _ignore("moodle", f"event {event!r} is not used")
    try:
        submission = _int_field(payload, "objectid")
        course = _int_field(payload, "courseid")
        cmid = _int_field(payload, "contextinstanceid")
        when = _int_field(payload, "timecreated")
    except Rejected as exc:
        return _reject("moodle", exc.status, exc.reason)
    if when < time.time() - _settings().dedupe_ttl_s:
        # Older than the dedupe memory: a replay could not be told from a first delivery.
        return _ignore("moodle", "event older than the delivery dedupe window (the poller covers it)")
    try:
        course_cfg = lms.registry().course("moodle", str(course))
        cfg = course_cfg.assignment(str(cmid)) if course_cfg else None
        if cfg is None:
            return _ignore("moodle", f"course {course} assignment {cmid} is not configured")
        base_url = lms.base_url("moodle", course_cfg)
    except LmsConfigError as exc:
        log.error("LMS configuration problem: %s", exc)
        return _reply(503, status="unavailable", reason="course configuration is unreadable; redeliver later")
    owner = payload.get("relateduserid") or payload.get("userid")
    task = LmsTask("moodle", base_url, str(course), str(cmid), user_id=str(owner) if owner else None,
                   submission_id=str(submission), since=max(0, when - 300), trigger="push")
    return _accept("moodle", f"{event}|{submission}|{when}", task, f"push|{submission}|{when}")


# ------------------------------------------------------------------------------ Canvas


class JwksKeys:
    """Canvas's public keys from a JWKS file (re-read when it changes) or URL (cached)."""

    def __init__(self, file: str | None, url: str | None) -> None:
        self.file, self.url = file, url
        self._lock = threading.Lock()
        self._stamp: float | None = None
        self._set: jwt.PyJWKSet | None = None
        self._client = jwt.PyJWKClient(url, cache_jwk_set=True, lifespan=3600) if url else None

    @property
    def configured(self) -> bool:
        return bool(self.file or self.url)

    def key(self, kid: str | None) -> Any:
        if self._client is not None:
            if not kid:
                raise Rejected(401, "token has no kid")
            try:
                return self._client.get_signing_key(kid).key
            except jwt.PyJWKClientConnectionError:
                raise Rejected(503, "Canvas key set is unreachable; redeliver later") from None
            except jwt.PyJWKClientError:
                raise Rejected(401, "token signed with an unknown key") from None
        assert self.file
        path = Path(self.file)
        with self._lock:
            stamp = path.stat().st_mtime
            if self._set is None or stamp != self._stamp:
                self._set = jwt.PyJWKSet.from_json(path.read_text(encoding="utf-8"))
                self._stamp = stamp
            keys = self._set.keys
        matches = [k for k in keys if k.key_id == kid] if kid else (keys if len(keys) == 1 else [])
        if not matches:
            raise Rejected(401, "token signed with an unknown key")
        return matches[0].key


_jwks: dict[tuple[str | None, str | None], JwksKeys] = {}


def _keys(lms: LmsSettings) -> JwksKeys:
    ident = (lms.jwks_file, lms.jwks_url)
    if ident not in _jwks:
        _jwks[ident] = JwksKeys(*ident)
    return _jwks[ident]


def _event_time(event: dict[str, Any]) -> float | None:
    raw = str((event.get("metadata") or {}).get("event_time") or "")
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def verify_canvas(token: str, lms: LmsSettings) -> dict[str, Any]:
    """The verified claims, or Rejected(401/503)."""
    keys = _keys(lms)
    if not keys.configured:
        raise Rejected(401, "no Canvas key set configured (CANVAS_JWKS_FILE or CANVAS_JWKS_URL)")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError:
        raise Rejected(401, "body is not a signed JWT (enable 'Sign Payload' for the subscription)") from None
    if header.get("alg") != "RS256":
        raise Rejected(401, f"JWT algorithm {header.get('alg')!r} is not accepted (RS256 only)")
    key = keys.key(header.get("kid"))
    try:
        claims = jwt.decode(token, key=key, algorithms=["RS256"], leeway=60,
                            options={"verify_aud": False, "verify_iss": False})
    except jwt.ExpiredSignatureError:
        raise Rejected(401, "JWT has expired") from None
    except jwt.InvalidTokenError as exc:
        raise Rejected(401, f"JWT rejected: {type(exc).__name__}") from None
    if not isinstance(claims, dict):
        raise Rejected(401, "JWT claims are not an object")
    if "exp" not in claims:
        issued = claims.get("iat")
        stamp = float(issued) if isinstance(issued, int | float) else _event_time(_event_of(claims) or {})
        if stamp is None or stamp < time.time() - lms.canvas_max_event_age_s:
            raise Rejected(401, "JWT has no exp and its event is too old (or undated)")
    return claims


def _event_of(claims: dict[str, Any]) -> dict[str, Any] | None:
    """The Canvas-format event: the claims themselves, or wrapped under one key."""
    if isinstance(claims.get("metadata"), dict) and isinstance(claims.get("body"), dict):
        return claims
    for key in ("event", "data", "payload"):
        inner = claims.get(key)
        if isinstance(inner, dict) and isinstance(inner.get("metadata"), dict):
            return inner
    return None


@lms_blueprint.post("/webhooks/canvas")
def canvas_hook() -> tuple[Response, int]:
    from bot.platforms.canvas import local_id

    body = request.get_data(cache=True)
    lms = _lms()
    text = body.decode("utf-8", "replace").strip()
    if text.startswith("{"):
        return _reject("canvas", 401, "unsigned Live Event refused (enable 'Sign Payload' for the subscription)")
    try:
        claims = verify_canvas(text, lms)
    except Rejected as exc:
        if exc.status == 503:
            return _reply(503, status="unavailable", reason=exc.reason)
        return _reject("canvas", exc.status, exc.reason)
    event = _event_of(claims)
    if event is None:
        return _reject("canvas", 400, "malformed payload: no metadata/body event in the JWT")
    meta, data = event["metadata"], event["body"]
    name = str(meta.get("event_name") or "")
    if name not in CANVAS_EVENTS:
        return _ignore("canvas", f"event {name!r} is not used")
    if data.get("workflow_state") in ("unsubmitted", "deleted") or not data.get("submitted_at"):
        return _ignore("canvas", "not a submitted upload")
    if data.get("submission_type") not in CANVAS_TYPES:
        return _ignore("canvas", f"submission type {data.get('submission_type')!r} carries no files")
    try:
        assignment = local_id(data["assignment_id"])
        user = local_id(data["user_id"])
        submission_id = str(data.get("submission_id") or "")
    except (KeyError, ValueError):
        return _reject("canvas", 400, "malformed payload: assignment_id / user_id missing or not ids")
    try:
        registry = lms.registry()
        if meta.get("context_type") == "Course" and meta.get("context_id"):
            course_cfg = registry.course("canvas", local_id(meta["context_id"]))
        else:  # submission_created carries no course: find it by the assignment
            found = registry.find_assignment("canvas", assignment)
            course_cfg = registry.course("canvas", found.course) if found else None
        cfg = course_cfg.assignment(assignment) if course_cfg else None
        if course_cfg is None or cfg is None:
            return _ignore("canvas", f"assignment {assignment} is not configured")
        base_url = lms.base_url("canvas", course_cfg)
    except LmsConfigError as exc:
        log.error("LMS configuration problem: %s", exc)
        return _reply(503, status="unavailable", reason="course configuration is unreadable; redeliver later")
    task = LmsTask("canvas", base_url, course_cfg.course, assignment, user_id=user, trigger="push",
                   params={"event": name, "submission_id": submission_id})
    stamp = meta.get("event_time") or data.get("updated_at") or ""
    return _accept("canvas", f"{name}|{submission_id}|{stamp}", task,
                   canvas_key(user, data.get("attempt"), data.get("submitted_at")))
