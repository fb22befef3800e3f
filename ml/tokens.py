"""Source text -> normalised token stream, the input of fingerprinting.

Normalisation is what makes a structural engine useful against disguise: identifiers
become `ID` and literals their kind (`STR`, `NUM`, `BOOL`, `NULL`), comments and
docstrings vanish, and whitespace/layout never reaches the stream, so renaming,
re-commenting and reformatting a copied program leave its stream unchanged. Keywords,
operators and the grammar's structure stay, because that is what a copier keeps.

Each token keeps the 1-based first and last source line it came from, so fingerprints
can be reported as line ranges.

Three back ends, chosen by `ml.languages`: tree-sitter (registry rows), Pygments (any
other language it knows), and a plain-text splitter as the last resort.
"""

from __future__ import annotations

import re
import threading
import zlib
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import numpy as np

from ml.languages import (
    BOOL,
    ID,
    IDENTIFIER_PATTERN,
    NON_CODE_LEXERS,
    NUM,
    STR,
    LanguageSpec,
    canonical_name,
    spec_for,
)

# A file is refused as unparsable when tree-sitter's error recovery had to swallow
# more than this share of its tokens: it is not (this) language then, and fingerprints
# of error recovery would only produce noise matches. Real files with a typo or a
# truncated end stay far below (measured on ../shared/data/aigen dev: max 5%).
MAX_ERROR_SHARE = 0.5


class TokenizeError(ValueError):
    """The text cannot be tokenised as the given language; callers list the file as skipped."""


@dataclass(frozen=True)
class TokenStream:
    """Normalised tokens of one file as parallel arrays (lean enough for thousands of files)."""

    language: str
    ids: np.ndarray  # uint32 stable token ids (see token_id)
    start_lines: np.ndarray  # int32, 1-based
    end_lines: np.ndarray  # int32, 1-based, inclusive

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def texts(self) -> list[str]:
        """Token strings (for tests and debugging; the engine only uses ids)."""
        return [_VOCAB.get(int(i), f"#{int(i)}") for i in self.ids]


_VOCAB: dict[int, str] = {}


@cache
def token_id(text: str) -> int:
    """Stable 32-bit id of a token string: identical in every process and release.

    Fingerprints are stored (Redis) and compared across processes, so Python's salted
    hash() is not an option. Ids are language-neutral on purpose: C and C++ files of
    one class share tokens and can match each other.
    """
    value = zlib.crc32(text.encode("utf-8"))
    _VOCAB[value] = text
    return value


# ---------------------------------------------------------------------------- tree-sitter

_DESCEND, _DROP, _IDENT, _LITERAL, _IGNORE = range(5)


@dataclass(frozen=True)
class _Table:
    """Per-grammar action per node kind id, so the walk does one list lookup per node."""

    actions: list[int]
    token_ids: list[int]  # the token emitted for a leaf (or for a literal / identifier)
    string_kinds: frozenset[int]  # literal kinds that are strings
    docstring_parents: frozenset[int]  # a string directly under these is a docstring


_local = threading.local()


def _parser_and_table(grammar: str) -> tuple[Any, _Table]:
    """A parser is not safe to share between threads: one per grammar per thread; tables per process."""
    parsers: dict[str, Any] | None = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    parser = parsers.get(grammar)
    if parser is None:
        from tree_sitter_language_pack import get_parser

        parser = parsers[grammar] = get_parser(grammar)  # type: ignore[arg-type]
    return parser, _table(grammar)


@cache
def _table(grammar: str) -> _Table:
    from tree_sitter_language_pack import get_language

    spec = spec_for(grammar)
    assert spec is not None
    language = get_language(grammar)  # type: ignore[arg-type]
    count = language.node_kind_count
    actions = [_DESCEND] * count
    ids = [0] * count
    string_kinds: set[int] = set()
    docstring_parents: set[int] = set()
    for kind in range(count):
        name = language.node_kind_for_id(kind) or ""
        named = language.node_kind_is_named(kind)
        ids[kind] = token_id(name)
        if named and name in spec.drop:
            actions[kind] = _DROP
        elif named and name in spec.literals:
            actions[kind] = _LITERAL
            ids[kind] = token_id(spec.literals[name])
            if spec.literals[name] == STR:
                string_kinds.add(kind)
        elif named and (name in spec.identifiers or IDENTIFIER_PATTERN.search(name)):
            actions[kind] = _IDENT
            ids[kind] = token_id(ID)
        if named and name in spec.docstring_parents:
            docstring_parents.add(kind)
        if not named and name in spec.ignore_tokens:
            actions[kind] = _IGNORE
    return _Table(actions, ids, frozenset(string_kinds), frozenset(docstring_parents))


def _unattached_leaves(root: Any) -> int:
    """Leaves the parser could not fit into any construct, plus inserted MISSING tokens.

    Whole valid subtrees inside an ERROR node (common after one typo near the top of
    a file) do not count: only what error recovery had to swallow does.
    """
    count = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_missing:
            count += 1
            continue
        in_error = node.type == "ERROR"
        for child in node.children:
            if in_error and child.child_count == 0:
                count += 1
            elif child.has_error or child.is_missing:
                stack.append(child)
    return count


def _tokenize_tree_sitter(text: str, spec: LanguageSpec, max_error_share: float) -> TokenStream:
    assert spec.grammar is not None
    parser, table = _parser_and_table(spec.grammar)
    source = text.encode("utf-8", errors="surrogatepass")
    tree = parser.parse(source)
    root = tree.root_node
    actions, tok = table.actions, table.token_ids
    string_kinds, doc_parents = table.string_kinds, table.docstring_parents
    out_ids: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    emit_id, emit_start, emit_end = out_ids.append, starts.append, ends.append
    n_kinds = len(actions)
    cursor = tree.walk()
    while True:
        node = cursor.node
        kind = node.kind_id
        # Ids past the table are aliases and the parse-state ids of MISSING/ERROR leaves.
        action = actions[kind] if kind < n_kinds else _DESCEND
        descended = False
        if action == _DESCEND or action == _IDENT:
            if node.child_count == 0:
                emit_id(tok[kind] if kind < n_kinds else token_id(node.type))
                emit_start(node.start_point[0])
                emit_end(node.end_point[0])
            else:
                descended = cursor.goto_first_child()
        elif action == _LITERAL:
            parent = node.parent if kind in string_kinds and doc_parents else None
            if parent is None or parent.kind_id not in doc_parents:
                emit_id(tok[kind])
                emit_start(node.start_point[0])
                emit_end(node.end_point[0])
        # _DROP and _IGNORE: nothing emitted, subtree skipped.
        if descended:
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                if root.has_error:
                    bad = _unattached_leaves(root)
                    if bad > max_error_share * max(1, len(out_ids)):
                        raise TokenizeError(
                            f"not valid {spec.name}: {bad} of {len(out_ids)} tokens fail to parse"
                        )
                return _stream(spec.name, out_ids, starts, ends, zero_based=True)


# ---------------------------------------------------------------------------- Pygments


@lru_cache(maxsize=64)
def _pygments_lexer(language: str) -> Any:
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def _tokenize_pygments(text: str, language: str, lexer: Any, max_error_share: float) -> TokenStream:
    from pygments.token import Comment, Error, Keyword, Name, Number, String, Text, Whitespace
    from pygments.token import Literal as Lit

    out_ids: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    errors = 0
    line = 1
    last_string = False
    for ttype, value in lexer.get_tokens(text):
        newlines = value.count("\n")
        first, last = line, line + newlines
        line = last
        stripped = value.strip()
        if not stripped or ttype in Whitespace or ttype in Text and not stripped:
            continue
        if ttype in Comment or ttype in String.Doc:
            last_string = False
            continue
        if ttype in String or ttype in Lit.String:
            if last_string:  # a string arrives in pieces (quote, body, escapes, quote)
                ends[-1] = last
                continue
            token, last_string = STR, True
        else:
            last_string = False
            if ttype in Error:
                errors += 1
            if ttype in Number:
                token = NUM
            elif ttype in Keyword.Constant and stripped.lower() in ("true", "false"):
                token = BOOL
            elif ttype in Name:
                token = ID
            elif stripped in (";", ","):
                continue
            else:
                token = stripped
        out_ids.append(token_id(token))
        starts.append(first)
        ends.append(last)
    if out_ids and errors > max_error_share * len(out_ids):
        raise TokenizeError(f"not valid {language}: the lexer rejects {errors} of {len(out_ids)} tokens")
    return _stream(language, out_ids, starts, ends, zero_based=False)


# ---------------------------------------------------------------------------- plain text

_WORD = re.compile(r"[A-Za-z_]\w*|\d[\w.]*|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|[^\w\s]")


def _tokenize_plain(text: str, language: str) -> TokenStream:
    """Last resort: words are names, quoted runs strings, anything else a symbol token."""
    out_ids: list[int] = []
    starts: list[int] = []
    for number, line_text in enumerate(text.splitlines(), start=1):
        for match in _WORD.finditer(line_text):
            piece = match.group()
            first = piece[0]
            if first.isalpha() or first == "_":
                token = ID
            elif first.isdigit():
                token = NUM
            elif first in "\"'" and len(piece) > 1:
                token = STR
            elif piece in (";", ","):
                continue
            else:
                token = piece
            out_ids.append(token_id(token))
            starts.append(number)
    return _stream(language, out_ids, starts, starts, zero_based=False)


# ---------------------------------------------------------------------------- entry point


def _stream(
    language: str, ids: list[int], starts: list[int], ends: list[int], *, zero_based: bool
) -> TokenStream:
    offset = 1 if zero_based else 0
    start_arr = np.asarray(starts, dtype=np.int32) + offset
    end_arr = np.asarray(ends, dtype=np.int32) + offset
    return TokenStream(language, np.asarray(ids, dtype=np.uint32), start_arr, end_arr)


def backend_for(language: str) -> str:
    """Which back end tokenises a language: "tree-sitter", "pygments" or "text"."""
    spec = spec_for(language)
    if spec is not None and spec.grammar:
        return "tree-sitter"
    name = canonical_name(language)
    if name not in NON_CODE_LEXERS and _pygments_lexer(name) is not None:
        return "pygments"
    return "text"


def tokenize(text: str, language: str, max_error_share: float = MAX_ERROR_SHARE) -> TokenStream:
    """Normalised tokens of `text` read as `language` (a registry name or any Pygments alias).

    Raises TokenizeError when the text cannot be this language (NUL bytes, or more than
    `max_error_share` of its tokens parse errors); files with a few syntax errors still
    tokenise, as students' do.
    """
    if "\x00" in text:
        raise TokenizeError("contains NUL bytes (binary data, not source text)")
    name = canonical_name(language)
    spec = spec_for(name)
    if spec is not None and spec.grammar:
        return _tokenize_tree_sitter(text, spec, max_error_share)
    lexer = None if name in NON_CODE_LEXERS else _pygments_lexer(name)
    if lexer is not None:
        return _tokenize_pygments(text, name, lexer, max_error_share)
    return _tokenize_plain(text, name)
