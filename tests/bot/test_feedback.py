"""The feedback store: dedupe by content, relabels, the JSONL snapshot, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis

from bot.cli import main
from bot.feedback import ITEMS_KEY, FeedbackError, FeedbackExample, FeedbackStore, example_id, normalise
from tests.e2e.helpers import REDIS_URL

CODE = "def f(x):\n    return x + 1\n"


def test_dedupe_by_content_and_relabel(conn: redis.Redis, tmp_path: Path) -> None:
    store = FeedbackStore(conn, tmp_path)
    r = store.add([FeedbackExample(CODE, "python", "ai", who="a", where="github:o/r#1", path="f.py"),
                   FeedbackExample(CODE.replace("\n", "\r\n") + "\n\n", "Python", "ai", who="b", where="github:o/r#2"),
                   FeedbackExample("int main(){}\n", "c", "human", who="a", where="moodle:c/1")])
    assert (r.added, r.relabelled, r.unchanged) == (2, 0, 0)  # CRLF + trailing blank lines: same file
    assert store.counts() == {"ai": 1, "human": 1}
    assert store.add([FeedbackExample(CODE, "python", "ai", who="c")]).unchanged == 1
    flip = store.add([FeedbackExample(CODE, "python", "human", who="teacher", where="github:o/r#3")])
    assert flip.relabelled == 1 and store.counts() == {"ai": 0, "human": 2}
    (ex,) = [e for e in store.examples() if e.language == "python"]
    assert ex.who == "teacher" and ex.previous[-1]["label"] == "ai" and ex.id == example_id(CODE, "python")
    assert len(conn.hkeys(ITEMS_KEY)) == 2
    # Stored compressed: the code is not readable in Redis as plain text.
    assert b"return x + 1" not in b"".join(conn.hvals(ITEMS_KEY))


def test_snapshot_survives_a_lost_redis(conn: redis.Redis, tmp_path: Path) -> None:
    store = FeedbackStore(conn, tmp_path)
    store.add([FeedbackExample(CODE, "python", "ai", who="a", where="w")])
    rows = [json.loads(line) for line in (tmp_path / "feedback.jsonl").read_text().splitlines()]
    assert len(rows) == 1 and rows[0]["code"] == CODE and rows[0]["who"] == "a"
    conn.flushdb()
    (back,) = store.examples()  # restored from the snapshot on first read
    assert back.code == CODE and back.label == "ai" and back.who == "a"


def test_bad_examples_are_refused_before_anything_is_written(conn: redis.Redis, tmp_path: Path) -> None:
    store = FeedbackStore(conn, tmp_path)
    with pytest.raises(FeedbackError, match="label must be"):
        store.add([FeedbackExample(CODE, "python", "ai"), FeedbackExample(CODE, "python", "robot")])
    with pytest.raises(FeedbackError, match="no code"):
        store.add([FeedbackExample("  \n", "python", "ai")])
    with pytest.raises(FeedbackError, match="no language"):
        store.add([FeedbackExample(CODE, "", "ai")])
    assert store.examples() == [] and not (tmp_path / "feedback.jsonl").exists()
    assert normalise("a \r\nb\t\n\n") == "a\nb\n"


def test_cli_add_list_export_import(conn: redis.Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CODEGUARD_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("CODEGUARD_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.delenv("CODEGUARD_FEEDBACK_DIR", raising=False)
    case = tmp_path / "case"
    case.mkdir()
    (case / "solution.py").write_text(CODE)
    (case / "Main.java").write_text("class Main { }\n")
    (case / "notes.unknownext").write_text("hello")
    assert main(["feedback", "add", str(case), "--label", "ai", "--who", "prof", "--where", "moodle:CS1/hw3/s42"]) == 0
    out = capsys.readouterr()
    assert "2 added" in out.out and "unknown language" in out.err
    assert main(["feedback", "list"]) == 0
    listing = capsys.readouterr().out
    assert "moodle:CS1/hw3/s42" in listing and "prof" in listing and "return x" not in listing
    assert (tmp_path / "models" / "feedback" / "feedback.jsonl").is_file()
    exported = tmp_path / "out.jsonl"
    assert main(["feedback", "export", "--out", str(exported)]) == 0
    assert [json.loads(x)["label"] for x in exported.read_text().splitlines()] == ["ai", "ai"]
    conn.flushdb()
    (tmp_path / "models" / "feedback" / "feedback.jsonl").unlink()
    assert main(["feedback", "import", str(exported)]) == 0
    assert "2 added" in capsys.readouterr().out
    assert main(["feedback", "add", str(tmp_path / "nope"), "--label", "ai"]) == 2
    assert "no such file" in capsys.readouterr().err
