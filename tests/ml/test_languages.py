from __future__ import annotations

import pytest
from tree_sitter_language_pack import get_parser

from ml.languages import (
    LANGUAGES,
    canonical_name,
    known_language,
    language_for_path,
    spec_for,
    tree_sitter_languages,
)

TWELVE = ["python", "java", "c", "cpp", "csharp", "javascript", "typescript", "go", "rust", "kotlin", "ruby", "php"]


def test_registry_covers_the_twelve_with_grammars() -> None:
    assert set(TWELVE) <= set(tree_sitter_languages())
    names = [spec.name for spec in LANGUAGES]
    assert len(names) == len(set(names)), "one row per language"
    extensions = [ext for spec in LANGUAGES for ext in spec.extensions]
    assert len(extensions) == len(set(extensions)), "an extension belongs to one language"


@pytest.mark.parametrize("name", TWELVE)
def test_every_grammar_loads_offline(name: str) -> None:
    spec = spec_for(name)
    assert spec is not None and spec.grammar
    assert get_parser(spec.grammar).parse(b"").root_node is not None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("a/Main.java", "java"), ("x.py", "python"), ("lib.h", "c"), ("m.cc", "cpp"), ("P.cs", "csharp"),
        ("app.mjs", "javascript"), ("t.ts", "typescript"), ("v.tsx", "tsx"), ("main.go", "go"),
        ("lib.rs", "rust"), ("K.kt", "kotlin"), ("r.rb", "ruby"), ("Rakefile", "ruby"), ("i.php", "php"),
        ("UPPER.PY", "python"),
    ],
)  # fmt: skip
def test_registry_extensions(path: str, language: str) -> None:
    assert language_for_path(path) == language


def test_pygments_languages_fall_back() -> None:
    assert language_for_path("App.swift") == "swift"
    assert language_for_path("Main.scala") == "scala"
    assert language_for_path("script.lua") == "lua"


@pytest.mark.parametrize("path", ["README.md", "data.json", "notes.txt", "pom.xml", "conf.yaml", "Makefile", "x.png", "noext"])
def test_non_code_is_none(path: str) -> None:
    assert language_for_path(path) is None


def test_aliases() -> None:
    assert canonical_name("C++") == "cpp"
    assert canonical_name("C#") == "csharp"
    assert canonical_name(" Python3 ") == "python"


def test_txt_is_code_only_in_the_language_a_course_names() -> None:
    assert language_for_path("lab1.txt") is None
    assert language_for_path("lab1.TXT", text_as="Python3") == "python"
    assert language_for_path("Main.java", text_as="python") == "java"  # only .txt changes
    for prose in ("README.txt", "LICENSE.txt", "requirements-dev.txt", "CHANGELOG.txt"):
        assert language_for_path(prose, text_as="python") is None, prose
    assert language_for_path("CMakeLists.txt", text_as="python") == "cmake"


def test_known_language_accepts_code_lexers_not_prose_or_data() -> None:
    assert known_language("python") and known_language("C++") and known_language("haskell")
    assert not known_language("markdown") and not known_language("json") and not known_language("klingon")
