"""LMS end to end: signed deliveries (Moodle HMAC, Canvas RS256 JWT) and `codeguard lms
poll` → real HTTP → real Redis → real `codeguard worker` processes → the project's Moodle
REST client and the real canvasapi → stand-in LMS servers that record what was posted.
Structural analysis only (CODEGUARD_MODEL=none) to stay fast."""

from __future__ import annotations

import html
import io
import json
import re
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import redis
from cryptography.hazmat.primitives.asymmetric import rsa
from rq.job import Job
from rq.registry import FailedJobRegistry, FinishedJobRegistry

from bot.settings import Settings
from tests.bot.archive.make import seven_zip_of, tar_of
from tests.e2e.conftest import ROOT, bot_env, run_worker
from tests.e2e.lms_helpers import (
    LMS_REDIS_URL,
    MOODLE_SECRET,
    CanvasKeys,
    canvas_event,
    lms_redis,
    moodle_event,
    moodle_signature,
    start_web,
    write_course,
)
from tests.e2e.lms_standins import CanvasStandIn, MoodleStandIn

SORT = b'''
def insertion_sort(values):
    result = list(values)
    for i in range(1, len(result)):
        current = result[i]
        j = i - 1
        while j >= 0 and result[j] > current:
            result[j + 1] = result[j]
            j -= 1
        result[j + 1] = current
    return result


def is_sorted(values):
    return all(values[k] <= values[k + 1] for k in range(len(values) - 1))
'''

# The same program with every name changed: structural similarity sees through it.
SORT_RENAMED = SORT.replace(b"insertion_sort", b"my_sort").replace(b"result", b"out").replace(
    b"current", b"item").replace(b"values", b"data")

OWN = b'''
import statistics


def summarise(temperatures):
    if not temperatures:
        raise ValueError("no readings")
    low = min(temperatures)
    high = max(temperatures)
    return {"low": low, "high": high, "mean": statistics.mean(temperatures)}


def report(readings):
    for city, temps in sorted(readings.items()):
        print(city, summarise(temps))
'''


@pytest.fixture
def conn() -> Iterator[redis.Redis]:
    client = lms_redis()
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def moodle() -> Iterator[MoodleStandIn]:
    server = MoodleStandIn()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def canvas() -> Iterator[CanvasStandIn]:
    server = CanvasStandIn()
    server.start()
    yield server
    server.stop()


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return bot_env(None, None, CODEGUARD_REDIS_URL=LMS_REDIS_URL, CODEGUARD_LMS_CONFIG=str(tmp_path / "courses"),
                   MOODLE_WEBHOOK_SECRET=MOODLE_SECRET, **extra)


def poll_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "lms", "poll", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def results(conn: redis.Redis) -> list[dict[str, Any]]:
    registry = FinishedJobRegistry("cpu", connection=conn)
    out = []
    for job_id in registry.get_job_ids():
        value = Job.fetch(job_id, connection=conn).return_value()
        if isinstance(value, dict):
            out.append(value)
    return out


def _exc(job: Job) -> str:
    result = job.latest_result()
    return (result.exc_string if result else "") or ""


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


# ------------------------------------------------------------------------------ Moodle


MOODLE_COURSE = """
platform: moodle
course: 5
languages: [python]
thresholds: {similarity: 0.5}
posting: full_while_hidden
assignments:
  "31": {}
"""


def test_moodle_push_and_pull_give_one_note_per_submission_updated_on_resubmission(
        tmp_path: Path, conn: redis.Redis, moodle: MoodleStandIn) -> None:
    write_course(tmp_path / "courses", "cs101.yml", MOODLE_COURSE)
    env = env_for(tmp_path, MOODLE_URL=moodle.url, MOODLE_TOKEN=moodle.token)
    moodle.add_assignment(5, 12, 31, markingworkflow=True)
    t0 = int(time.time()) - 600
    moodle.submit(12, 67, {"sort.py": SORT}, sub_id=345, time=t0)
    moodle.submit(12, 68, {"sorting.py": SORT_RENAMED}, sub_id=346, time=t0 + 10)
    moodle.submit(12, 69, {"weather.py": OWN}, sub_id=347, time=t0 + 20)
    moodle.grades[(12, 68)] = "85.00000"  # a teacher graded 68 already
    web = start_web(env)
    try:
        body = moodle_event(345, 5, 31, 67, when=t0)
        headers = {"Content-Type": "application/json", "X-CodeGuard-Signature": moodle_signature(body)}
        first = web.post("/webhooks/moodle", body, headers)
        assert first.status_code == 202, first.text
        again = web.post("/webhooks/moodle", body, headers)
        assert again.status_code == 200 and again.json()["status"] == "duplicate"
        forged = web.post("/webhooks/moodle", body, {**headers, "X-CodeGuard-Signature": moodle_signature(body, "x")})
        assert forged.status_code == 401
        assert web.post("/webhooks/moodle", body, {"Content-Type": "application/json"}).status_code == 401

        log = run_worker(env, "cpu")
        assert len(moodle.notes_for(12, 67)) == 1, log[-3000:]
        first_note = moodle.notes_for(12, 67)[0]
        assert first_note.workflowstate == "inmarking" and first_note.grade == "-1"
        assert "1 file analysed" in first_note.text and "compared with 0 other submissions" in first_note.text

        # Pull: everything since 0. 67's upload was already analysed (push); 68 copies
        # 67, so 67's note is refreshed to show it.
        polled = poll_cli(env, "moodle", "--course", "5", "--assignment", "31", "--since", "0")
        assert polled.returncode == 0, polled.stderr
        assert "3 submission(s)" in polled.stdout
        run_worker(env, "cpu")
        for user in (67, 68, 69):
            assert len(moodle.notes_for(12, user)) == 1, user
        statuses = sorted((r["name"], r["status"]) for r in results(conn) if "name" in r)
        assert ("user-67", "duplicate") in statuses
        note67, note68, note69 = (moodle.notes_for(12, u)[0] for u in (67, 68, 69))
        assert "user-68" in note67.text and note67.saves == 2  # refreshed in place, not a second note
        assert "user-67" in note68.text and "highest similarity" in note68.text
        assert "no similarity at or above 0.50" in note69.text
        assert moodle.grades[(12, 68)] == "85.00000" and note68.grade == "85.00000"  # grade unchanged
        assert all(n.workflowstate == "inmarking" for n in (note67, note68, note69))

        # 69 resubmits (same attempt, new time) a copy: the push updates 69's one note.
        moodle.submit(12, 69, {"weather.py": SORT_RENAMED}, sub_id=347, time=t0 + 400)
        body = moodle_event(347, 5, 31, 69, when=t0 + 400)
        resp = web.post("/webhooks/moodle", body, {"X-CodeGuard-Signature": moodle_signature(body)})
        assert resp.status_code == 202, resp.text
        log = run_worker(env, "cpu")
        notes = moodle.notes_for(12, 69)
        assert len(notes) == 1 and notes[0].saves == 2, log[-4000:]
        assert "highest similarity" in notes[0].text and "attempt 1, submitted " in notes[0].text
        assert not FailedJobRegistry("cpu", connection=conn).get_job_ids()
    finally:
        web.stop()


def test_moodle_error_bodies_fail_the_job_visibly_with_admin_messages(
        tmp_path: Path, conn: redis.Redis, moodle: MoodleStandIn) -> None:
    write_course(tmp_path / "courses", "cs101.yml", MOODLE_COURSE)
    moodle.add_assignment(5, 12, 31)
    moodle.submit(12, 67, {"sort.py": SORT}, sub_id=345, time=int(time.time()) - 60)

    # 1. A token Moodle does not know: HTTP 200 + errorcode invalidtoken.
    bad_env = env_for(tmp_path, MOODLE_URL=moodle.url, MOODLE_TOKEN="expired-token")
    polled = poll_cli(bad_env, "moodle", "--course", "5", "--assignment", "31", "--since", "0")
    assert polled.returncode == 2
    assert "invalidtoken" in polled.stderr and "Manage tokens" in polled.stderr
    assert "expired-token" not in polled.stderr + polled.stdout

    web = start_web(bad_env)
    try:
        body = moodle_event(345, 5, 31, 67)
        assert web.post("/webhooks/moodle", body, {"X-CodeGuard-Signature": moodle_signature(body)}).status_code == 202
    finally:
        web.stop()
    log = run_worker(bad_env, "cpu")
    failed = FailedJobRegistry("cpu", connection=conn)
    [job_id] = failed.get_job_ids()
    job = Job.fetch(job_id, connection=conn)
    assert "invalidtoken" in job.meta["error"] and "mod_assign_get_assignments" in job.meta["error"]
    assert "MoodleTokenError" in _exc(job)
    assert job.retries_left == 0  # not retried: only an administrator can fix it
    assert "expired-token" not in log and "expired-token" not in _exc(job)
    assert not moodle.called("POST", "server.php", wsfunction="mod_assign_save_grade")

    # 2. A live token whose user lacks mod/assign:grade: required_capability_exception.
    conn.flushdb()
    moodle.function_errors["mod_assign_save_grade"] = {
        "exception": "required_capability_exception", "errorcode": "nopermissions",
        "message": "Sorry, but you do not currently have permissions to do that (Grade assignment)."}
    env = env_for(tmp_path, MOODLE_URL=moodle.url, MOODLE_TOKEN=moodle.token)
    polled = poll_cli(env, "moodle", "--course", "5", "--assignment", "31", "--since", "0")
    assert polled.returncode == 0, polled.stderr
    run_worker(env, "cpu")
    [job_id] = FailedJobRegistry("cpu", connection=conn).get_job_ids()
    job = Job.fetch(job_id, connection=conn)
    assert "MoodleCapabilityError" in _exc(job)
    assert "mod/assign:grade" in job.meta["error"] and "nopermissions" in job.meta["error"]


def test_moodle_uploads_hostile_zip_refused_tar_7z_notebook_and_windows_text_read(
    tmp_path: Path, conn: redis.Redis, moodle: MoodleStandIn
) -> None:
    write_course(tmp_path / "courses", "cs101.yml", MOODLE_COURSE)
    env = env_for(tmp_path, MOODLE_URL=moodle.url, MOODLE_TOKEN=moodle.token)
    moodle.add_assignment(5, 12, 31)
    now = int(time.time()) - 60
    evil = zip_bytes({"src/ok.py": SORT, "../../etc/cron.d/evil.py": b"print('x')\n"})
    good = zip_bytes({"project/main.py": OWN, "project/libs.zip": zip_bytes({"x.py": b"x = 1\n"})})
    # A notebook over max_file_bytes by its plot output only, and a file saved as Windows-1252.
    plot = {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo" * 60_000}}
    notebook = json.dumps({"nbformat": 4, "metadata": {"kernelspec": {"language": "python"}}, "cells": [
        {"cell_type": "code", "source": SORT.decode(), "outputs": [plot]}]}).encode()  # fmt: skip
    assert len(notebook) > Settings().max_file_bytes
    moodle.submit(12, 70, {"hw.zip": evil}, sub_id=400, time=now)
    moodle.submit(12, 71, {"hw.zip": good}, sub_id=401, time=now)
    moodle.submit(12, 72, {"lab.ipynb": notebook, "notes.py": "# r\u00e9sum\u00e9\nx = 1\n".encode("cp1252")},
                  sub_id=402, time=now)
    # Code pasted into the online-text editor: paragraphs, indentation as non-breaking spaces.
    pasted = "".join(f"<p>{html.escape(line).replace('  ', '&nbsp; ')}</p>\n" for line in SORT.decode().splitlines())
    moodle.submit(12, 73, {}, sub_id=403, time=now, online_text=pasted)
    # A Linux student's tarball and a Windows student's 7z, in one submission.
    moodle.submit(12, 74, {"hw.tar.gz": tar_of({"hw/sort.py": SORT}), "extra.7z": seven_zip_of({"own.py": OWN})},
                  sub_id=404, time=now)
    polled = poll_cli(env, "moodle", "--course", "5", "--assignment", "31", "--since", "0", "--inline")
    assert polled.returncode == 0, polled.stderr
    evil_note = moodle.notes_for(12, 70)[0].text
    assert "archive refused" in evil_note and "path traversal" in evil_note and "0 files analysed" in evil_note
    good_note = moodle.notes_for(12, 71)[0].text
    assert "2 files analysed" in good_note and "hw.zip/project/main.py" in good_note
    assert "hw.zip/project/libs.zip/x.py" in good_note and "Not analysed" not in good_note  # a zip in the zip
    lab_note = moodle.notes_for(12, 72)[0].text
    assert "2 files analysed" in lab_note and "Not analysed" not in lab_note
    pasted_note = moodle.notes_for(12, 73)[0].text
    assert "1 file analysed" in pasted_note and "online text.py" in pasted_note
    assert "highest similarity 1.00" in pasted_note  # the notebook's cell, pasted: the same code
    packed_note = moodle.notes_for(12, 74)[0].text
    assert "2 files analysed" in packed_note and "Not analysed" not in packed_note
    assert "hw.tar.gz/hw/sort.py" in packed_note and "extra.7z/own.py" in packed_note


# ------------------------------------------------------------------------------ Canvas


CANVAS_COURSE = """
platform: canvas
course: 7
languages: [python]
posting: full_while_hidden
assignments:
  "21": {}
  "22": {posting: similarity_only}
"""


def test_canvas_live_events_and_polling_keep_one_comment_per_submission(
        tmp_path: Path, conn: redis.Redis, canvas: CanvasStandIn) -> None:
    write_course(tmp_path / "courses", "canvas.yml", CANVAS_COURSE)
    keys = CanvasKeys(tmp_path)
    env = env_for(tmp_path, CANVAS_URL=canvas.url, CANVAS_TOKEN=canvas.token, CANVAS_JWKS_FILE=str(keys.path))
    canvas.add_assignment(7, 21, post_manually=True)
    canvas.add_assignment(7, 22, post_manually=False)
    canvas.submit(7, 21, 47, {"sort.py": SORT}, attempt=1, submitted_at="2024-06-01T10:00:00Z")
    canvas.submit(7, 21, 48, {"sorting.py": SORT_RENAMED}, attempt=1, submitted_at="2024-06-01T11:00:00Z")
    canvas.submit(7, 22, 47, {"a.py": SORT}, attempt=1, submitted_at="2024-06-01T10:00:00Z")
    pasted = "<p>" + html.escape(SORT_RENAMED.decode()).replace("\n", "<br>").replace("  ", "&nbsp; ") + "</p>"
    canvas.submit(7, 22, 48, {}, attempt=1, submitted_at="2024-06-01T11:00:00Z", body=pasted)  # online text entry
    web = start_web(env)
    try:
        created = canvas_event("submission_created", assignment=21, user=47, attempt=1,
                               submitted_at="2024-06-01T10:00:00.000Z")
        token = keys.sign(created)
        headers = {"Content-Type": "application/jwt"}
        assert web.post("/webhooks/canvas", token, headers).status_code == 202
        assert web.post("/webhooks/canvas", token, headers).json()["status"] == "duplicate"
        # Refused: another key under Canvas's kid, alg none, expired, unsigned JSON.
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        assert web.post("/webhooks/canvas", keys.sign(created, key=other), headers).status_code == 401
        unsigned = jwt.encode(created, None, algorithm="none")
        assert web.post("/webhooks/canvas", unsigned, headers).status_code == 401
        expired = keys.sign({**created, "exp": int(time.time()) - 3600})
        resp = web.post("/webhooks/canvas", expired, headers)
        assert resp.status_code == 401 and "expired" in resp.json()["reason"]
        assert web.post("/webhooks/canvas", json.dumps(created), {"Content-Type": "application/json"}).status_code == 401

        run_worker(env, "cpu")
        sub47 = canvas.subs[(7, 21, 47)]
        assert len(sub47.comments) == 1 and sub47.comments[0]["hidden"] is True

        # Pull both assignments: 47/21 is the same upload as the event (same job id, not
        # run again); 48 copies 47, so 47's comment is edited to show it.
        for assignment in ("21", "22"):
            polled = poll_cli(env, "canvas", "--course", "7", "--assignment", assignment)
            assert polled.returncode == 0, polled.stderr
        run_worker(env, "cpu")
        for key in ((7, 21, 47), (7, 21, 48), (7, 22, 47), (7, 22, 48)):
            assert len(canvas.subs[key].comments) == 1, key
        hidden47 = canvas.subs[(7, 21, 47)].comments[0]
        assert "user-48" in hidden47["comment"] and hidden47.get("edited_at")
        assert "AI-generated risk" in canvas.subs[(7, 21, 48)].comments[0]["comment"]
        # Assignment 22 posts where students read: no AI-risk, no classmates' names.
        visible = canvas.subs[(7, 22, 48)].comments[0]
        assert visible["hidden"] is False
        assert "AI-generated risk" not in visible["comment"] and "user-47" not in visible["comment"]
        assert "another submission of this assignment" in visible["comment"]
        assert "online text.py" in visible["comment"]  # the pasted code was read and matched

        # 48 resubmits (attempt 2): a submission_updated event updates 48's one comment.
        canvas.submit(7, 21, 48, {"sorting.py": OWN}, attempt=2, submitted_at="2024-06-02T09:00:00Z")
        updated = canvas_event("submission_updated", assignment=21, user=48, attempt=2, course=7,
                               submitted_at="2024-06-02T09:00:00Z")
        assert web.post("/webhooks/canvas", keys.sign(updated), headers).status_code == 202
        before = canvas.subs[(7, 21, 48)].comments[0]["comment"]
        run_worker(env, "cpu")
        comments = canvas.subs[(7, 21, 48)].comments
        assert len(comments) == 1 and comments[0]["comment"] != before
        assert "Upload attempt 2, submitted 2024-06-02T09:00:00Z" in comments[0]["comment"]
        assert not FailedJobRegistry("cpu", connection=conn).get_job_ids()
    finally:
        web.stop()


def test_periodic_poll_runs_on_the_workers_and_schedules_its_next_run(
        tmp_path: Path, conn: redis.Redis, moodle: MoodleStandIn) -> None:
    from rq.registry import ScheduledJobRegistry

    write_course(tmp_path / "courses", "cs101.yml", MOODLE_COURSE)
    env = env_for(tmp_path, MOODLE_URL=moodle.url, MOODLE_TOKEN=moodle.token)
    moodle.add_assignment(5, 12, 31)
    moodle.submit(12, 67, {"sort.py": SORT}, sub_id=345, time=int(time.time()) - 60)
    started = poll_cli(env, "moodle", "--course", "5", "--assignment", "31", "--schedule", "900")
    assert started.returncode == 0 and "every 900s" in started.stdout, started.stderr
    run_worker(env, "cpu")
    assert len(moodle.notes_for(12, 67)) == 1  # the poll job queued the analysis, the worker ran it
    [next_run] = ScheduledJobRegistry("cpu", connection=conn).get_job_ids()
    assert next_run.startswith("lms-poll-")
    assert conn.get(f"codeguard:lms:poll:moodle:127.0.0.1:{moodle.server.server_port}/course/5/assign/31")


HISTORY_COURSE = """
platform: moodle
course: 5
languages: [python]
posting: full_while_hidden
author_history: true
assignments:
  "31": {}
  "32": {}
"""


@pytest.mark.slow
@pytest.mark.integration
def test_moodle_author_history_gives_a_second_assignment_its_level_against_the_first(
        tmp_path: Path, conn: redis.Redis, moodle: MoodleStandIn) -> None:
    """With the shipped model: the first upload has no history; the student's second assignment is
    also read against the first; the bot keeps numbers only."""
    if not (ROOT / "models" / "default" / "config.json").is_file():
        pytest.skip("models/default has no trained artifact yet")
    write_course(tmp_path / "courses", "cs101.yml", HISTORY_COURSE)
    env = env_for(tmp_path, MOODLE_URL=moodle.url, MOODLE_TOKEN=moodle.token, CODEGUARD_MODEL="default")
    moodle.add_assignment(5, 12, 31, markingworkflow=True)
    moodle.add_assignment(5, 13, 32, markingworkflow=True)
    t0 = int(time.time()) - 600
    moodle.submit(12, 67, {"weather.py": OWN}, sub_id=345, time=t0)
    assert poll_cli(env, "moodle", "--course", "5", "--assignment", "31", "--since", "0").returncode == 0
    log = run_worker(env, "cpu", timeout=600)
    first = moodle.notes_for(12, 67)
    assert len(first) == 1 and "AI-generated risk" in first[0].text, log[-3000:]
    assert "earlier work" not in first[0].text  # nothing earlier to compare with
    moodle.submit(13, 67, {"sort.py": SORT}, sub_id=346, time=t0 + 100)
    assert poll_cli(env, "moodle", "--course", "5", "--assignment", "32", "--since", "0").returncode == 0
    log = run_worker(env, "cpu", timeout=600)
    (second,) = moodle.notes_for(13, 67)
    assert re.search(r"<td>sort\.py</td><td>(low|medium|high) \(\d\.\d\d\); against the student&#x27;s earlier "
                     r"work: (low|medium|high)</td>", second.text), second.text
    kept = conn.hgetall("codeguard:history:moodle:" + moodle.url.split("://", 1)[1].rstrip("/") + "/course/5:67")
    assert sorted(kept) == [b"31", b"32"]
    for raw in kept.values():
        entry = json.loads(raw)
        assert set(entry) == {"model", "scores", "at"} and list(entry["scores"]) == ["python"]
        assert b"def " not in raw and b".py" not in raw
    assert not FailedJobRegistry("cpu", connection=conn).get_job_ids()
