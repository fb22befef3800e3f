"""Serves HTML reports, and only through signed, unexpired links (bot/report_links.py).

Register on the app with `app.register_blueprint(reports_blueprint)`. The configuration
comes from `app.config["CODEGUARD_REPORT_LINKS"]` (a ReportLinks, for tests and embedding)
or else from the environment, read once per app.

Responses forbid caching, framing, sniffing and referrers: the page holds student code,
and the token in the URL is the credential, so it must not leak through a Referer header
or sit in a shared cache. An invalid token is 403, an expired one 410 (so the reader
knows to ask for a fresh link), a missing file 404, an unconfigured app 404.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, send_file

from bot.report_links import ROUTE_PREFIX, ReportLinkError, ReportLinks

reports_blueprint = Blueprint("reports", __name__)

_CONFIG_KEY = "CODEGUARD_REPORT_LINKS"
_HEADERS = {
    "Cache-Control": "private, no-store, max-age=0",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex, nofollow",
}


def _links(app: Flask) -> ReportLinks | None:
    if _CONFIG_KEY not in app.config:
        app.config[_CONFIG_KEY] = ReportLinks.from_env()
    links = app.config[_CONFIG_KEY]
    return links if isinstance(links, ReportLinks) else None


def _plain(status: int, text: str) -> Response:
    resp = Response(text + "\n", status=status, mimetype="text/plain")
    resp.headers.update(_HEADERS)
    return resp


@reports_blueprint.get(f"{ROUTE_PREFIX}/<token>")
def serve_report(token: str) -> Response:
    links = _links(current_app._get_current_object())  # type: ignore[attr-defined]
    if links is None or not links.secret:
        return _plain(404, "reports are not served by this app")
    try:
        name = links.verify(token)
        path = links.path_for(name)
    except ReportLinkError as exc:
        return _plain(exc.status, str(exc))
    if not path.is_file():
        return _plain(404, "this report is no longer available")
    resp = send_file(path, mimetype="text/html", max_age=0, conditional=False, etag=False)
    resp.headers.update(_HEADERS)
    return resp
