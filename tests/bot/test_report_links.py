from __future__ import annotations

import os
import stat

import pytest

from bot.report_links import BadLink, ExpiredLink, LinkConfigError, ReportLinks, check_name

SECRET = "s" * 40


def _links(tmp_path, **kw) -> ReportLinks:
    return ReportLinks(directory=tmp_path, secret=SECRET, base_url="https://cg.example.edu", **kw)


def test_token_round_trip_and_url(tmp_path) -> None:
    links = _links(tmp_path)
    token = links.token("hw1-abc.html", now=1000)
    assert links.verify(token, now=1000 + 3600) == "hw1-abc.html"
    assert links.url("hw1-abc.html").startswith("https://cg.example.edu/reports/")


def test_expiry_is_part_of_the_signed_link(tmp_path) -> None:
    links = _links(tmp_path, ttl_s=60)
    token = links.token("a.html", now=1000)
    assert links.verify(token, now=1059) == "a.html"
    with pytest.raises(ExpiredLink):
        links.verify(token, now=1060)
    # A server with a longer TTL setting still honours the lifetime the link was issued with.
    with pytest.raises(ExpiredLink):
        _links(tmp_path, ttl_s=10**6).verify(token, now=1060)


def test_tampered_or_foreign_tokens_are_rejected(tmp_path) -> None:
    links = _links(tmp_path)
    token = links.token("a.html")
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), token + "x", "nonsense", ""):
        with pytest.raises(BadLink):
            links.verify(bad)
    other = ReportLinks(directory=tmp_path, secret="t" * 40, base_url="https://x")
    with pytest.raises(BadLink):
        other.verify(token)


def test_names_outside_the_directory_are_refused(tmp_path) -> None:
    links = _links(tmp_path)
    for name in ("../etc/passwd.html", "a/b.html", ".hidden.html", "a.htm", "x..html", ""):
        with pytest.raises(ValueError):
            check_name(name)
        with pytest.raises(ValueError):
            links.token(name)
    assert links.path_for("a.html") == tmp_path.resolve() / "a.html"


def test_publish_writes_atomically_with_unguessable_names(tmp_path) -> None:
    links = _links(tmp_path / "reports")
    a = links.publish("<html>1</html>", "octo/repo PR #7")
    b = links.publish("<html>2</html>", "octo/repo PR #7")
    assert a != b and a.startswith("octo-repo-PR-7-") and check_name(a) == a
    assert (tmp_path / "reports" / a).read_text() == "<html>1</html>"
    assert stat.S_IMODE(os.stat(tmp_path / "reports" / a).st_mode) == 0o640
    assert not [p for p in (tmp_path / "reports").iterdir() if p.name.startswith(".tmp-")]


def test_prune_removes_reports_older_than_the_link_lifetime(tmp_path) -> None:
    links = _links(tmp_path, ttl_s=100)
    old, new = links.publish("old", "old"), links.publish("new", "new")
    os.utime(tmp_path / old, (1000, 1000))
    os.utime(tmp_path / new, (1090, 1090))
    assert links.prune(now=1150) == 1
    assert not (tmp_path / old).exists() and (tmp_path / new).exists()


def test_from_env(tmp_path) -> None:
    assert ReportLinks.from_env({}) is None
    links = ReportLinks.from_env(
        {
            "CODEGUARD_REPORTS_DIR": str(tmp_path),
            "CODEGUARD_REPORT_SECRET": SECRET,
            "CODEGUARD_PUBLIC_URL": "https://cg.example.edu/",
            "CODEGUARD_REPORT_LINK_TTL": "3600",
        }
    )
    assert (
        links is not None
        and links.can_link
        and links.ttl_s == 3600
        and links.base_url == "https://cg.example.edu"
    )
    only_dir = ReportLinks.from_env({"CODEGUARD_REPORTS_DIR": str(tmp_path)})
    assert only_dir is not None and not only_dir.can_link
    with pytest.raises(LinkConfigError, match="at least 32"):
        ReportLinks.from_env({"CODEGUARD_REPORTS_DIR": str(tmp_path), "CODEGUARD_REPORT_SECRET": "short"})
    with pytest.raises(LinkConfigError, match="TTL"):
        ReportLinks.from_env({"CODEGUARD_REPORTS_DIR": str(tmp_path), "CODEGUARD_REPORT_LINK_TTL": "soon"})
    with pytest.raises(LinkConfigError, match="SECRET is not set"):
        only_dir.token("a.html")


def test_publish_report_renders_writes_and_links(tmp_path) -> None:
    from bot.report_links import publish_report
    from tests.bot.reports.sample_class import small_class

    report, subs, thr = small_class()
    links = _links(tmp_path)
    pub = publish_report(links, report, subs, "octo/repo#7", thresholds=thr)
    assert pub.path.is_file() and pub.path.parent == tmp_path.resolve()
    assert "<title>CodeGuard Nexus: octo/repo#7</title>" in pub.path.read_text()
    assert pub.url is not None and links.verify(pub.url.rsplit("/", 1)[1]) == pub.name
    unlinked = publish_report(ReportLinks(directory=tmp_path), report, subs, "lms")
    assert unlinked.url is None and unlinked.path.is_file()
