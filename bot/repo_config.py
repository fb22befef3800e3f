"""Per-repository `.codeguard.yml`, read from the default branch.

Read from the default branch, never from the PR head, so a pull request cannot switch
off its own check. Unknown keys and wrong types are errors reported in the comment (the
maintainer sees them) while analysis continues with the defaults for those keys.

```yaml
include: ["src/**"]            # only these paths (default: everything)
exclude: ["tests/fixtures/**"]  # never these (added to the built-in vendored/generated rules)
base_code: ["starter/"]         # template code given to everyone: matches inside it are ignored
languages: [python, java]       # only these languages (default: all recognised)
thresholds: {similarity: 0.6, ai_risk_high: 0.8, ai_risk_medium: 0.5}  # AI: default = the model's calibration
ai_detection: true              # false: similarity only
ai_explain: true                # false: no "why" line (line numbers, style habits) under high-risk files
author_history: false           # true: also each file's level against the PR author's earlier PRs here
mode: comment                   # comment | status (status only: no PR comment)
scope: repository               # repository | assignment (GitHub Classroom: same org + prefix)
assignment_prefix: ""           # e.g. "hw1-" (defaults to the repo name up to its last "-")
```
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

import yaml

CONFIG_PATH = ".codeguard.yml"
MODES = ("comment", "status")
SCOPES = ("repository", "assignment")


@dataclass(frozen=True)
class RepoConfig:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    base_code: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    similarity_threshold: float = 0.5
    # None: use the model's calibrated thresholds (models/<m>/thresholds.json).
    ai_risk_high: float | None = None
    ai_risk_medium: float | None = None
    ai_detection: bool = True
    ai_explain: bool = True
    author_history: bool = False
    mode: str = "comment"
    scope: str = "repository"
    assignment_prefix: str = ""
    errors: tuple[str, ...] = field(default=(), compare=False)

    def wants(self, path: str, language: str | None) -> str | None:
        """None if the file is analysed, else the reason it is skipped."""
        if self.include and not any(_match(path, g) for g in self.include):
            return "not matched by include in .codeguard.yml"
        if any(_match(path, g) for g in self.exclude):
            return "excluded by .codeguard.yml"
        if self.languages and (language or "").lower() not in {lang.lower() for lang in self.languages}:
            return f"language {language or 'unknown'} not enabled in .codeguard.yml"
        return None

    def is_base(self, path: str) -> bool:
        return any(_match(path, g) or path.startswith(g.rstrip("/") + "/") for g in self.base_code)


def _match(path: str, pattern: str) -> bool:
    # fnmatch's "*" crosses "/", so "src/**" and "src/*" both cover nested files; a
    # pattern with no "/" also matches the file name anywhere ("*.min.js").
    if fnmatch.fnmatchcase(path, pattern):
        return True
    if pattern.endswith("/**") and path.startswith(pattern[:-3] + "/"):
        return True
    return "/" not in pattern and fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], pattern)


def _str_list(value: Any, key: str, errors: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.append(f"{key} must be a list of strings")
        return ()
    return tuple(value)


def _unit(value: Any, key: str, default: float | None, errors: list[str]) -> float | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        errors.append(f"{key} must be a number between 0 and 1")
        return default
    return float(value)


def _flag(value: Any, key: str, errors: list[str], default: bool = True) -> bool:
    if not isinstance(value, bool):
        errors.append(f"{key} must be true or false")
        return default
    return value


def parse(text: str | None) -> RepoConfig:
    """Parse the file's text (None: no file). Never raises; problems go to `errors`."""
    if text is None or not text.strip():
        return RepoConfig()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        return RepoConfig(errors=(f"{CONFIG_PATH} is not valid YAML{where}; using defaults",))
    if data is None:
        return RepoConfig()
    if not isinstance(data, dict):
        return RepoConfig(errors=(f"{CONFIG_PATH} must be a mapping; using defaults",))
    errors: list[str] = []
    known = {"include", "exclude", "base_code", "languages", "thresholds", "ai_detection", "ai_explain",
             "author_history", "mode", "scope", "assignment_prefix"}
    for key in sorted(set(map(str, data)) - known):
        errors.append(f"unknown key {key!r}")
    thresholds = data.get("thresholds") or {}
    if not isinstance(thresholds, dict):
        errors.append("thresholds must be a mapping")
        thresholds = {}
    for key in sorted(set(map(str, thresholds)) - {"similarity", "ai_risk_high", "ai_risk_medium"}):
        errors.append(f"unknown threshold {key!r}")
    ai = _flag(data.get("ai_detection", True), "ai_detection", errors)
    explain = _flag(data.get("ai_explain", True), "ai_explain", errors)
    history = _flag(data.get("author_history", False), "author_history", errors, default=False)
    mode = data.get("mode", "comment")
    if mode not in MODES:
        errors.append(f"mode must be one of {', '.join(MODES)}")
        mode = "comment"
    scope = data.get("scope", "repository")
    if scope not in SCOPES:
        errors.append(f"scope must be one of {', '.join(SCOPES)}")
        scope = "repository"
    prefix = data.get("assignment_prefix", "")
    if not isinstance(prefix, str):
        errors.append("assignment_prefix must be a string")
        prefix = ""
    high = _unit(thresholds.get("ai_risk_high"), "thresholds.ai_risk_high", None, errors)
    medium = _unit(thresholds.get("ai_risk_medium"), "thresholds.ai_risk_medium", None, errors)
    if (high is None) != (medium is None):
        errors.append("thresholds.ai_risk_high and ai_risk_medium must be set together")
        high = medium = None
    elif high is not None and medium is not None and medium > high:
        errors.append("thresholds.ai_risk_medium must not exceed ai_risk_high")
        high = medium = None
    return RepoConfig(
        include=_str_list(data.get("include"), "include", errors),
        exclude=_str_list(data.get("exclude"), "exclude", errors),
        base_code=_str_list(data.get("base_code"), "base_code", errors),
        languages=_str_list(data.get("languages"), "languages", errors),
        similarity_threshold=_unit(thresholds.get("similarity"), "thresholds.similarity", 0.5, errors) or 0.0,
        ai_risk_high=high,
        ai_risk_medium=medium,
        ai_detection=ai,
        ai_explain=explain,
        author_history=history,
        mode=mode,
        scope=scope,
        assignment_prefix=prefix,
        errors=tuple(errors),
    )
