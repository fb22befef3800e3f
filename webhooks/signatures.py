"""Delivery authentication for each platform.

GitHub signs the raw body (HMAC-SHA256, `X-Hub-Signature-256: sha256=<hex>`); GitLab
sends the configured secret token verbatim in `X-Gitlab-Token`. Both are compared in
constant time (`hmac.compare_digest`) so response timing leaks nothing about the secret.
A missing secret on our side rejects every delivery: an unsigned hook is never trusted.
"""

from __future__ import annotations

import hashlib
import hmac


def github_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_github(secret: str | None, body: bytes, header: str | None) -> bool:
    if not secret or not header:
        return False
    expected = github_signature(secret, body)
    return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("utf-8", "replace"))


def verify_gitlab(secret: str | None, header: str | None) -> bool:
    if not secret or header is None:
        return False
    return hmac.compare_digest(secret.encode("utf-8"), header.encode("utf-8", "replace"))
