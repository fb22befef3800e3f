"""A student's earlier scores: numbers only, one entry per assignment, the serving model's only,
and levels against them from the detector that scored the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis

from bot.history import AuthorHistory, with_relative
from ml.submission import FileRisk, Report

COURSE = "moodle:lms.example.edu/course/5"


def test_one_entry_per_assignment_of_the_serving_model_without_code(conn: redis.Redis) -> None:
    h = AuthorHistory(conn)
    files = [FileRisk("secret_name.py", "python", 0.2, "low"), FileRisk("b.py", "python", 0.4, "low"),
             FileRisk("C.java", "java", 0.9, "medium"), FileRisk("notes.txt", "text", None, None)]
    assert h.record(COURSE, "67", "31", "v1", files) == 3
    assert h.record(COURSE, "67", "32", "v1", [FileRisk("d.py", "python", 0.3, "low")]) == 1
    assert h.record(COURSE, "67", "33", "v0", [FileRisk("e.py", "python", 0.99, "high")]) == 1  # older model
    assert sorted(h.scores(COURSE, "67", "v1", "python", exclude_work="40")) == [0.2, 0.3, 0.4]
    assert h.scores(COURSE, "67", "v1", "python", exclude_work="31") == [0.3]  # never its own assignment
    assert h.scores(COURSE, "67", "v1", "java", exclude_work="32") == [0.9]
    assert h.scores(COURSE, "68", "v1", "python", exclude_work="40") == []  # another student
    assert h.scores("canvas:x/course/5", "67", "v1", "python", exclude_work="40") == []  # another course
    # A re-upload replaces its assignment's entry; one with nothing scored removes it.
    h.record(COURSE, "67", "31", "v1", [FileRisk("a.py", "python", 0.5, "low")])
    assert sorted(h.scores(COURSE, "67", "v1", "python", exclude_work="40")) == [0.3, 0.5]
    assert h.record(COURSE, "67", "32", "v1", [FileRisk("notes.txt", "text", None, None)]) == 0
    assert h.scores(COURSE, "67", "v1", "python", exclude_work="40") == [0.5]
    for raw in conn.hgetall(AuthorHistory.key(COURSE, "67")).values():  # numbers only: no paths, no code
        entry = json.loads(raw)
        assert set(entry) == {"model", "scores", "at"} and b"secret_name" not in raw and b".py" not in raw
    assert h.forget(COURSE, "67") and not conn.exists(AuthorHistory.key(COURSE, "67"))


def test_relative_levels_come_from_the_detector_against_its_own_version(tmp_path: Path) -> None:
    from ml.inference import CodeDetectorInference
    from tests.ml.conftest import make_tiny_model, with_relative_levels

    d = make_tiny_model(tmp_path / "tiny")
    report = Report(files=[FileRisk("a.py", "python", 0.8, "medium"), FileRisk("B.java", "java", 0.7, "low"),
                           FileRisk("c.txt", "text", None, None)])
    asked: list[tuple[str, str]] = []

    def history(model: str, language: str) -> list[float]:
        asked.append((model, language))
        return [0.1, 0.2] if language == "python" else []

    det = CodeDetectorInference(d)
    assert with_relative(report, det, history) == 0 and not asked  # no relative calibration: nothing
    det = CodeDetectorInference(with_relative_levels(d, tmp_path / "m")[0])
    assert with_relative(report, det, history) == 1
    assert asked == [(det.model_version, "python"), (det.model_version, "java")]
    a, b, c = report.files
    expected = det.relative_score(0.8, [0.1, 0.2])
    assert (a.relative_score, a.relative_level) == (expected["relative_score"], expected["relative_level"])
    assert b.relative_level is None and c.relative_level is None
    assert set(report.to_dict()["files"][0]) >= {"relative_score", "relative_level"}
    assert "relative_level" not in report.to_dict()["files"][1]


def test_lms_history_command_shows_and_forgets_one_student(
        conn: redis.Redis, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main
    from tests.e2e.helpers import REDIS_URL

    monkeypatch.setenv("CODEGUARD_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("MOODLE_URL", "https://lms.example.edu/")
    monkeypatch.delenv("CODEGUARD_LMS_CONFIG", raising=False)
    AuthorHistory(conn).record(COURSE, "67", "31", "v1", [FileRisk("a.py", "python", 0.25, "low")])
    args = ["lms", "history", "moodle", "--course", "5", "--user", "67"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"{COURSE}: user 67, 1 assignment(s)" in out and "assignment 31: model v1" in out and "0.25" in out
    assert main([*args, "--forget"]) == 0
    assert "forgot user 67 (1 assignment(s))" in capsys.readouterr().out
    assert not conn.exists(AuthorHistory.key(COURSE, "67"))
    assert main(args) == 0 and "nothing kept for user 67" in capsys.readouterr().out
    monkeypatch.delenv("MOODLE_URL")
    assert main(args) == 2 and "MOODLE_URL is not set" in capsys.readouterr().err
