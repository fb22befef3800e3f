"""One retry policy for every platform API call: 5xx, 429 and rate-limit 403s.

Both PyGithub and python-gitlab talk HTTP through requests → urllib3, so the policy is a
`urllib3.Retry` subclass installed in each client's transport. Retrying below the client
library means every call (GET a file, POST a comment, PATCH it) gets the same behaviour
without wrapping each call site, and `Retry-After` is honoured exactly as sent.

Limits: a `Retry-After` longer than `max_wait` is not slept on inside a job (a worker
would sit idle for an hour); `RetryAfterTooLong` is raised instead and the job-level
retry (RQ `Retry`, see bot/queue.py) reschedules the whole job later. Exhausted retries
raise requests' `RetryError`, which also fails the job into RQ's retry / failed registry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests
from github.GithubRetry import GithubRetry
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from bot.settings import Settings

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset([429, *range(500, 600)])
RETRY_METHODS = frozenset(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST", "PATCH"])


class RetryAfterTooLong(RuntimeError):
    """The server asked us to wait longer than a job should block; retry the job later."""

    def __init__(self, seconds: float, limit: float) -> None:
        super().__init__(f"server asked to retry after {seconds:.0f}s, more than the {limit:.0f}s limit")
        self.seconds = seconds


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    backoff_s: float = 1.0
    max_wait_s: float = 120.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(settings.http_retries, settings.http_backoff_s, settings.http_max_wait_s)


class _CappedMixin:
    """Caps `Retry-After` and logs every retry (status, method, wait) without bodies."""

    max_wait_s: float = 120.0

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)  # type: ignore[misc]
        if value is not None and value > self.max_wait_s:
            raise RetryAfterTooLong(value, self.max_wait_s)
        return value  # type: ignore[no-any-return]

    def increment(self, method: Any = None, url: Any = None, response: Any = None, *args: Any, **kwargs: Any) -> Any:
        if response is not None:
            log.info("retrying %s %s after HTTP %s", method, _path(url), response.status)
        elif kwargs.get("error") is not None:
            log.info("retrying %s %s after %s", method, _path(url), type(kwargs["error"]).__name__)
        return super().increment(method, url, response, *args, **kwargs)  # type: ignore[misc]


def _path(url: Any) -> str:
    # Logs carry the API path only: never query strings (tokens can live there).
    return str(url or "").split("?", 1)[0]


class HttpRetry(_CappedMixin, Retry):
    """Generic policy (GitLab): 429 and 5xx, plus 403 only when it is a rate limit."""

    def __init__(self, *args: Any, max_wait_s: float = 120.0, **kwargs: Any) -> None:
        self.max_wait_s = max_wait_s
        super().__init__(*args, **kwargs)

    def new(self, **kw: Any) -> HttpRetry:
        kw.setdefault("max_wait_s", self.max_wait_s)
        return super().new(**kw)  # type: ignore[return-value]

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        # GitLab and proxies signal some rate limits as 403 + Retry-After.
        if status_code == 403 and has_retry_after and self._is_method_retryable(method):
            return True
        return super().is_retry(method, status_code, has_retry_after)


class GitHubRetry(_CappedMixin, GithubRetry):
    """PyGithub's own policy (it reads the body to tell a secondary rate limit from a
    plain 403 and waits for X-RateLimit-Reset) widened to 429 and capped like HttpRetry."""

    def __init__(self, *args: Any, max_wait_s: float = 120.0, **kwargs: Any) -> None:
        self.max_wait_s = max_wait_s
        kwargs.setdefault("max_rate_limit_wait", max_wait_s)
        super().__init__(*args, **kwargs)

    def new(self, **kw: Any) -> GitHubRetry:
        kw.setdefault("max_wait_s", self.max_wait_s)
        return super().new(**kw)  # type: ignore[return-value]


def _common(policy: RetryPolicy) -> dict[str, Any]:
    return {
        "total": policy.attempts,
        "connect": policy.attempts,
        "read": policy.attempts,
        "status": policy.attempts,
        "backoff_factor": policy.backoff_s,
        "backoff_max": policy.max_wait_s,
        "respect_retry_after_header": True,
        "allowed_methods": RETRY_METHODS,
        "max_wait_s": policy.max_wait_s,
    }


def github_retry(policy: RetryPolicy) -> GitHubRetry:
    return GitHubRetry(
        status_forcelist=sorted(RETRY_STATUSES),
        secondary_rate_wait=min(60.0, policy.max_wait_s),
        **_common(policy),
    )


def http_retry(policy: RetryPolicy) -> HttpRetry:
    return HttpRetry(status_forcelist=sorted(RETRY_STATUSES), **_common(policy))


def retrying_session(policy: RetryPolicy) -> requests.Session:
    """A requests session whose every call follows `policy` (used for python-gitlab)."""
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=http_retry(policy))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
