from __future__ import annotations

import pytest
import redis

from bot.corpus import Corpus, assignment_prefix, scope_for
from bot.queue import ChangeRef
from bot.repo_config import RepoConfig
from ml.submission import SourceFile, Submission


def sub(name: str, text: str) -> Submission:
    return Submission(name, [SourceFile("a.py", "python", text)], author=name)


def test_store_load_replace_and_exclude(conn: redis.Redis) -> None:
    corpus = Corpus(conn, max_submissions=2)
    corpus.store("s", sub("r#1", "x = 1\n"), "a" * 40)
    corpus.store("s", sub("r#2", "y = 2\n"), "b" * 40)
    corpus.store("s", sub("r#1", "x = 3\n"), "c" * 40)  # new commit replaces the old version
    assert corpus.names("s") == ["r#1", "r#2"]
    (other,) = corpus.load("s", exclude="r#2")
    assert other.files[0].text == "x = 3\n" and other.scope == "s"
    assert corpus.meta("s", "r#1").head_sha == "c" * 40  # type: ignore[union-attr]
    corpus.store("s", sub("r#3", "z\n"), "d" * 40)  # over max: the oldest (r#2) goes
    assert corpus.names("s") == ["r#1", "r#3"]
    # Stored compressed, never as plain text.
    assert b"x = 3" not in conn.hget("codeguard:corpus:s", "r#1")  # type: ignore[operator]


def test_feedback_examples(conn: redis.Redis) -> None:
    corpus = Corpus(conn)
    assert corpus.store_feedback("ai", sub("r#1", "x\n"), "r#1", "a" * 40) == 1
    corpus.store_feedback("ai", sub("r#1", "x\n"), "r#1", "a" * 40)
    (example,) = corpus.feedback("ai")
    assert example["label"] == "ai" and example["text"] == "x\n"
    with pytest.raises(ValueError):
        corpus.store_feedback("robot", sub("r#1", "x\n"), "r#1", "a")


def test_scopes() -> None:
    ref = ChangeRef("github", "classroom/hw1-alice", 1, owner="classroom")
    assert scope_for(ref, RepoConfig()) == "github:classroom/hw1-alice"
    assert scope_for(ref, RepoConfig(scope="assignment")) == "github:classroom/hw1-*"
    assert assignment_prefix("org/lab-2-bob") == "lab-2-"
    assert scope_for(ref, RepoConfig(scope="assignment", assignment_prefix="hw")) == "github:classroom/hw*"
