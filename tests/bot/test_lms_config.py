from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bot.lms_config import (
    CourseRegistry,
    LmsConfigError,
    LmsSettings,
    Secret,
    course_scope_name,
    parse_course,
    scope_name,
)

COURSE = """
platform: moodle
course: 5
languages: [python]
thresholds: {similarity: 0.6, ai_risk_high: 0.8, ai_risk_medium: 0.5}
posting: similarity_only
author_history: true
archives: {max_files: 50}
assignments:
  "31":
    template_dirs: [/srv/templates/hw1]
    earlier_offerings: ["moodle:moodle.example.edu/course/3/assign/17"]
  "32":
    languages: [java]
    thresholds: {similarity: 0.4}
    posting: full_while_hidden
    author_history: false
"""


def test_assignment_settings_merge_course_defaults_and_overrides() -> None:
    course = parse_course(COURSE, "cs101.yml")
    hw1 = course.assignment("31")
    assert hw1 is not None
    assert hw1.languages == ("python",) and hw1.similarity_threshold == 0.6 and hw1.posting == "similarity_only"
    assert hw1.template_dirs == ("/srv/templates/hw1",) and hw1.archive_limits.max_files == 50
    assert hw1.earlier_offerings == ("moodle:moodle.example.edu/course/3/assign/17",) and hw1.author_history
    hw2 = course.assignment("32")
    assert hw2 is not None
    assert hw2.languages == ("java",) and hw2.similarity_threshold == 0.4 and hw2.ai_risk_high == 0.8
    assert hw2.posting == "full_while_hidden" and hw2.template_dirs == () and not hw2.author_history
    assert hw2.wants("Main.py", "python") == "language python not enabled in the course configuration"
    assert course.assignment("99") is None
    assert hw1.text_as is None and parse_course(COURSE + '    text_as: java\n').assignment("32").text_as == "java"


@pytest.mark.parametrize("text, message", [
    ("platform: blackboard\ncourse: 1\nassignments: {a: {}}", "platform must be one of"),
    ("platform: moodle\ncourse: 1\ntoken: abc\nassignments: {a: {}}", "unknown key 'token'"),
    ("platform: moodle\ncourse: 1\ntoken_env: 'abc def'\nassignments: {a: {}}", "token_env must name"),
    ("platform: moodle\ncourse: 1\nposting: always\nassignments: {a: {}}", "posting must be one of"),
    ("platform: moodle\ncourse: 1\nassignments: {a: {thresholds: {similarity: 2}}}", "between 0 and 1"),
    ("platform: moodle\ncourse: 1\nassignments: {a: {languages: python}}", "must be a list of strings"),
    ("platform: moodle\ncourse: 1\nthresholds: {ai_risk_high: 0.2, ai_risk_medium: 0.5}\nassignments: {a: {}}",
     "must not exceed"),
    ("platform: moodle\ncourse: 1\nassignments: {}", "assignments must map"),
    ("platform: moodle\ncourse: 1\nassignments: {a: {author_history: yes please}}", "author_history must be true"),
    ("platform: moodle\ncourse: [1\n", "not valid YAML"),
    ("platform: moodle\ncourse: 1\ntext_as: markdown\nassignments: {a: {}}", "text_as must name a language"),
    ("platform: moodle\ncourse: 1\nassignments: {a: {text_as: [python]}}", "text_as must name a language"),
    ("platform: moodle\ncourse: 1\nlanguages: [java]\nassignments: {a: {text_as: py}}", "not among its languages"),
])
def test_bad_course_files_fail_with_one_line_naming_file_and_key(text: str, message: str) -> None:
    with pytest.raises(LmsConfigError) as info:
        parse_course(text, "bad.yml")
    assert message in str(info.value) and str(info.value).startswith("bad.yml")
    assert "\n" not in str(info.value)


def test_registry_reads_a_directory_and_rereads_changed_files(tmp_path: Path) -> None:
    (tmp_path / "cs101.yml").write_text(COURSE)
    (tmp_path / "notes.txt").write_text("ignored")
    registry = CourseRegistry(tmp_path)
    assert registry.assignment("moodle", "5", "31") is not None
    assert registry.find_assignment("moodle", "32") is not None
    assert registry.assignment("canvas", "5", "31") is None
    path = tmp_path / "cs101.yml"
    path.write_text(COURSE.replace('"32":', '"33":'))
    later = time.time() + 5
    os.utime(path, (later, later))
    assert registry.assignment("moodle", "5", "32") is None and registry.assignment("moodle", "5", "33")
    (tmp_path / "copy.yaml").write_text(COURSE)
    with pytest.raises(LmsConfigError, match="configured twice"):
        registry.courses()


def test_secrets_come_from_env_or_file_and_never_print(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_text("# bot secrets\nMOODLE_TOKEN=file-token-123\nMOODLE_WEBHOOK_SECRET='hook-secret'\n")
    settings = LmsSettings.from_env({"CODEGUARD_SECRETS_FILE": str(secrets), "MOODLE_URL": "https://m.example.edu/",
                                     "CANVAS_TOKEN": "env-token-456"})
    assert settings.token("moodle").reveal() == "file-token-123"
    assert settings.token("canvas").reveal() == "env-token-456"
    assert settings.moodle_webhook_secret == Secret("hook-secret")
    assert settings.moodle_url == "https://m.example.edu"
    text = repr(settings) + str(settings.token("moodle")) + f"{settings.token('canvas')}"
    assert "file-token-123" not in text and "env-token-456" not in text and "hook-secret" not in text
    # The environment overrides the file; a course's own variable is looked up by name.
    overridden = LmsSettings.from_env({"CODEGUARD_SECRETS_FILE": str(secrets), "MOODLE_TOKEN": "env-wins",
                                       "CS101_TOKEN": "course-token"})
    assert overridden.token("moodle").reveal() == "env-wins"
    assert overridden.token("moodle", "CS101_TOKEN").reveal() == "course-token"
    with pytest.raises(LmsConfigError, match="CS102_TOKEN is not set"):
        overridden.token("moodle", "CS102_TOKEN")

    yaml_file = tmp_path / "secrets.yml"
    yaml_file.write_text("CANVAS_TOKEN: from-yaml\n")
    assert LmsSettings.from_env({"CODEGUARD_SECRETS_FILE": str(yaml_file)}).token("canvas").reveal() == "from-yaml"
    with pytest.raises(LmsConfigError, match="CODEGUARD_SECRETS_FILE"):
        LmsSettings.from_env({"CODEGUARD_SECRETS_FILE": str(tmp_path / "missing")})


def test_scope_names_match_the_earlier_offerings_syntax() -> None:
    assert scope_name("moodle", "https://moodle.example.edu/", "3", "17") == "moodle:moodle.example.edu/course/3/assign/17"
    assert scope_name("canvas", "https://school.instructure.com", "7", "21") == (
        "canvas:school.instructure.com/course/7/assignments/21")
    assert scope_name("canvas", "https://school.instructure.com", "7", "21").startswith(
        course_scope_name("canvas", "https://school.instructure.com/", "7") + "/")
