from __future__ import annotations

import re
from dataclasses import replace

from bot import jobs
from bot.queue import work_key
from bot.repo_config import RepoConfig
from bot.settings import Settings
from ml.submission import SourceFile, Submission

CODE = """
def fibonacci(n):
    a, b = 0, 1
    values = []
    for _ in range(n):
        values.append(a)
        a, b = b, a + b
    return values


def total(items):
    result = 0
    for item in items:
        if item > 0:
            result += item
    return result
"""


def test_work_key_is_a_valid_unique_job_id() -> None:
    key = work_key("github", "my.org/repo name", 12, "a" * 40, "v1")
    assert re.fullmatch(r"[A-Za-z0-9_-]+", key)
    assert key != work_key("github", "my.org/repo name", 12, "a" * 40, "v2")
    assert key != work_key("github", "my_org/repo name", 12, "a" * 40, "v1")  # same slug, other repo


def test_model_switch(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert jobs.load_model(Settings(model="none")) is None
    # A missing artifact degrades to structural analysis instead of failing every job.
    assert jobs.load_model(Settings(model=str(tmp_path / "absent"))) is None


def test_a_broken_encoder_degrades_at_load_even_where_the_ai_score_needs_none(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An encoder-free model scores without its encoder, but jobs need embeddings: a backbone that
    cannot load must show at load (structural analysis, a warning), not fail each job."""
    import shutil

    from ml.evidence import PATHS
    from ml.inference import CodeDetectorInference, clear_cache
    from tests.ml.conftest import make_tiny_model, zero_encoder_path

    d = make_tiny_model(tmp_path, evidence=PATHS)
    zero_encoder_path(d, 0.0)
    shutil.rmtree(tmp_path / "tiny-backbone")  # the saved model's base encoder is gone
    assert CodeDetectorInference(d).score([CODE], ["python"]).shape == (1,)  # the AI score alone still works
    jobs._model.clear()
    clear_cache()
    try:
        assert jobs.load_model(Settings(model=str(d))) is None
    finally:
        jobs._model.clear()
        clear_cache()


def test_run_analysis_keeps_only_the_target_with_relative_paths() -> None:
    target = Submission("org/r#2", [SourceFile("src/f.py", "python", "# mine\n" + CODE)])
    other = Submission("org/r#1", [SourceFile("f.py", "python", CODE)])
    third = Submission("org/r#3", [SourceFile("g.py", "python", CODE)])
    report = jobs.run_analysis(target, [other, third], [], RepoConfig(), Settings(model="none"))
    assert [f.path for f in report.files] == ["src/f.py"]
    assert {(p.a, p.b) for p in report.pairs} <= {("org/r#2", "org/r#1"), ("org/r#1", "org/r#2"),
                                                  ("org/r#2", "org/r#3"), ("org/r#3", "org/r#2")}
    assert len(report.pairs) == 2 and all(p.similarity > 0.5 for p in report.pairs)
    frag = report.pairs[0].fragments[0]
    ours = frag.a_path if report.pairs[0].a == "org/r#2" else frag.b_path
    assert ours == "src/f.py"


def test_run_analysis_explains_the_targets_high_files_unless_switched_off(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ml.evidence import PATHS
    from ml.inference import clear_cache
    from tests.ml.conftest import make_tiny_model, tiny_evidence_rows

    d = make_tiny_model(tmp_path, evidence=PATHS)
    codes = tiny_evidence_rows()[0]  # even rows human-like, odd rows generator-like
    target = Submission("org/r#2", [SourceFile("A.java", "java", codes[1]), SourceFile("B.java", "java", codes[0])])
    other = Submission("org/r#1", [SourceFile("C.java", "java", codes[3])])
    jobs._model.clear()
    clear_cache()
    try:
        report = jobs.run_analysis(target, [other], [], RepoConfig(), Settings(model=str(d)))
        levels = {f.path: f.risk_level for f in report.files}
        assert levels == {"A.java": "high", "B.java": "low"}
        explained = {f.path for f in report.files if f.explanation}
        assert explained == {"A.java"} and report.files[0].explanation["lines"]  # type: ignore[index]
        off = jobs.run_analysis(target, [other], [], RepoConfig(ai_explain=False), Settings(model=str(d)))
        assert all(f.explanation is None for f in off.files)
    finally:
        jobs._model.clear()
        clear_cache()


def test_a_pr_authors_history_is_kept_per_repository_or_per_classroom_organisation(conn) -> None:  # type: ignore[no-untyped-def]
    from bot.queue import ChangeRef

    ref = ChangeRef("github", "org/hw1-alice", 5, owner="org")
    assert jobs._author_history(conn, ref, RepoConfig(), "alice") is None  # off by default
    on = RepoConfig(author_history=True)
    assert jobs._author_history(conn, ref, replace(on, ai_detection=False), "alice") is None
    assert jobs._author_history(conn, ref, on, "") is None  # no author, no history
    own = jobs._author_history(conn, ref, on, "alice")
    assert own is not None and (own.scope, own.author, own.work) == ("github:org/hw1-alice", "alice", ref.label)
    classroom = jobs._author_history(conn, ref, replace(on, scope="assignment"), "alice")
    assert classroom is not None and classroom.scope == "github:org"
