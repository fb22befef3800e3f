from __future__ import annotations

import json
import re

from bot.reports import render_report
from bot.reports.sarif import AI_RULE, SIMILARITY_RULE
from ml.submission import PairMatch, Report, SourceFile, Submission
from tests.bot.reports.sample_class import HOSTILE_NAME, small_class


def _sarif(**kw):
    report, subs, thr = small_class()
    return json.loads(render_report("sarif", report, subs, thr, **kw))


def _uri(loc) -> str:
    return loc["physicalLocation"]["artifactLocation"]["uri"]


def test_log_has_the_shape_code_scanning_requires() -> None:
    log = _sarif()
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [AI_RULE, SIMILARITY_RULE]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in {"note", "warning", "error"}
        assert res["message"]["text"]
        assert res["locations"], "code scanning drops results without a location"
        for loc in res["locations"] + res.get("relatedLocations", []):
            uri = _uri(loc)
            assert not uri.startswith("/") and "://" not in uri and ".." not in uri
            assert re.fullmatch(r"[A-Za-z0-9/%._~-]+", uri)
            region = loc["physicalLocation"]["region"]
            assert (
                region["startLine"] >= 1 and region.get("endLine", region["startLine"]) >= region["startLine"]
            )


def test_ai_results_only_for_medium_and_high() -> None:
    results = [r for r in _sarif()["runs"][0]["results"] if r["ruleId"] == AI_RULE]
    by_uri = {_uri(r["locations"][0]): r["level"] for r in results}
    assert by_uri == {"bob/stats.py": "note", "carol/stats.py": "warning", "eve/src/Stats.java": "warning"}


def test_an_explained_file_is_located_on_its_most_generated_line_and_says_why() -> None:
    results = {_uri(r["locations"][0]): r for r in _sarif()["runs"][0]["results"] if r["ruleId"] == AI_RULE}
    carol, eve = results["carol/stats.py"], results["eve/src/Stats.java"]
    assert carol["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    assert "Why: lines 3, 1 read most like generated code; unlike a typical human python file: " in carol["message"]["text"]
    assert "Against the author's earlier work: medium. " in carol["message"]["text"]
    assert "earlier work" not in eve["message"]["text"]
    assert eve["locations"][0]["physicalLocation"]["region"]["startLine"] == 1 and "Why" not in eve["message"]["text"]


def test_similarity_result_points_at_longest_region_with_both_sides_related() -> None:
    results = [r for r in _sarif()["runs"][0]["results"] if r["ruleId"] == SIMILARITY_RULE]
    assert len(results) == 4
    top = results[0]
    region = top["locations"][0]["physicalLocation"]["region"]
    assert _uri(top["locations"][0]) == "alice/stats.py" and (region["startLine"], region["endLine"]) == (
        9,
        13,
    )
    related = [(_uri(loc), loc["physicalLocation"]["region"]["startLine"]) for loc in top["relatedLocations"]]
    assert related == [
        ("alice/stats.py", 9),
        ("bob/stats.py", 11),
        ("alice/stats.py", 16),
        ("bob/stats.py", 18),
    ]
    assert "human review" in top["message"]["text"]
    # A pair without line evidence still has a location: its first file.
    assert _uri(results[2]["locations"][0]) == "alice/stats.py"
    # Names with characters that are not URI-safe are percent-encoded.
    hostile = [loc for loc in results[3]["relatedLocations"] if "zoe" in _uri(loc)]
    assert _uri(hostile[0]) == "zoe%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E/x.py"
    assert HOSTILE_NAME in results[3]["message"]["text"]


def test_fingerprint_stable_under_side_order_and_prefix_applies() -> None:
    subs = [
        Submission("a", [SourceFile("x.py", "python", "x\n")]),
        Submission("b", [SourceFile("y.py", "python", "y\n")]),
    ]
    one = json.loads(
        render_report("sarif", Report(pairs=[PairMatch("a", "b", 0.9, 0.9)]), subs, sarif_uri_prefix="hw1/")
    )
    two = json.loads(render_report("sarif", Report(pairs=[PairMatch("b", "a", 0.9, 0.9)]), subs))
    fp = [log["runs"][0]["results"][0]["partialFingerprints"] for log in (one, two)]
    assert fp[0] == fp[1]
    assert _uri(one["runs"][0]["results"][0]["locations"][0]) == "hw1/a/x.py"


def test_empty_report_is_a_valid_empty_run() -> None:
    log = json.loads(render_report("sarif", Report()))
    assert log["runs"][0]["results"] == []
