"""Per-course LMS configuration and the LMS secrets, kept apart on purpose.

Course files are written by instructors and can sit in a repository: they say which
assignments are analysed, in which languages, with which thresholds, what may be posted
where the student can read it, and where the starter code lives. They never hold a
secret; a course that needs its own token names the *variable* that holds it
(`token_env`). Secrets come from the environment or from a secrets file
(`CODEGUARD_SECRETS_FILE`, `KEY=value` lines or a YAML mapping, readable by the bot
only) and are wrapped in `Secret`, whose repr and str are redacted, so a stray log line
or traceback never prints one.

`CODEGUARD_LMS_CONFIG` points at one YAML file or a directory of them (`*.yml`,
`*.yaml`); each file is one course:

```yaml
platform: moodle                  # moodle | canvas
course: "5"                       # the course id (Moodle course id / Canvas course id)
languages: [python]               # default for every assignment (default: all recognised)
thresholds: {similarity: 0.5, ai_risk_high: 0.8, ai_risk_medium: 0.5}
ai_detection: true
author_history: false             # true: also each file's level against the student's earlier work
posting: similarity_only          # similarity_only | full_while_hidden | link_only | none
token_env: MOODLE_TOKEN_CS101     # optional: this course's token lives in this variable
archives: {max_bytes: 20000000, max_files: 200}
text_as: python                   # optional: .txt uploads are code in this language (if they parse)
assignments:
  "31":                           # Moodle: the course-module id (mod/assign/view.php?id=31)
    languages: [python]           # Canvas: the assignment id in its URL
    template_dirs: [/srv/codeguard/templates/cs101-hw1]
    earlier_offerings: ["moodle:moodle.example.edu/course/3/assign/17"]
    posting: full_while_hidden    # any course-level key may be overridden per assignment
```
Unknown keys and wrong types are errors (`LmsConfigError`, one line naming the file and
the key): unlike a repository's `.codeguard.yml`, nobody would see a warning in a note.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.archive import ArchiveLimits
from bot.repo_config import RepoConfig
from ml.languages import canonical_name, known_language

PLATFORMS = ("moodle", "canvas")
#: What a note may contain where the student can read it (see docs/LMS.md).
#: - similarity_only: matches only, never the AI-risk number (default);
#: - full_while_hidden: everything while the note is hidden from the student (Moodle
#:   marking workflow "inmarking"; Canvas manual post policy, grades unposted),
#:   otherwise similarity only;
#: - link_only: only a link to the instructor-side HTML report;
#: - none: post nothing; the report stays instructor-side.
POSTING_POLICIES = ("similarity_only", "full_while_hidden", "link_only", "none")
_COURSE_KEYS = {"platform", "course", "base_url", "languages", "thresholds", "ai_detection", "author_history",
                "posting", "token_env", "archives", "assignments", "include", "exclude", "text_as"}
_ASSIGNMENT_KEYS = {"languages", "thresholds", "ai_detection", "author_history", "posting", "template_dirs",
                    "earlier_offerings", "include", "exclude", "name", "text_as"}


class LmsConfigError(ValueError):
    """A course file or LMS secret that the operator must fix; the message is one line."""


class Secret:
    """A secret value that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))


@dataclass(frozen=True)
class AssignmentConfig:
    """Everything one assignment's analysis needs, course defaults already applied."""

    platform: str
    course: str
    assignment: str
    name: str = ""
    languages: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    similarity_threshold: float = 0.5
    ai_risk_high: float | None = None
    ai_risk_medium: float | None = None
    ai_detection: bool = True
    author_history: bool = False  # bot.history: each student's earlier scores, levels against them
    posting: str = "similarity_only"
    template_dirs: tuple[str, ...] = ()
    earlier_offerings: tuple[str, ...] = ()
    archive_limits: ArchiveLimits = field(default_factory=ArchiveLimits)
    token_env: str | None = None
    text_as: str | None = None  # the language of .txt uploads, where a course asks for code as .txt

    def repo_config(self) -> RepoConfig:
        """The same knobs as a RepoConfig, for the shared file rules and risk levels."""
        return RepoConfig(include=self.include, exclude=self.exclude, languages=self.languages,
                          similarity_threshold=self.similarity_threshold, ai_risk_high=self.ai_risk_high,
                          ai_risk_medium=self.ai_risk_medium, ai_detection=self.ai_detection)

    def wants(self, path: str, language: str | None) -> str | None:
        """None if the file is analysed, else the reason (worded for the course file)."""
        reason = self.repo_config().wants(path, language)
        return reason.replace(".codeguard.yml", "the course configuration") if reason else None


@dataclass(frozen=True)
class CourseConfig:
    platform: str
    course: str
    source: str  # the file it came from, for messages
    defaults: dict[str, Any]
    assignments: dict[str, dict[str, Any]]
    base_url: str | None = None
    token_env: str | None = None

    def assignment(self, assignment: str) -> AssignmentConfig | None:
        """The resolved settings of one assignment, or None when it is not configured."""
        own = self.assignments.get(str(assignment))
        if own is None:
            return None
        merged = {**self.defaults, **own}
        thresholds = {**(self.defaults.get("thresholds") or {}), **(own.get("thresholds") or {})}
        archives = merged.get("archives") or {}
        return AssignmentConfig(
            platform=self.platform,
            course=self.course,
            assignment=str(assignment),
            name=str(merged.get("name", "")),
            languages=tuple(merged.get("languages") or ()),
            include=tuple(merged.get("include") or ()),
            exclude=tuple(merged.get("exclude") or ()),
            similarity_threshold=float(thresholds.get("similarity", 0.5)),
            ai_risk_high=_opt_float(thresholds.get("ai_risk_high")),
            ai_risk_medium=_opt_float(thresholds.get("ai_risk_medium")),
            ai_detection=bool(merged.get("ai_detection", True)),
            author_history=bool(merged.get("author_history", False)),
            posting=str(merged.get("posting", "similarity_only")),
            template_dirs=tuple(own.get("template_dirs") or ()),
            earlier_offerings=tuple(own.get("earlier_offerings") or ()),
            archive_limits=ArchiveLimits(**{k: int(v) for k, v in archives.items()}),
            token_env=self.token_env,
            text_as=merged.get("text_as"),
        )


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


# ------------------------------------------------------------------------------ parsing


def _check_str_list(value: Any, where: str) -> None:
    if isinstance(value, str):
        raise LmsConfigError(f"{where} must be a list of strings (write [{value!r}])")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LmsConfigError(f"{where} must be a list of strings")


def _check_common(data: Mapping[str, Any], where: str) -> None:
    for key in ("languages", "include", "exclude", "template_dirs", "earlier_offerings"):
        if key in data and data[key] is not None:
            _check_str_list(data[key], f"{where}: {key}")
    for key in ("ai_detection", "author_history"):
        if key in data and not isinstance(data[key], bool):
            raise LmsConfigError(f"{where}: {key} must be true or false")
    if "posting" in data and data["posting"] not in POSTING_POLICIES:
        raise LmsConfigError(f"{where}: posting must be one of {', '.join(POSTING_POLICIES)}")
    thresholds = data.get("thresholds")
    if thresholds is not None:
        if not isinstance(thresholds, dict):
            raise LmsConfigError(f"{where}: thresholds must be a mapping")
        for key, value in thresholds.items():
            if key not in ("similarity", "ai_risk_high", "ai_risk_medium"):
                raise LmsConfigError(f"{where}: unknown threshold {key!r}")
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise LmsConfigError(f"{where}: thresholds.{key} must be a number between 0 and 1")
        if ("ai_risk_high" in thresholds) != ("ai_risk_medium" in thresholds):
            raise LmsConfigError(f"{where}: thresholds.ai_risk_high and ai_risk_medium must be set together")
        if "ai_risk_high" in thresholds and thresholds["ai_risk_medium"] > thresholds["ai_risk_high"]:
            raise LmsConfigError(f"{where}: thresholds.ai_risk_medium must not exceed ai_risk_high")
    if data.get("text_as") is not None and not (isinstance(data["text_as"], str) and known_language(data["text_as"])):
        raise LmsConfigError(f"{where}: text_as must name a language (python, java, cpp, ...)")
    archives = data.get("archives")
    if archives is not None:
        if not isinstance(archives, dict):
            raise LmsConfigError(f"{where}: archives must be a mapping")
        for key, value in archives.items():
            if key not in ArchiveLimits.__dataclass_fields__:
                raise LmsConfigError(f"{where}: unknown archives key {key!r}")
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise LmsConfigError(f"{where}: archives.{key} must be a positive integer")


def _check_text_as(merged: Mapping[str, Any], where: str) -> None:
    """A .txt read as a language the assignment does not analyse would only ever be skipped."""
    text_as, languages = merged.get("text_as"), merged.get("languages")
    if text_as and languages and canonical_name(text_as) not in {canonical_name(lang) for lang in languages}:
        raise LmsConfigError(f"{where}: text_as {text_as!r} is not among its languages ({', '.join(languages)})")


def parse_course(text: str, source: str = "<course config>") -> CourseConfig:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise LmsConfigError(f"{source}: not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise LmsConfigError(f"{source}: must be a mapping")
    unknown = sorted(set(map(str, data)) - _COURSE_KEYS)
    if unknown:
        raise LmsConfigError(f"{source}: unknown key {unknown[0]!r}")
    platform = data.get("platform")
    if platform not in PLATFORMS:
        raise LmsConfigError(f"{source}: platform must be one of {', '.join(PLATFORMS)}")
    course = data.get("course")
    if isinstance(course, bool) or not isinstance(course, int | str) or not str(course).strip():
        raise LmsConfigError(f"{source}: course must be the course id")
    _check_common(data, source)
    if "token_env" in data and not (isinstance(data["token_env"], str) and data["token_env"].isidentifier()):
        raise LmsConfigError(f"{source}: token_env must name an environment variable (not hold the token)")
    assignments = data.get("assignments")
    if not isinstance(assignments, dict) or not assignments:
        raise LmsConfigError(f"{source}: assignments must map assignment ids to their settings")
    resolved: dict[str, dict[str, Any]] = {}
    for key, value in assignments.items():
        where = f"{source}: assignments.{key}"
        value = value or {}
        if not isinstance(value, dict):
            raise LmsConfigError(f"{where} must be a mapping")
        extra = sorted(set(map(str, value)) - _ASSIGNMENT_KEYS)
        if extra:
            raise LmsConfigError(f"{where}: unknown key {extra[0]!r}")
        _check_common(value, where)
        _check_text_as({**data, **value}, where)
        resolved[str(key)] = dict(value)
    defaults = {k: v for k, v in data.items() if k not in ("platform", "course", "assignments", "base_url",
                                                            "token_env")}
    base_url = data.get("base_url")
    return CourseConfig(platform=str(platform), course=str(course), source=source, defaults=defaults,
                        assignments=resolved, base_url=str(base_url).rstrip("/") if base_url else None,
                        token_env=data.get("token_env"))


class CourseRegistry:
    """All course files under `CODEGUARD_LMS_CONFIG`, re-read when a file changes.

    The web app asks it on every delivery (is this assignment configured?) and so do the
    jobs; re-reading on a changed mtime means an instructor's edit needs no restart.
    """

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        self._stamp: tuple[tuple[str, float], ...] | None = None
        self._courses: list[CourseConfig] = []

    def _files(self) -> list[Path]:
        if self.path is None:
            return []
        if self.path.is_dir():
            return sorted(p for p in self.path.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())
        if self.path.is_file():
            return [self.path]
        raise LmsConfigError(f"CODEGUARD_LMS_CONFIG {self.path}: no such file or directory")

    def courses(self) -> list[CourseConfig]:
        files = self._files()
        stamp = tuple((str(p), p.stat().st_mtime) for p in files)
        with self._lock:
            if stamp != self._stamp:
                courses = [parse_course(p.read_text(encoding="utf-8"), str(p)) for p in files]
                seen: set[tuple[str, str]] = set()
                for c in courses:
                    if (c.platform, c.course) in seen:
                        raise LmsConfigError(f"{c.source}: course {c.platform} {c.course} is configured twice")
                    seen.add((c.platform, c.course))
                self._courses, self._stamp = courses, stamp
            return list(self._courses)

    def course(self, platform: str, course: str) -> CourseConfig | None:
        return next((c for c in self.courses() if c.platform == platform and c.course == str(course)), None)

    def assignment(self, platform: str, course: str, assignment: str) -> AssignmentConfig | None:
        found = self.course(platform, course)
        return found.assignment(str(assignment)) if found else None

    def find_assignment(self, platform: str, assignment: str) -> AssignmentConfig | None:
        """The assignment by id alone (Canvas Live Events for new submissions carry no course)."""
        for c in self.courses():
            if c.platform == platform and str(assignment) in c.assignments:
                return c.assignment(str(assignment))
        return None


# ------------------------------------------------------------------------------ secrets and URLs


def _read_secrets_file(path: str) -> dict[str, str]:
    """`KEY=value` lines (comments with #) or a YAML mapping of strings."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise LmsConfigError(f"CODEGUARD_SECRETS_FILE {path}: {exc.strerror}") from None
    stripped = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if stripped and all("=" in ln and ":" not in ln.split("=", 1)[0] for ln in stripped):
        out = {}
        for ln in stripped:
            key, _, value = ln.partition("=")
            out[key.strip()] = value.strip().strip('"').strip("'")
        return out
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        raise LmsConfigError(f"CODEGUARD_SECRETS_FILE {path}: neither KEY=value lines nor YAML") from None
    if not isinstance(data, dict) or not all(isinstance(v, str | int) for v in data.values()):
        raise LmsConfigError(f"CODEGUARD_SECRETS_FILE {path}: must map names to string values")
    return {str(k): str(v) for k, v in data.items()}


@dataclass(frozen=True)
class LmsSettings:
    """LMS endpoints and secrets. URLs are not secret; tokens and webhook secrets are."""

    moodle_url: str | None = None
    canvas_url: str | None = None
    config_path: str | None = None
    jwks_file: str | None = None
    jwks_url: str | None = None
    # Live Events without `exp` are accepted for this long after their `iat` / event_time.
    canvas_max_event_age_s: int = 24 * 3600
    secrets: Mapping[str, Secret] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LmsSettings:
        env = os.environ if env is None else env
        values: dict[str, str] = {}
        secrets_file = env.get("CODEGUARD_SECRETS_FILE", "").strip()
        if secrets_file:
            values.update(_read_secrets_file(secrets_file))
        # The environment wins over the file, so one value can be overridden for a run.
        values.update({k: v for k, v in env.items() if v.strip()})

        def opt(name: str) -> str | None:
            value = values.get(name, "").strip()
            return value or None

        raw_age = opt("CANVAS_LIVE_EVENTS_MAX_AGE") or str(24 * 3600)
        try:
            age = int(raw_age)
        except ValueError:
            raise LmsConfigError(f"CANVAS_LIVE_EVENTS_MAX_AGE must be seconds, got {raw_age!r}") from None
        return cls(
            moodle_url=(opt("MOODLE_URL") or "").rstrip("/") or None,
            canvas_url=(opt("CANVAS_URL") or "").rstrip("/") or None,
            config_path=opt("CODEGUARD_LMS_CONFIG"),
            jwks_file=opt("CANVAS_JWKS_FILE"),
            jwks_url=opt("CANVAS_JWKS_URL"),
            canvas_max_event_age_s=age,
            # Every value stays wrapped: a course may name any variable as its token_env.
            secrets={k: Secret(v.strip()) for k, v in values.items()},
        )

    def secret(self, name: str) -> Secret | None:
        value = self.secrets.get(name)
        return value if value else None

    @property
    def moodle_webhook_secret(self) -> Secret | None:
        return self.secret("MOODLE_WEBHOOK_SECRET")

    def token(self, platform: str, token_env: str | None = None) -> Secret:
        """The API token for a platform (or a course's own variable); a clear error if unset."""
        name = token_env or f"{platform.upper()}_TOKEN"
        value = self.secret(name)
        if value is None:
            raise LmsConfigError(f"{name} is not set (environment or CODEGUARD_SECRETS_FILE)")
        return value

    def base_url(self, platform: str, course: CourseConfig | None = None) -> str:
        url = (course.base_url if course else None) or (self.moodle_url if platform == "moodle" else self.canvas_url)
        if not url:
            raise LmsConfigError(f"{platform.upper()}_URL is not set")
        return url

    def registry(self) -> CourseRegistry:
        return _registry(self.config_path)


_registries: dict[str | None, CourseRegistry] = {}
_registries_lock = threading.Lock()


def _registry(path: str | None) -> CourseRegistry:
    with _registries_lock:
        if path not in _registries:
            _registries[path] = CourseRegistry(path)
        return _registries[path]


def host_of(url: str) -> str:
    """`https://moodle.example.edu/sub` → `moodle.example.edu/sub`: the site part of a scope name."""
    return url.split("://", 1)[-1].rstrip("/")


def course_scope_name(platform: str, base_url: str, course: str) -> str:
    """One course's scope: what a student's history (bot.history) is kept under."""
    return f"{platform}:{host_of(base_url)}/course/{course}"


def scope_name(platform: str, base_url: str, course: str, assignment: str) -> str:
    """One assignment's corpus scope, the same string `earlier_offerings` lists."""
    kind = "assign" if platform == "moodle" else "assignments"
    return f"{course_scope_name(platform, base_url, course)}/{kind}/{assignment}"
