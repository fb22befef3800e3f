"""How code layout reaches a WordPiece encoder that was trained on English sentences.

The packaged all-MiniLM-L6-v2 tokenizer (uncased BERT WordPiece) treats every run of
whitespace as one separator: line breaks and indentation vanish, although they carry much of
a program's structure and of its author's habits. `prepare` therefore rewrites code into text
where layout is explicit, using three vocabulary entries that BERT never used during
pre-training (`[unused0]`..`[unused2]`), registered as special tokens so the tokenizer never
splits them and no embedding matrix has to grow:

* every line break becomes ``[unused0]`` (blank lines stay visible as repeated markers);
* indentation becomes *relative* ``[unused1]`` (one level deeper) / ``[unused2]`` (one level
  shallower) markers, like Python's INDENT/DEDENT, after expanding tabs to 4 columns. Relative
  markers cost about one token per changed level instead of one per level on every line, and
  they make the choice of tab vs spaces and of indent width (2/4/8) invisible: that is a
  formatting habit of datasets (one human source indents with tabs, the AI files almost never)
  rather than evidence of authorship, and an editor's formatter changes it in one keystroke.
* a leading Java/Kotlin ``package x.y;`` declaration is dropped: in the training data it is a
  per-source artefact (``package ch_NN;`` in one source's human files), never a signal.

The same function is used by training and inference, so the model only ever sees this form.
"""

from __future__ import annotations

import re
from typing import Any

NEWLINE = "[unused0]"
INDENT = "[unused1]"
DEDENT = "[unused2]"
LAYOUT_TOKENS: tuple[str, ...] = (NEWLINE, INDENT, DEDENT)

TAB_WIDTH = 4

_PACKAGE_RE = re.compile(r"^\s*package\s+[A-Za-z_][\w.]*\s*;?\s*$")


def _indent_columns(line: str) -> int:
    cols = 0
    for ch in line:
        if ch == " ":
            cols += 1
        elif ch == "\t":
            cols += TAB_WIDTH - cols % TAB_WIDTH
        else:
            break
    return cols


def _header_free(lines: list[str]) -> list[int]:
    """Indices of the lines kept once `package ...;` lines that precede the first other non-blank,
    non-comment line are dropped."""
    kept: list[int] = []
    seen_code = False
    for i, line in enumerate(lines):
        s = line.strip()
        if not seen_code and _PACKAGE_RE.match(line) and s.endswith(";"):
            continue
        if s and not s.startswith(("//", "/*", "*", "#")):
            seen_code = True
        kept.append(i)
    return kept


def split_lines(code: str) -> list[str]:
    """The lines of `code` as editors number them (\\r\\n, \\r and \\n all end a line)."""
    return code.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def strip_package_header(code: str) -> str:
    """Drop `package ...;` lines that precede the first other non-blank, non-comment line."""
    lines = code.split("\n")
    return "\n".join(lines[i] for i in _header_free(lines))


def plain_layout_lines(code: str) -> list[tuple[int, str]]:
    """`plain_layout` line by line, each with its 1-based line number in `code`: what lets a
    reader of the plain text (ml/explain.py) point a reviewer at the file's own lines."""
    lines = split_lines(code)
    out = []
    for i in _header_free(lines):
        body = lines[i].lstrip(" \t")
        out.append((i + 1, " " * _indent_columns(lines[i]) + body if body else ""))
    return out


def plain_layout(code: str) -> str:
    """The code as text, minus the two layout artefacts `prepare` hides: leading tabs become
    4-column spaces and a leading `package` header goes. For readers of raw characters (the
    character n-gram path, the baselines), which would otherwise learn tabs-mean-human."""
    return "\n".join(text for _, text in plain_layout_lines(code))


def prepare(code: str) -> str:
    """Rewrite `code` into tokenizer-ready text with explicit layout markers (pure function)."""
    if not isinstance(code, str):
        raise TypeError(f"prepare() expects str, got {type(code).__name__}")
    raw = split_lines(code)
    parts: list[str] = []
    stack = [0]
    lines = [raw[i] for i in _header_free(raw)]
    # Trailing blank lines carry no information beyond "file ends with a newline".
    while lines and not lines[-1].strip():
        lines.pop()
    # Leading blank lines likewise (and they would betray a stripped package header).
    while lines and not lines[0].strip():
        lines.pop(0)
    for i, line in enumerate(lines):
        if i:
            parts.append(NEWLINE)
        content = line.strip()
        if not content:
            continue  # blank line: its marker is enough; its indentation is noise
        cols = _indent_columns(line)
        if cols > stack[-1]:
            stack.append(cols)
            parts.append(INDENT)
        else:
            while cols < stack[-1]:
                stack.pop()
                parts.append(DEDENT)
            if cols > stack[-1]:  # dedent to a column never used before: treat as a new level
                stack.append(cols)
                parts.append(INDENT)
        parts.append(content)
    return " ".join(parts)


def register_layout_tokens(tokenizer: Any) -> Any:
    """Make the tokenizer keep the layout markers whole; they must already be in its vocabulary.

    Reusing BERT's `[unusedN]` rows avoids resizing the embedding matrix, which keeps a
    LoRA-only checkpoint valid against the unchanged packaged base model.
    """
    vocab = tokenizer.get_vocab()
    missing = [t for t in LAYOUT_TOKENS if t not in vocab]
    if missing:
        raise ValueError(
            f"tokenizer vocabulary lacks the layout tokens {missing}; "
            "use a BERT-style WordPiece vocabulary with [unusedN] entries"
        )
    before = len(tokenizer)
    tokenizer.add_tokens(list(LAYOUT_TOKENS), special_tokens=True)
    if len(tokenizer) != before:
        raise ValueError("registering layout tokens grew the vocabulary; expected existing entries")
    return tokenizer
