"""The prediction log: what is logged (and what never is), and the per-version report."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from bot import predictions
from bot.cli import main
from bot.feedback import FeedbackExample
from ml.submission import FileRisk
from tests.e2e.helpers import REDIS_URL


def test_record_logs_scores_and_no_paths_or_code(conn: redis.Redis) -> None:
    files = [FileRisk("src/secret_name.py", "python", 0.91, "high"), FileRisk("b.c", "c", 0.2, "low"),
             FileRisk("c.txt", "text", None, None)]
    assert predictions.record(conn, "v0002", "github:o/r#4", files, head_sha="a" * 40) == 2
    assert predictions.record(conn, "v0002", "github:o/r#5", [FileRisk("x", "c", None, None)]) == 0
    (entry,) = predictions.entries(conn)
    assert entry["version"] == "v0002" and entry["key"] == "github:o/r#4" and entry["head"] == "a" * 40
    assert [(f["s"], f["l"], f["lang"]) for f in entry["files"]] == [(0.91, "high", "python"), (0.2, "low", "c")]
    raw = b"".join(v for _, fields in conn.xrange(predictions.STREAM_KEY) for v in fields.values())
    assert b"secret_name" not in raw


def test_report_per_version_and_on_later_labels() -> None:
    log = []
    for i in range(10):
        log.append({"version": "v0001", "key": f"github:o/r#{i}", "at": float(i),
                    "files": [{"f": predictions.path_digest("a.py"), "lang": "python", "s": i / 10 + 0.05,
                               "l": "high" if i >= 9 else "low"}]})
    log.append({"version": "v0002", "key": "github:o/r#99", "at": 20.0,
                "files": [{"f": predictions.path_digest("a.py"), "lang": "python", "s": 0.95, "l": "high"}]})
    fb = [FeedbackExample("x", "python", "ai" if i >= 5 else "human", path="a.py", submission_key=f"github:o/r#{i}")
          for i in range(10)]
    rep = predictions.report(log, fb)
    v1 = rep["v0001"]
    assert v1["files"] == 10 and v1["submissions"] == 10 and v1["mean"] == pytest.approx(0.5)
    assert v1["histogram"] == [1] * 10 and v1["levels"] == {"low": 9, "high": 1}
    assert v1["labelled"] == {"files": 10, "ai": 5, "human": 5, "roc_auc": 1.0}
    assert rep["v0002"]["labelled"]["files"] == 0 and rep["v0002"]["histogram"][9] == 1
    text = predictions.format_report(rep)
    assert "v0001: 10 files in 10 submissions" in text and "ROC-AUC 1.000" in text
    assert predictions.format_report({}) == "no predictions logged yet"


def test_models_report_command(conn: redis.Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CODEGUARD_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("CODEGUARD_MODELS_DIR", str(tmp_path))
    predictions.record(conn, "v0003", "github:o/r#1", [FileRisk("a.py", "python", 0.42, "medium")])
    assert main(["models", "report"]) == 0
    out = capsys.readouterr().out
    assert "v0003: 1 files in 1 submissions; mean 0.420" in out and "medium 1" in out
