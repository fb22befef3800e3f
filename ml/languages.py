"""The one registry of languages the structural engine understands.

Every language is a single `LanguageSpec` row: how files are recognised (extensions,
file names), which tree-sitter grammar parses it, and which node types are noise
(comments, docstrings) or stand for a name or a literal. The tokenizer reads only these
rows, so supporting a new language, or fixing how one is normalised, is an edit here
and never a new branch in the tokenizer.

Resolution order for a language name: a row with a tree-sitter grammar, else any
language Pygments has a lexer for (generic Pygments token classes do the
normalisation), else plain text.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache

# Literal kinds: literals collapse to one of these, so changing a value never changes
# the stream, while swapping a number for a string still does.
STR = "STR"
NUM = "NUM"
BOOL = "BOOL"
NULL = "NULL"
ID = "ID"

# A leaf node whose type matches this is a name in every grammar of the pack
# (identifier, type_identifier, field_identifier, simple_identifier, ...).
IDENTIFIER_PATTERN = re.compile(r"identifier$")


@dataclass(frozen=True)
class LanguageSpec:
    """One language. Node-type sets refer to the tree-sitter grammar's named node types."""

    name: str
    extensions: tuple[str, ...]
    grammar: str | None = None
    filenames: tuple[str, ...] = ()
    # Subtrees dropped entirely (comments, doc markers): never part of the stream.
    drop: frozenset[str] = frozenset()
    # Leaf node types that are names besides those matching IDENTIFIER_PATTERN.
    identifiers: frozenset[str] = frozenset()
    # Node type -> literal kind; the whole subtree (string parts, escapes,
    # interpolations) collapses to that one token.
    literals: dict[str, str] = field(default_factory=dict)
    # A string literal whose parent is one of these is a statement of its own, i.e.
    # a docstring or a directive ("use strict"): dropped like a comment.
    docstring_parents: frozenset[str] = frozenset()
    # Anonymous tokens that formatting tools add or remove at will (Go/JS/Kotlin
    # semicolons, trailing commas) and that therefore carry no structure.
    ignore_tokens: frozenset[str] = frozenset({";", ","})


# Declaration modifiers: a copier adds or drops `public`/`static`/`final` freely (SPPlagiarise
# level 3, "declarations changed") and they say nothing about the program's logic. Ignored like
# formatting tokens in the languages whose grammars spell them as anonymous keyword tokens.
_FORMAT_TOKENS = frozenset({";", ","})
_MODIFIERS = frozenset(
    {"public", "private", "protected", "internal", "static", "final", "abstract", "synchronized",
     "volatile", "transient", "readonly", "sealed", "virtual", "override", "const", "inline",
     "register", "open", "lateinit"}
)  # fmt: skip
_IGNORE_WITH_MODIFIERS = _FORMAT_TOKENS | _MODIFIERS


def _lits(strings: str = "", numbers: str = "", bools: str = "", nulls: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for names, kind in ((strings, STR), (numbers, NUM), (bools, BOOL), (nulls, NULL)):
        out.update(dict.fromkeys(names.split(), kind))
    return out


_C_LITERALS = _lits(
    strings="string_literal char_literal concatenated_string raw_string_literal system_lib_string",
    numbers="number_literal user_defined_literal",
    bools="true false",
    nulls="null nullptr",
)

LANGUAGES: tuple[LanguageSpec, ...] = (
    LanguageSpec(
        "python",
        # .ipynb: bot/sourcetext.py reads a notebook's code cells as Python before anything tokenises it.
        (".py", ".pyw", ".pyi", ".ipynb"),
        "python",
        drop=frozenset({"comment"}),
        literals=_lits("string concatenated_string", "integer float", "true false", "none"),
        docstring_parents=frozenset({"module", "block", "expression_statement"}),
    ),
    LanguageSpec(
        "java",
        (".java",),
        "java",
        ignore_tokens=_IGNORE_WITH_MODIFIERS,
        drop=frozenset({"line_comment", "block_comment"}),
        literals=_lits(
            "string_literal character_literal",
            "decimal_integer_literal hex_integer_literal octal_integer_literal binary_integer_literal "
            "decimal_floating_point_literal hex_floating_point_literal",
            "true false",
            "null_literal",
        ),
    ),
    LanguageSpec(
        "c",
        (".c", ".h"),
        "c",
        ignore_tokens=_IGNORE_WITH_MODIFIERS,
        drop=frozenset({"comment"}),
        literals=_C_LITERALS,
    ),
    LanguageSpec(
        "cpp",
        (".cpp", ".cc", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++", ".ipp", ".tpp"),
        "cpp",
        ignore_tokens=_IGNORE_WITH_MODIFIERS,
        drop=frozenset({"comment"}),
        literals=_C_LITERALS,
    ),
    LanguageSpec(
        "csharp",
        (".cs",),
        "csharp",
        ignore_tokens=_IGNORE_WITH_MODIFIERS,
        drop=frozenset({"comment"}),
        literals=_lits(
            "string_literal character_literal verbatim_string_literal raw_string_literal "
            "interpolated_string_expression",
            "integer_literal real_literal",
            "boolean_literal",
            "null_literal",
        ),
    ),
    LanguageSpec(
        "javascript",
        (".js", ".mjs", ".cjs", ".jsx"),
        "javascript",
        ignore_tokens=_IGNORE_WITH_MODIFIERS,
        drop=frozenset({"comment", "html_comment"}),
        literals=_lits("string template_string regex", "number", "true false", "null undefined"),
        docstring_parents=frozenset({"expression_statement"}),
    ),
    LanguageSpec(
        "typescript",
        (".ts", ".mts", ".cts"),
        "typescript",
        ignore_tokens=_IGNORE_WITH_MODIFIERS,
        drop=frozenset({"comment", "html_comment"}),
        literals=_lits("string template_string regex", "number", "true false", "null undefined"),
        docstring_parents=frozenset({"expression_statement"}),
    ),
    LanguageSpec(
        "tsx",
        (".tsx",),
        "tsx",
        ignore_tokens=_IGNORE_WITH_MODIFIERS,
        drop=frozenset({"comment", "html_comment"}),
        literals=_lits("string template_string regex", "number", "true false", "null undefined"),
        docstring_parents=frozenset({"expression_statement"}),
    ),
    LanguageSpec(
        "go",
        (".go",),
        "go",
        drop=frozenset({"comment"}),
        literals=_lits(
            "interpreted_string_literal raw_string_literal rune_literal",
            "int_literal float_literal imaginary_literal",
            "true false",
            "nil",
        ),
    ),
    LanguageSpec(
        "rust",
        (".rs",),
        "rust",
        drop=frozenset({"line_comment", "block_comment"}),
        literals=_lits(
            "string_literal raw_string_literal char_literal",
            "integer_literal float_literal",
            "boolean_literal",
        ),
    ),
    LanguageSpec(
        "kotlin",
        (".kt", ".kts"),
        "kotlin",
        ignore_tokens=_IGNORE_WITH_MODIFIERS,
        drop=frozenset({"line_comment", "multiline_comment"}),
        literals=_lits(
            "string_literal character_literal",
            "integer_literal long_literal hex_literal bin_literal real_literal unsigned_literal",
            "boolean_literal",
            "null_literal",
        ),
    ),
    LanguageSpec(
        "ruby",
        (".rb", ".rake", ".gemspec"),
        "ruby",
        filenames=("Rakefile", "Gemfile"),
        drop=frozenset({"comment", "heredoc_body"}),
        identifiers=frozenset(
            {"constant", "instance_variable", "class_variable", "global_variable", "simple_symbol"}
        ),
        literals=_lits(
            "string chained_string character heredoc_beginning regex string_array symbol_array "
            "delimited_symbol bare_string",
            "integer float rational complex",
            "true false",
            "nil",
        ),
    ),
    LanguageSpec(
        "php",
        (".php", ".phtml", ".php3", ".php4", ".php5", ".phps"),
        "php",
        ignore_tokens=_IGNORE_WITH_MODIFIERS,
        drop=frozenset({"comment"}),
        identifiers=frozenset({"name"}),
        literals=_lits(
            "string encapsed_string heredoc nowdoc shell_command_expression",
            "integer float",
            "boolean",
            "null",
        ),
    ),
)

# Pygments knows these, but they hold data or prose, not code: a file of them is not
# a submission's program and is skipped rather than compared.
NON_CODE_LEXERS = frozenset(
    {
        "text", "json", "json5", "jsonld", "json-object", "yaml", "toml", "ini", "cfg", "properties",
        "markdown", "md", "rst", "restructuredtext", "xml", "csv", "tsv", "tex", "latex", "bibtex",
        "diff", "output", "svg", "xslt", "email", "mime", "http", "docker-ignore", "gitignore",
    }
)  # fmt: skip

_BY_NAME = {spec.name: spec for spec in LANGUAGES}
_ALIASES = {
    "py": "python", "python3": "python", "c++": "cpp", "cxx": "cpp", "c#": "csharp", "cs": "csharp",
    "js": "javascript", "node": "javascript", "ts": "typescript", "golang": "go", "rs": "rust",
    "kt": "kotlin", "rb": "ruby",
}  # fmt: skip
_BY_EXTENSION = {ext: spec.name for spec in LANGUAGES for ext in spec.extensions}
_BY_FILENAME = {fn: spec.name for spec in LANGUAGES for fn in spec.filenames}


def canonical_name(language: str) -> str:
    """Map a platform's or a user's language label ("C++", "py") to the registry's name."""
    key = language.strip().lower()
    return _ALIASES.get(key, key)


def spec_for(language: str) -> LanguageSpec | None:
    """The tree-sitter row for a language name, or None when Pygments or plain text handles it."""
    return _BY_NAME.get(canonical_name(language))


@lru_cache(maxsize=512)
def _pygments_alias_for_filename(filename: str) -> str | None:
    from pygments.lexers import get_lexer_for_filename
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_for_filename(filename)
    except ClassNotFound:
        return None
    aliases = list(getattr(lexer, "aliases", ()))
    if not aliases:
        return None
    if any(alias in NON_CODE_LEXERS for alias in aliases):
        return None
    return str(aliases[0])


def known_language(language: str) -> bool:
    """Whether `language` names a programming language here: a registry row, or a Pygments
    lexer for code (not for prose or data)."""
    name = canonical_name(language)
    if name in _BY_NAME:
        return True
    if not name or name in NON_CODE_LEXERS:
        return False
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        get_lexer_by_name(name)
    except ClassNotFound:
        return False
    return True


TEXT_EXTENSION = ".txt"
# .txt files that are a project's prose or metadata, never its code, whatever `text_as` says.
_TEXT_NOT_CODE = re.compile(
    r"(?i)^(readme|licen[cs]e|copying|notice|authors|contributors|changelog|changes|history"
    r"|requirements[\w.-]*|constraints|cmakelists|robots)\.txt$"
)


def language_for_path(path: str, text_as: str | None = None) -> str | None:
    """The language of a code file from its name, or None for files that are not code.

    Registry rows win; any other file Pygments recognises as a programming language
    gets Pygments' alias (e.g. "swift", "scala"); data and prose formats get None.
    `text_as` names the language `.txt` files are in, where a course asks for code as .txt
    (a browser previews .txt uploads, not .py or .java); a README.txt or requirements.txt
    stays what it is.
    """
    base = os.path.basename(path)
    if base in _BY_FILENAME:
        return _BY_FILENAME[base]
    ext = os.path.splitext(base)[1].lower()
    if ext in _BY_EXTENSION:
        return _BY_EXTENSION[ext]
    if not ext:
        return None
    if ext == TEXT_EXTENSION and text_as and not _TEXT_NOT_CODE.match(base):
        return canonical_name(text_as)
    return _pygments_alias_for_filename(base)


def tree_sitter_languages() -> tuple[str, ...]:
    return tuple(spec.name for spec in LANGUAGES if spec.grammar)
