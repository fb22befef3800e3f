"""`codeguard scan --format html|csv|sarif` end to end: real folders, the real engine."""

from __future__ import annotations

import csv
import json
import re

import pytest

from bot.cli import main
from tests.bot.reports.sample_class import ALICE, BASE, BOB, CAROL


@pytest.fixture
def klass(tmp_path):
    subs = tmp_path / "subs"
    for name, text in (("alice", ALICE), ("bob", BOB), ("carol", CAROL)):
        (subs / name).mkdir(parents=True)
        (subs / name / "stats.py").write_text(text)
    (subs / "notes.pdf").write_bytes(b"%PDF-1.4\x00\x01")
    starter = tmp_path / "starter"
    starter.mkdir()
    (starter / "stats.py").write_text(BASE)
    return subs, starter, tmp_path


def _data(html: str) -> dict:
    return json.loads(html.split('id="report-data">')[1].split("</script>")[0])


def test_scan_html_with_base_code_and_anonymised_names(klass) -> None:
    subs, starter, tmp = klass
    out = tmp / "report.html"
    rc = main([
        "scan", str(subs), "--format", "html", "--out", str(out), "--base-code", str(starter),
        "--anonymise", "--anonymise-key", "k" * 32, "--min-similarity", "0", "-k", "3", "--window", "2",
    ])  # fmt: skip
    assert rc == 0
    html = out.read_text()
    data = _data(html)
    assert all(re.fullmatch(r"student-[0-9a-f]{6,}", s) for s in data["subs"]) and len(data["subs"]) == 3
    assert not re.search(
        r"\b(alice|bob|carol)\b", json.dumps([data["subs"], data["risk"], [f["name"] for f in data["files"]]])
    )
    # A skipped top-level entry is a submission too ("notes.pdf" could be "bob.pdf"): pseudonymised.
    ((skipped_name, reason),) = data["overview"]["skipped"]
    assert reason == "binary file" and skipped_name.startswith("student-") and "notes" not in skipped_name
    top = data["pairs"][0]
    assert top[7] == 0 and data["details"][0]["frags"], "the most similar pair has line-level evidence"
    # The starter file's lines are greyed in the files shown side by side.
    shown = [data["files"][f[0]] for f in data["details"][0]["frags"]]
    assert any(f["base"] and f["base"][0][0] <= 4 for f in shown)


def test_scan_csv_and_sarif(klass, capsys) -> None:
    subs, _, tmp = klass
    assert (
        main(["scan", str(subs), "--format", "csv", "--min-similarity", "0", "-k", "3", "--window", "2"]) == 0
    )
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert len(rows) == 3 and {rows[0]["a"], rows[0]["b"]} == {"alice", "bob"}
    sarif_path = tmp / "r.sarif"
    rc = main([
        "scan", str(subs), "--format", "sarif", "--out", str(sarif_path), "--sarif-uri-prefix", "subs",
        "-k", "3", "--window", "2",
    ])  # fmt: skip
    assert rc == 0
    log = json.loads(sarif_path.read_text())
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]
    }
    assert uris and all(u.startswith("subs/") for u in uris)


def test_bad_report_option_is_a_usage_error(klass, capsys) -> None:
    subs, _, _ = klass
    with pytest.raises(SystemExit) as exc:
        main(["scan", str(subs), "--format", "html", "--report-pairs", "-3"])
    assert exc.value.code == 2
    assert "must be 0 or more" in capsys.readouterr().err
