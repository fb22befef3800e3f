"""The webhook ingress: verify, dedupe, enqueue, answer — nothing else in the request.

Status codes follow what the platforms do with them: 202 queued, 200 duplicate or
ignored (GitLab auto-disables hooks that keep getting 4xx, so "not interesting" is never
4xx), 401 bad or missing signature/token, 400 malformed body, 413 body over
`CODEGUARD_MAX_BODY_BYTES`, 503 when Redis cannot store the delivery (the platform
redelivers later; a delivery is never acknowledged with 2xx unless it was stored).
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

import redis
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from bot import queue as work_queue
from bot.redis_conn import connect
from bot.settings import Settings
from webhooks import events, metrics
from webhooks.signatures import verify_github, verify_gitlab

log = logging.getLogger("codeguard.webhooks")

DEDUPE_PREFIX = "codeguard:delivery"


def _reply(code: int, **body: Any) -> tuple[Response, int]:
    return jsonify(body), code


def create_app(settings: Settings | None = None, *, redis_client: redis.Redis | None = None) -> Flask:
    """Build the app. `redis_client` lets a caller share its connection (tests, `codeguard bot`)."""
    settings = settings or Settings.from_env()
    app = Flask("codeguard-webhooks")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["CODEGUARD_SETTINGS"] = settings
    state: dict[str, Any] = {"redis": redis_client}

    def conn() -> redis.Redis:
        if state["redis"] is None:
            state["redis"] = connect(settings, for_web=True)
        return state["redis"]

    def read_body() -> bytes:
        # The raw bytes, before any parsing: the GitHub signature covers exactly these.
        return request.get_data(cache=True)

    def parse(body: bytes) -> dict[str, Any]:
        content_type = (request.mimetype or "").lower()
        if content_type == "application/x-www-form-urlencoded":
            raw = request.form.get("payload")
            if raw is None:
                raise ValueError("form body without a payload field")
            data = json.loads(raw)
        else:
            data = json.loads(body.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("payload is not a JSON object")
        return data

    def accept(platform: str, delivery: str, decision: events.Decision) -> tuple[Response, int]:
        if decision.ignored:
            try:
                metrics.count_delivery(conn(), platform, "ignored")
            except redis.RedisError:
                metrics.count_unstored_delivery(platform, "ignored")
            return _reply(200, status="ignored", reason=decision.reason, **decision.reply)
        key = f"{DEDUPE_PREFIX}:{platform}:{delivery}"
        client = conn()
        try:
            if not client.set(key, "1", nx=True, ex=settings.dedupe_ttl_s):
                metrics.count_delivery(client, platform, "duplicate")
                return _reply(200, status="duplicate", delivery=delivery)
            results = []
            try:
                for task in decision.tasks:
                    queued = work_queue.enqueue(client, settings, task, delivery=delivery)
                    results.append({"job": queued.job_id, "queue": queued.queue, "duplicate": queued.duplicate})
            except BaseException:
                # Not stored: forget the delivery id so the platform's redelivery is taken.
                try:
                    client.delete(key)
                except redis.RedisError:
                    pass
                raise
            metrics.count_delivery(client, platform, "queued")
        except redis.RedisError as exc:
            metrics.count_unstored_delivery(platform, "redis_unavailable")
            log.warning("%s delivery %s not stored: %s", platform, delivery, type(exc).__name__)
            return _reply(503, status="unavailable", reason="queue storage is unreachable; redeliver later")
        log.info("%s delivery %s queued %s", platform, delivery, [r["job"] for r in results])
        return _reply(202, status="queued", jobs=results)

    def reject(platform: str, status: int, reason: str) -> tuple[Response, int]:
        metrics.count_unstored_delivery(platform, f"rejected_{status}")
        return _reply(status, status="rejected", reason=reason)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_exc: Exception) -> tuple[Response, int]:
        platform = "github" if request.path.endswith("/github") else "gitlab"
        return reject(platform, 413, f"body larger than {settings.max_body_bytes} bytes")

    @app.post("/webhooks/github")
    def github_hook() -> tuple[Response, int]:
        body = read_body()
        if not verify_github(settings.github_webhook_secret, body, request.headers.get("X-Hub-Signature-256")):
            return reject("github", 401, "missing or invalid X-Hub-Signature-256")
        event = request.headers.get("X-GitHub-Event", "")
        delivery = request.headers.get("X-GitHub-Delivery", "")
        if not event or not delivery:
            return reject("github", 400, "missing X-GitHub-Event or X-GitHub-Delivery header")
        try:
            decision = events.github(event, parse(body), delivery)
        except (ValueError, events.PayloadError) as exc:
            return reject("github", 400, f"malformed payload: {exc}")
        return accept("github", delivery, decision)

    @app.post("/webhooks/gitlab")
    def gitlab_hook() -> tuple[Response, int]:
        body = read_body()
        if not verify_gitlab(settings.gitlab_webhook_secret, request.headers.get("X-Gitlab-Token")):
            return reject("gitlab", 401, "missing or invalid X-Gitlab-Token")
        event = request.headers.get("X-Gitlab-Event", "")
        delivery = request.headers.get("Idempotency-Key") or request.headers.get("X-Gitlab-Event-UUID") or ""
        if not delivery:
            return reject("gitlab", 400, "missing Idempotency-Key and X-Gitlab-Event-UUID headers")
        try:
            decision = events.gitlab(event, parse(body), delivery)
        except (ValueError, events.PayloadError) as exc:
            return reject("gitlab", 400, f"malformed payload: {exc}")
        return accept("gitlab", delivery, decision)

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        return _reply(200, status="ok")

    @app.get("/readyz")
    def readyz() -> tuple[Response, int]:
        checks: dict[str, Any] = {}
        try:
            checks["redis"] = bool(conn().ping())
        except redis.RedisError as exc:
            checks["redis"] = False
            checks["redis_error"] = type(exc).__name__
        model_dir = settings.model_dir()
        checks["model"] = "disabled" if model_dir is None else os.path.isdir(model_dir)
        checks["model_version"] = work_queue.model_version(settings)
        ready = checks["redis"] is True and checks["model"] in (True, "disabled")
        return _reply(200 if ready else 503, status="ready" if ready else "not ready", checks=checks)

    @app.get("/metrics")
    def prometheus() -> Response:
        started = time.perf_counter()
        client: redis.Redis | None
        try:
            client = conn()
            depths = work_queue.queue_depths(client)
        except redis.RedisError:
            client, depths = None, None
        try:
            text = metrics.render(client, depths)
        except redis.RedisError:
            text = metrics.render(None, None)
        text += f"codeguard_metrics_render_seconds {time.perf_counter() - started:.6f}\n"
        return Response(text, mimetype="text/plain; version=0.0.4")

    # LMS routes (/webhooks/moodle, /webhooks/canvas; webhooks/lms.py) share this Redis.
    from webhooks.lms import register_lms

    register_lms(app, conn)
    # Signed, expiring links to HTML reports (webhooks/reports.py); off until configured.
    from webhooks.reports import reports_blueprint

    app.register_blueprint(reports_blueprint)
    return app
