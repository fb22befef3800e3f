"""Signed, expiring links to HTML reports, and the directory the reports are written to.

A report holds student code, so it is never served by a guessable URL: the bot writes it
into a configured directory and puts a link in the PR/MR comment or LMS note whose token
is an HMAC (itsdangerous) over the report's file name and an expiry time. The web app
serves a file only for a token that verifies and has not expired (webhooks/reports.py).
The expiry lives inside the signed payload rather than being a server-wide max-age, so a
link keeps the lifetime it was issued with even if the setting changes later.

Configuration (environment):
  CODEGUARD_REPORTS_DIR       where reports are written (required to publish)
  CODEGUARD_REPORT_SECRET     signing key, at least 32 characters (required for links)
  CODEGUARD_PUBLIC_URL        the web app's public base URL; links are <base>/reports/<token>
  CODEGUARD_REPORT_LINK_TTL   link lifetime in seconds (default 14 days)
Without a secret or a public URL, reports can still be written to the directory (for a
file share or an LMS upload), just not linked.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

DEFAULT_TTL_S = 14 * 24 * 3600
MIN_SECRET_LEN = 32
ROUTE_PREFIX = "/reports"
_SALT = "codeguard.report-link.v1"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.html$")
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


class ReportLinkError(Exception):
    """A link that must not be served; `status` is the HTTP status to answer with."""

    status = 403


class BadLink(ReportLinkError):
    status = 403


class ExpiredLink(ReportLinkError):
    status = 410


class LinkConfigError(ValueError):
    """Report-link configuration the operator can fix; one line."""


@dataclass(frozen=True)
class ReportLinks:
    directory: Path
    secret: str | None = None
    base_url: str | None = None
    ttl_s: int = DEFAULT_TTL_S

    def __post_init__(self) -> None:
        if self.secret is not None and len(self.secret) < MIN_SECRET_LEN:
            raise LinkConfigError(f"CODEGUARD_REPORT_SECRET must be at least {MIN_SECRET_LEN} characters")
        if self.ttl_s <= 0:
            raise LinkConfigError("CODEGUARD_REPORT_LINK_TTL must be a positive number of seconds")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReportLinks | None:
        """None when no reports directory is configured (reports are then not kept)."""
        env = os.environ if env is None else env
        directory = env.get("CODEGUARD_REPORTS_DIR", "").strip()
        if not directory:
            return None
        raw_ttl = env.get("CODEGUARD_REPORT_LINK_TTL", "").strip()
        try:
            ttl = int(raw_ttl) if raw_ttl else DEFAULT_TTL_S
        except ValueError:
            raise LinkConfigError(f"CODEGUARD_REPORT_LINK_TTL must be an integer, got {raw_ttl!r}") from None
        return cls(
            directory=Path(directory),
            secret=env.get("CODEGUARD_REPORT_SECRET", "").strip() or None,
            base_url=(env.get("CODEGUARD_PUBLIC_URL", "").strip().rstrip("/") or None),
            ttl_s=ttl,
        )

    @property
    def can_link(self) -> bool:
        return bool(self.secret and self.base_url)

    def _serializer(self) -> URLSafeSerializer:
        if not self.secret:
            raise LinkConfigError("CODEGUARD_REPORT_SECRET is not set; report links cannot be signed")
        return URLSafeSerializer(self.secret, salt=_SALT, signer_kwargs={"digest_method": hashlib.sha256})

    # --- tokens ------------------------------------------------------------------------

    def token(self, name: str, *, ttl_s: int | None = None, now: float | None = None) -> str:
        check_name(name)
        expires = int((time.time() if now is None else now) + (self.ttl_s if ttl_s is None else ttl_s))
        return str(self._serializer().dumps({"r": name, "e": expires}))

    def verify(self, token: str, *, now: float | None = None) -> str:
        """The report name a token grants, or BadLink / ExpiredLink."""
        try:
            data = self._serializer().loads(token)
        except BadSignature:
            raise BadLink("invalid report link") from None
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("r"), str)
            or not isinstance(data.get("e"), int)
        ):
            raise BadLink("malformed report link")
        if (time.time() if now is None else now) >= data["e"]:
            raise ExpiredLink("this report link has expired")
        try:
            return check_name(data["r"])
        except ValueError:
            raise BadLink("malformed report link") from None

    def url(self, name: str, *, ttl_s: int | None = None, now: float | None = None) -> str:
        if not self.base_url:
            raise LinkConfigError("CODEGUARD_PUBLIC_URL is not set; report links need the app's public URL")
        return f"{self.base_url}{ROUTE_PREFIX}/{self.token(name, ttl_s=ttl_s, now=now)}"

    # --- files -------------------------------------------------------------------------

    def path_for(self, name: str) -> Path:
        """The file for a verified name, refusing anything that resolves outside the directory."""
        check_name(name)
        root = self.directory.resolve()
        path = (root / name).resolve()
        if path.parent != root:
            raise BadLink("report outside the reports directory")
        return path

    def publish(self, html: str, label: str) -> str:
        """Write a report atomically and return its file name.

        The name carries a random part: links are what grant access, but a directory
        that is also exposed some other way (a file share) should not list guessable names.
        """
        slug = _SLUG.sub("-", label).strip("-.")[:80] or "report"
        name = f"{slug}-{secrets.token_hex(10)}.html"
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".html")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(html)
            os.chmod(tmp, 0o640)
            os.replace(tmp, self.path_for(name))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return name

    def prune(self, *, older_than_s: int | None = None, now: float | None = None) -> int:
        """Delete reports older than the link lifetime (no link to them can still verify)."""
        if not self.directory.is_dir():
            return 0
        cutoff = (time.time() if now is None else now) - (
            self.ttl_s if older_than_s is None else older_than_s
        )
        removed = 0
        for path in self.directory.glob("*.html"):
            if _NAME.match(path.name) and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


@dataclass(frozen=True)
class Published:
    name: str
    path: Path
    url: str | None  # None when links are not configured (the file is still written)


def publish_report(
    links: ReportLinks,
    report: Any,
    submissions: Sequence[Any],
    label: str,
    *,
    thresholds: Mapping[str, Any] | None = None,
    anonymise: bool = False,
) -> Published:
    """Render the HTML report, write it to the reports directory, and sign a link to it.

    What a job calls after an analysis: put `url` in the PR/MR comment or LMS note when
    it is not None ("evidence for review, link expires in N days").
    """
    from bot.reports import render_report

    html = render_report(
        "html", report, submissions, thresholds, anonymise=anonymise, title=f"CodeGuard Nexus: {label}"
    )
    name = links.publish(html, label)
    return Published(name, links.path_for(name), links.url(name) if links.can_link else None)


def check_name(name: str) -> str:
    if not _NAME.match(name) or ".." in name:
        raise ValueError(f"not a report file name: {name!r}")
    return name
