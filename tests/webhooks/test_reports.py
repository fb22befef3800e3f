from __future__ import annotations

import time

import pytest
from flask import Flask

from bot.report_links import ReportLinks
from webhooks.reports import reports_blueprint

SECRET = "r" * 40


@pytest.fixture
def served(tmp_path):
    links = ReportLinks(directory=tmp_path, secret=SECRET, base_url="http://localhost", ttl_s=600)
    app = Flask("t")
    app.config["CODEGUARD_REPORT_LINKS"] = links
    app.register_blueprint(reports_blueprint)
    return app.test_client(), links


def _path(url: str) -> str:
    return url.removeprefix("http://localhost")


def test_valid_link_serves_the_report_with_protective_headers(served) -> None:
    client, links = served
    name = links.publish("<!DOCTYPE html><p>pair view</p>", "hw1")
    resp = client.get(_path(links.url(name)))
    assert resp.status_code == 200 and resp.data == b"<!DOCTYPE html><p>pair view</p>"
    assert resp.mimetype == "text/html"
    assert "no-store" in resp.headers["Cache-Control"]
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_bad_expired_and_missing_links(served) -> None:
    client, links = served
    name = links.publish("x", "hw1")
    token = links.token(name)
    assert client.get("/reports/" + token[:-3] + "abc").status_code == 403
    assert client.get("/reports/" + links.token(name, now=time.time() - 700)).status_code == 410
    assert client.get("/reports/" + links.token("gone-0000.html")).status_code == 404
    assert client.get("/reports/" + token).status_code == 200


def test_a_foreign_secret_cannot_reach_other_files(served, tmp_path) -> None:
    client, _ = served
    (tmp_path / "secret.html").write_text("private")
    forged = ReportLinks(directory=tmp_path, secret="f" * 40, base_url="http://localhost").token(
        "secret.html"
    )
    resp = client.get("/reports/" + forged)
    assert resp.status_code == 403 and b"private" not in resp.data


def test_unconfigured_app_serves_nothing(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("CODEGUARD_REPORTS_DIR", raising=False)
    app = Flask("t")
    app.register_blueprint(reports_blueprint)
    assert app.test_client().get("/reports/whatever").status_code == 404
