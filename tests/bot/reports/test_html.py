from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from bot.reports import render_report
from bot.reports.html import build_payload, histogram_svg, render_html
from bot.reports.view import build_view
from ml.submission import FileRisk, PairMatch, Report, SourceFile, Submission
from tests.bot.reports.sample_class import BASE_REGIONS, HOSTILE_NAME, HOSTILE_TEXT, small_class


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.data_block = ""
        self._in_data = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_data = tag == "script" and dict(attrs).get("id") == "report-data"

    def handle_endtag(self, tag):
        self._in_data = False

    def handle_data(self, data):
        if self._in_data:
            self.data_block += data


def _parse(html: str) -> _Tags:
    p = _Tags()
    p.feed(html)
    p.close()
    return p


@pytest.fixture(scope="module")
def page() -> str:
    report, subs, thr = small_class()
    return render_report("html", report, subs, thr, base_regions=BASE_REGIONS)


def test_self_contained_no_external_references(page: str) -> None:
    tags = _parse(page).tags
    for tag, attrs in tags:
        for attr in ("src", "href", "action", "srcset", "poster"):
            value = attrs.get(attr)
            if value is not None:
                assert value.startswith("#"), f"<{tag} {attr}={value}> would load something"
        assert tag not in {"link", "iframe", "img", "object", "embed"}, tag
    assert not re.search(r"url\(\s*['\"]?(?!data:)", page)
    assert "@import" not in page
    csp = [a["content"] for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0] and "connect-src" not in csp[0]


def test_hostile_text_cannot_break_out_of_the_data_block(page: str) -> None:
    tags = _parse(page).tags
    assert sum(1 for t, _ in tags if t == "script") == 2  # the data block and the code, nothing else
    assert not any(t == "img" for t, _ in tags)  # the hostile name never became markup
    outside = page.split('<script type="application/json"')[0]
    assert HOSTILE_NAME not in outside and "<script>alert" not in page
    # Inside the data block "</" is escaped, so nothing a student wrote can end it.
    block = page.split('id="report-data">')[1].split("</script>")[0]
    assert "</" not in block and "<!--" not in block


def test_data_block_round_trips_and_holds_sources_for_top_pairs(page: str) -> None:
    data = json.loads(_parse(page).data_block)
    assert data["subs"] == sorted(["alice", "bob", "carol", "dave", "eve", HOSTILE_NAME])
    assert [p[8] for p in data["pairs"]] == [1, 2, 3, 4]
    top = data["pairs"][0]
    assert [data["subs"][top[0]], data["subs"][top[1]], top[2]] == ["alice", "bob", 0.82]
    det = data["details"][top[7]]
    a_file = data["files"][det["frags"][0][0]]
    assert a_file["name"] == "alice/stats.py" and a_file["lang"] == "python"
    assert a_file["lines"] == 22 and a_file["html"].count("\n") == 21
    assert a_file["base"] == [[1, 6]]
    assert det["frags"][0][1:3] == [9, 13] and det["frags"][0][4:6] == [11, 15]
    # Both of alice's fragments are in one file, embedded once.
    assert det["frags"][1][0] == det["frags"][0][0]
    hostile_file = next(f for f in data["files"] if f["name"].endswith("/x.py"))
    shown = re.sub(r"<[^>]+>", "", hostile_file["html"])
    assert "&lt;/script&gt;&lt;script&gt;alert('x')&lt;/script&gt;" in shown
    assert HOSTILE_TEXT.count("\n") == hostile_file["lines"]
    why = {row[0]: row[4] for row in data["risk"]}
    assert why["carol/stats.py"].startswith("lines 3, 1 read most like generated code; unlike a typical human python")
    assert why["eve/src/Stats.java"] == "" and why["alice/stats.py"] == ""  # nothing explained there
    assert {row[0]: row[5] for row in data["risk"]}["carol/stats.py"] == "medium"  # against earlier work
    assert all(row[5] == "" for row in data["risk"] if row[0] != "carol/stats.py")


def test_overview_lists_settings_skipped_and_model(page: str) -> None:
    ov = json.loads(_parse(page).data_block)["overview"]
    assert ov["model_version"] == "dual-head-minilm 2025.1"
    assert ov["settings"]["base_code"] == "starter/" and ov["settings"]["k"] == 5
    assert ov["thresholds"] == {"high": 0.62, "medium": 0.41}
    assert ov["skipped"] == [["frank.docx", "not a code file"], ["carol/data.bin", "binary file"]]
    assert ov["languages"] == {"python": 5, "java": 2}
    assert ov["n_submissions"] == 6


def test_wording_is_evidence_not_verdict(page: str) -> None:
    text = re.sub(r"<[^>]+>", " ", page.split('<script type="application/json"')[0]).lower()
    assert "evidence for human review" in text
    for verdict in ("plagiarist", "cheat", "guilty", "copied from"):
        assert verdict not in text


def test_histogram_counts_scores_and_draws_thresholds() -> None:
    svg = histogram_svg([0.01, 0.02, 0.5, 0.99, 1.0], {"high": 0.62, "medium": 0.41})
    counts = [int(c) for c in re.findall(r'data-count="(\d+)"', svg)]
    assert len(counts) == 20 and sum(counts) == 5
    assert counts[0] == 2 and counts[10] == 1 and counts[19] == 2
    assert re.findall(r'data-threshold="([\d.]+)"', svg) == ["0.6200", "0.4100"]


def test_no_model_means_no_histogram() -> None:
    report = Report(files=[FileRisk("a/x.py", "python", None, None)], pairs=[PairMatch("a", "b", 0.5, 0.5)])
    html = render_report("html", report, [Submission("a", []), Submission("b", [])])
    assert 'id="no-model"' in html and "<svg" not in html


def test_size_grows_with_detail_not_with_rows() -> None:
    text = "".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(80))
    subs = [Submission(f"s{i:03d}", [SourceFile("a.py", "python", text)]) for i in range(40)]
    from ml.submission import Fragment

    pairs = [
        PairMatch(
            subs[i].name,
            subs[j].name,
            1 - (i + j) / 200,
            0.5,
            None,
            [Fragment("a.py", (1, 20), "a.py", (1, 20), 50)],
        )
        for i in range(40)
        for j in range(i + 1, 40)
    ]
    report = Report(pairs=pairs)
    view = build_view(report, subs)
    small = build_payload(view, detail_pairs=2, max_rows=100)
    big = build_payload(view, detail_pairs=20, max_rows=100)
    assert len(small["details"]) == 2 and len(big["details"]) == 20
    assert len(small["files"]) <= 4 and len(big["files"]) > 4
    assert len(small["pairs"]) == len(big["pairs"]) == 100 and small["pairs_total"] == len(pairs)
    extra_sources = sum(len(f["html"]) for f in big["files"]) - sum(len(f["html"]) for f in small["files"])
    grown = len(render_html(view, detail_pairs=20, max_rows=100)) - len(
        render_html(view, detail_pairs=2, max_rows=100)
    )
    assert extra_sources > 0 and extra_sources <= grown < extra_sources * 1.2  # sources, each once
    rows_only = render_html(view, detail_pairs=0, max_rows=len(pairs))
    assert len(rows_only) < 200 * len(pairs)  # a summarised row costs tens of bytes, not a source


def test_anonymised_page_has_no_real_names() -> None:
    report, subs, thr = small_class()
    html = render_report("html", report, subs, thr, anonymise=True, anonymise_key="k" * 32)
    data = json.loads(_parse(html).data_block)
    for name in ("alice", "bob", "carol", "dave", "eve", "zoe", "frank"):
        assert name not in json.dumps(data["subs"] + data["risk"] + data["overview"]["skipped"])
        assert name not in json.dumps([f["name"] for f in data["files"]])
    assert data["overview"]["anonymised"] is True
    assert all(s.startswith("student-") for s in data["subs"])


def test_bad_limits_and_unknown_format_are_errors() -> None:
    report, subs, thr = small_class()
    with pytest.raises(ValueError, match="unknown report format"):
        render_report("pdf", report, subs, thr)
    with pytest.raises(ValueError, match="detail_pairs"):
        render_report("html", report, subs, thr, detail_pairs=-1)


def test_missing_source_is_shown_as_missing_not_crash() -> None:
    from ml.submission import Fragment

    report = Report(
        pairs=[PairMatch("a", "b", 0.9, 0.9, None, [Fragment("gone.py", (1, 3), "b.py", (1, 3), 9)])]
    )
    subs = [Submission("a", []), Submission("b", [SourceFile("b.py", "python", "x = 1\ny = 2\nz = 3\n")])]
    data = build_payload(build_view(report, subs))
    names = {f["name"]: f for f in data["files"]}
    assert names["a/gone.py"]["html"] is None and names["b/b.py"]["lines"] == 3
