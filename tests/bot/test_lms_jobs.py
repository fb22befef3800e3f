from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace

from bot.lms_config import AssignmentConfig
from bot.lms_jobs import Collected, LmsTask, add_file, add_online_text, canvas_key, download_limit, job_id_for
from bot.lms_note import NoteContext, decide, render_html, render_text
from bot.settings import Settings
from ml.submission import FileRisk, Fragment, PairMatch, Report
from tests.bot.archive.make import seven_zip_of, tar_of, zip_of

CFG = AssignmentConfig("moodle", "5", "31", languages=("python",))
SETTINGS = Settings(model="none")


def test_policy_never_shows_ai_risk_where_the_student_reads() -> None:
    for policy in ("similarity_only", "full_while_hidden", "link_only"):
        visible = decide(policy, hidden=False, ai_enabled=True, link="https://x/reports/t")
        assert visible is None or (not visible.show_ai and not visible.show_names and visible.link is None), policy
    full = decide("full_while_hidden", hidden=True, ai_enabled=True, link=None)
    assert full is not None and full.show_ai and full.show_names
    hidden_sim = decide("similarity_only", hidden=True, ai_enabled=True, link=None)
    assert hidden_sim is not None and not hidden_sim.show_ai
    assert decide("none", hidden=True, ai_enabled=True, link=None) is None
    assert decide("link_only", hidden=True, ai_enabled=True, link=None) is None  # nothing to link to
    only = decide("link_only", hidden=True, ai_enabled=True, link="https://x/reports/t")
    assert only is not None and only.link_only


def _report() -> Report:
    pair = PairMatch("user-67", "user-68", 0.91, 0.91, fragments=[Fragment("a.py", (3, 9), "b.py", (10, 16), 40)])
    return Report(files=[FileRisk("a.py", "python", 0.93, "high")], pairs=[pair], model_version="m1")


def test_visible_note_hides_classmates_and_ai_risk_hidden_note_shows_them() -> None:
    ctx = NoteContext("user-67", "attempt 1", "m1", CFG.repo_config(), compared_with=4)
    visible = render_text(_report(), ctx, decide("full_while_hidden", False, True, None))  # type: ignore[arg-type]
    assert "another submission of this assignment (0.91), lines 3–9" in visible
    assert "user-68" not in visible and "AI-generated" not in visible and "10–16" not in visible
    hidden = render_html(_report(), ctx, decide("full_while_hidden", True, True, None))  # type: ignore[arg-type]
    assert "user-68" in hidden and "high (0.93)" in hidden and "3–9 ↔ 10–16" in hidden
    assert "compared with 4 other submissions" in hidden


def test_the_why_of_a_high_file_goes_only_where_ai_risk_does() -> None:
    why = {"style_reference": "*", "lines": [{"line": 4, "effect": 1.0}],
           "style": [{"feature": "f", "effect": 0.5, "description": "`{` on a line of its own: 0% here, typically 80%"}]}
    report = _report()
    report.files = [FileRisk("a.py", "python", 0.93, "high", why)]
    ctx = NoteContext("user-67", "attempt 1", "m1", CFG.repo_config(), compared_with=4)
    text = render_text(report, ctx, decide("full_while_hidden", True, True, None))  # type: ignore[arg-type]
    assert ("- a.py: line 4 reads most like generated code; unlike a typical human file: "
            "`{` on a line of its own: 0% here, typically 80%.") in text
    html = render_html(report, ctx, decide("full_while_hidden", True, True, None))  # type: ignore[arg-type]
    assert "<li>a.py: line 4 reads most like generated code;" in html
    for hidden_ai in (decide("full_while_hidden", False, True, None), decide("similarity_only", True, True, None)):
        assert "generated code" not in render_text(report, ctx, hidden_ai)  # type: ignore[arg-type]
        assert "generated code" not in render_html(report, ctx, hidden_ai)  # type: ignore[arg-type]


def test_the_level_against_earlier_work_goes_only_where_ai_risk_does() -> None:
    report = _report()
    report.files = [FileRisk("a.py", "python", 0.93, "high", relative_score=0.99, relative_level="medium")]
    ctx = NoteContext("user-67", "attempt 1", "m1", CFG.repo_config(), compared_with=4)
    text = render_text(report, ctx, decide("full_while_hidden", True, True, None))  # type: ignore[arg-type]
    assert "AI-generated risk high (0.93); against the student's earlier work: medium" in text
    html = render_html(report, ctx, decide("full_while_hidden", True, True, None))  # type: ignore[arg-type]
    assert "<td>high (0.93); against the student&#x27;s earlier work: medium</td>" in html
    visible = render_text(report, ctx, decide("full_while_hidden", False, True, None))  # type: ignore[arg-type]
    assert "earlier work" not in visible


def test_html_note_escapes_student_controlled_names() -> None:
    report = Report(files=[FileRisk("<script>x</script>.py", "python", None, None)])
    ctx = NoteContext("user-1", "attempt 1", "m1", CFG.repo_config())
    html = render_html(report, ctx, decide("similarity_only", True, True, None))  # type: ignore[arg-type]
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_add_file_unpacks_archives_and_applies_the_course_rules() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("src/main.py", "print('hi')\n")
        zf.writestr("src/Main.java", "class Main {}\n")
        zf.writestr("README.md", "# hw\n")
        zf.writestr("node_modules/x/index.py", "x = 1\n")
    out = Collected()
    add_file("hw1.zip", buf.getvalue(), CFG, SETTINGS, out)
    add_file("extra.py", b"\x00\x01binary", CFG, SETTINGS, out)
    add_file("big.py", None, CFG, SETTINGS, out)
    assert [f.path for f in out.files] == ["hw1.zip/src/main.py"]
    reasons = {s.path: s.reason for s in out.skipped}
    assert "not enabled in the course configuration" in reasons["hw1.zip/src/Main.java"]
    assert reasons["hw1.zip/README.md"] == "not a recognised code file"
    assert reasons["hw1.zip/node_modules"] == "vendored or tool folder"  # once, not per file inside
    assert reasons["extra.py"] == "binary file" and reasons["big.py"] == "too large to download"

    refused = Collected()
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../../x.py", "x = 1\n")
    add_file("evil.zip", evil.getvalue(), CFG, SETTINGS, refused)
    assert refused.files == [] and "path traversal" in refused.skipped[0].reason


def test_an_ide_project_zip_reads_as_its_sources_with_tool_folders_named_once() -> None:
    entries: dict[str, bytes | str] = {"hw/src/Main.py": "print(1)\n", "hw/.settings/prefs": "a=b", "hw/.DS_Store": b"\0",
                                       "__MACOSX/hw/._Main.py": b"\x00\x05"}  # fmt: skip
    entries |= {f"hw/bin/C{i}.class": b"\xca\xfe\xba\xbe" for i in range(20)}
    out = Collected()
    add_file("hw.zip", zip_of(entries), CFG, SETTINGS, out)
    assert [f.path for f in out.files] == ["hw.zip/hw/src/Main.py"]
    assert sorted((s.path, s.reason) for s in out.skipped) == [
        ("hw.zip/__MACOSX", "vendored or tool folder"), ("hw.zip/hw/.settings", "vendored or tool folder"),
        ("hw.zip/hw/bin", "vendored or tool folder")]  # fmt: skip


def test_tar_and_7z_uploads_are_read_like_zips() -> None:
    out = Collected()
    add_file("hw2.tar.gz", tar_of({"hw2/main.py": "print(2)\n", "hw2/Main.java": "class Main {}\n"}), CFG, SETTINGS, out)
    add_file("hw3.7z", seven_zip_of({"util.py": "y = 3\n"}), CFG, SETTINGS, out)
    add_file("hw4.rar", b"Rar!\x1a\x07\x01\x00", CFG, SETTINGS, out)
    assert [(f.path, f.text) for f in out.files] == [("hw2.tar.gz/hw2/main.py", "print(2)\n"),
                                                      ("hw3.7z/util.py", "y = 3\n")]  # fmt: skip
    reasons = {s.path: s.reason for s in out.skipped}
    assert "not enabled in the course configuration" in reasons["hw2.tar.gz/hw2/Main.java"]
    assert reasons["hw4.rar"].startswith("RAR archive not opened")
    assert download_limit("hw2.tar.gz", CFG, SETTINGS) == download_limit("hw3.7z", CFG, SETTINGS) == CFG.archive_limits.max_bytes


def test_txt_uploads_are_code_where_the_course_says_so() -> None:
    code = b"def mean(xs):\n    return sum(xs) / len(xs)\n"
    prose = b"I used a loop because the list can be long, and I tested it with three lists.\n"
    plain, asked = Collected(), Collected()
    for out, cfg in ((plain, CFG), (asked, replace(CFG, text_as="python"))):
        add_file("lab1.txt", code, cfg, SETTINGS, out)
        add_file("reflection.txt", prose, cfg, SETTINGS, out)
    assert plain.files == [] and [s.reason for s in plain.skipped] == ["not a recognised code file"] * 2
    assert [(f.path, f.language) for f in asked.files] == [("lab1.txt", "python")]
    [skip] = asked.skipped
    assert skip.path == "reflection.txt" and skip.reason.startswith("a .txt that does not read as python")


def test_a_notebook_with_large_outputs_is_downloaded_and_its_code_read() -> None:
    plot = {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo" * 150_000}}
    cells = [{"cell_type": "code", "source": ["def mean(xs):\n", "    return sum(xs) / len(xs)\n"], "outputs": [plot]}]
    data = json.dumps({"nbformat": 4, "metadata": {}, "cells": cells}).encode()
    assert len(data) > SETTINGS.max_file_bytes and download_limit("lab3.ipynb", CFG, SETTINGS) >= len(data)
    assert download_limit("lab3.py", CFG, SETTINGS) == SETTINGS.max_file_bytes
    out = Collected()
    add_file("lab3.ipynb", data, CFG, SETTINGS, out)
    assert out.skipped == []
    assert [(f.path, f.language, f.text) for f in out.files] == [
        ("lab3.ipynb", "python", "def mean(xs):\n    return sum(xs) / len(xs)\n")]


def test_online_text_is_read_in_the_assignments_one_language() -> None:
    out = Collected()
    add_online_text("<p>x = 1</p><p>print(x)</p>", CFG, SETTINGS, out)
    add_online_text("<p><br></p>", CFG, SETTINGS, out)  # an empty editor: nothing to read or report
    assert [(f.path, f.language, f.text) for f in out.files] == [("online text.py", "python", "x = 1\nprint(x)\n")]
    assert out.skipped == []
    several = Collected()
    add_online_text("<p>x = 1</p>", AssignmentConfig("moodle", "5", "31", languages=("python", "java")), SETTINGS,
                    several)  # fmt: skip
    assert several.files == [] and "lists one language" in several.skipped[0].reason
    big = Collected()
    add_online_text("<p>" + "x = 1<br>" * 200_000 + "</p>", CFG, SETTINGS, big)
    assert big.files == [] and big.skipped[0].reason.startswith("too large")


def test_push_and_pull_name_one_canvas_upload_the_same_way() -> None:
    assert canvas_key("47", 2, "2024-06-02T09:00:00.000Z") == canvas_key("47", "2", "2024-06-02T09:00:00Z")
    assert canvas_key("47", 2, "2024-06-02T09:00:00Z") != canvas_key("47", 3, "2024-06-02T09:00:00Z")
    a = LmsTask("canvas", "https://c.example.edu", "7", "21", user_id="47")
    b = LmsTask("canvas", "https://c.example.edu", "7", "22", user_id="47")
    assert job_id_for(a, "k") == job_id_for(a, "k") != job_id_for(b, "k")
    assert job_id_for(a, "k").startswith("lms-canvas-7-21-")
