from __future__ import annotations

import json
import time

import pytest
import requests
from github import Github
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Response

from bot.retry import RetryAfterTooLong, RetryPolicy, github_retry, retrying_session

FAST = RetryPolicy(attempts=3, backoff_s=0.01, max_wait_s=5)


def sequence(server: HTTPServer, path: str, method: str, responses: list[Response]) -> list[float]:
    seen: list[float] = []

    def handler(_request):  # type: ignore[no-untyped-def]
        seen.append(time.monotonic())
        return responses[min(len(seen), len(responses)) - 1]

    server.expect_request(path, method=method).respond_with_handler(handler)
    return seen


def test_5xx_then_success_posts_again(httpserver: HTTPServer) -> None:
    seen = sequence(httpserver, "/x", "POST", [Response("", 500), Response("", 502), Response("{}", 201)])
    response = retrying_session(FAST).post(httpserver.url_for("/x"), json={"a": 1})
    assert response.status_code == 201 and len(seen) == 3


def test_429_retry_after_is_honoured(httpserver: HTTPServer) -> None:
    seen = sequence(httpserver, "/y", "GET", [Response("", 429, headers={"Retry-After": "1"}), Response("ok", 200)])
    assert retrying_session(FAST).get(httpserver.url_for("/y")).status_code == 200
    assert len(seen) == 2 and seen[1] - seen[0] >= 0.95


def test_403_with_retry_after_is_a_rate_limit_and_plain_403_is_not(httpserver: HTTPServer) -> None:
    seen = sequence(httpserver, "/z", "GET", [Response("", 403, headers={"Retry-After": "0"}), Response("ok", 200)])
    assert retrying_session(FAST).get(httpserver.url_for("/z")).status_code == 200 and len(seen) == 2
    plain = sequence(httpserver, "/forbidden", "GET", [Response("", 403)])
    assert retrying_session(FAST).get(httpserver.url_for("/forbidden")).status_code == 403 and len(plain) == 1
    missing = sequence(httpserver, "/missing", "GET", [Response("", 404)])
    assert retrying_session(FAST).get(httpserver.url_for("/missing")).status_code == 404 and len(missing) == 1


def test_exhausted_and_too_long_waits_raise(httpserver: HTTPServer) -> None:
    seen = sequence(httpserver, "/down", "GET", [Response("", 503)])
    with pytest.raises(requests.exceptions.RetryError):
        retrying_session(FAST).get(httpserver.url_for("/down"))
    assert len(seen) == 4  # first try + 3 retries
    sequence(httpserver, "/later", "GET", [Response("", 429, headers={"Retry-After": "3600"})])
    with pytest.raises(RetryAfterTooLong):
        retrying_session(FAST).get(httpserver.url_for("/later"))


def test_pygithub_secondary_rate_limit(httpserver: HTTPServer) -> None:
    body = '{"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}'
    repo = json.dumps({"full_name": "o/r", "name": "r", "url": httpserver.url_for("/repos/o/r")})
    seen = sequence(httpserver, "/repos/o/r", "GET", [Response(body, 403), Response(repo, 200)])
    policy = RetryPolicy(attempts=2, backoff_s=0.01, max_wait_s=1)  # secondary wait = min(60, 1) s
    gh = Github(base_url=httpserver.url_for("").rstrip("/"), retry=github_retry(policy))
    assert gh.get_repo("o/r").full_name == "o/r"
    assert len(seen) == 2 and seen[1] - seen[0] >= 0.95
