from __future__ import annotations

from bot.repo_config import RepoConfig, parse


def test_full_config() -> None:
    cfg = parse("""
include: ["src/**"]
exclude: ["src/gen/**", "*.min.js"]
base_code: [starter/]
languages: [python]
thresholds: {similarity: 0.7, ai_risk_high: 0.9, ai_risk_medium: 0.6}
ai_detection: false
ai_explain: false
author_history: true
mode: status
scope: assignment
""")
    assert cfg.errors == ()
    assert cfg.similarity_threshold == 0.7 and cfg.ai_risk_high == 0.9 and not cfg.ai_detection
    assert cfg.mode == "status" and cfg.scope == "assignment" and not cfg.ai_explain and cfg.author_history
    assert cfg.wants("src/a/b.py", "python") is None
    assert "include" in (cfg.wants("tests/t.py", "python") or "")
    assert "excluded" in (cfg.wants("src/gen/x.py", "python") or "")
    assert "language" in (cfg.wants("src/x.java", "java") or "")
    assert cfg.is_base("starter/main.py") and not cfg.is_base("starterkit.py")


def test_defaults_and_errors_never_raise() -> None:
    assert parse(None) == RepoConfig() and parse("") == RepoConfig()
    bad = parse("mode: loud\nthresholds: {similarity: 2, foo: 1}\nai_detection: maybe\nextra: 1\nai_explain: 0\n"
                "author_history: 1\n")
    assert bad.mode == "comment" and bad.similarity_threshold == 0.5 and bad.ai_detection and bad.ai_explain
    assert not bad.author_history and not RepoConfig().author_history  # off unless asked for
    assert len(bad.errors) == 7 and "ai_explain must be true or false" in bad.errors
    assert "not valid YAML at line" in parse("a: [1,\n")  .errors[0]
    assert "mapping" in parse("- 1\n").errors[0]
    half = parse("thresholds: {ai_risk_high: 0.9}")
    assert half.ai_risk_high is None and half.errors
