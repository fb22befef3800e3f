from __future__ import annotations

import csv
import io

from bot.reports import render_report
from bot.reports.csv import COLUMNS
from ml.submission import PairMatch, Report
from tests.bot.reports.sample_class import HOSTILE_NAME, small_class


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_one_row_per_pair_ranked_with_regions() -> None:
    report, subs, thr = small_class()
    text = render_report("csv", report, subs, thr)
    assert text.splitlines()[0] == ",".join(COLUMNS)
    rows = _rows(text)
    assert [r["rank"] for r in rows] == ["1", "2", "3", "4"]
    top = rows[0]
    assert (top["a"], top["b"], top["similarity"], top["semantic"]) == ("alice", "bob", "0.8200", "0.9100")
    assert top["fragments"] == "2" and top["longest_fragment_lines"] == "5"
    assert (
        top["matched_regions"]
        == "alice/stats.py:9-13 <-> bob/stats.py:11-15; alice/stats.py:16-18 <-> bob/stats.py:18-20"
    )
    assert rows[3]["semantic"] == ""  # no semantic score is not a zero
    assert rows[3]["b"] == HOSTILE_NAME


def test_formula_like_names_are_neutralised() -> None:
    report = Report(pairs=[PairMatch('=HYPERLINK("http://x")', "+1", 0.5, 0.5)])
    rows = _rows(render_report("csv", report))
    assert rows[0]["a"].startswith("'=") and rows[0]["b"] == "'+1"


def test_anonymised_csv_has_no_real_names() -> None:
    report, subs, thr = small_class()
    text = render_report("csv", report, subs, thr, anonymise=True, anonymise_key="k" * 32)
    for name in ("alice", "bob", "carol", "dave", "eve", "zoe"):
        assert name not in text
    assert _rows(text)[0]["a"].startswith("student-")
