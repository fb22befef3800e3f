"""Behaviour-preserving code rewrites: positive views for contrastive training, and
shortcut removal for the classifier (formatting that says more about a dataset than an author).

Every function is pure and takes an explicit `random.Random`, so a seed reproduces a view. They
work on text with a small lexer that knows strings and comments (never renaming inside a
string, never taking `//` inside a string for a comment); they never execute code. When a rewrite
does not apply (no function to reorder, no identifier to rename) the input comes back unchanged.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

HASH_COMMENT_LANGS = {"python", "ruby", "shell", "bash", "perl", "r", "dockerfile", "yaml"}
BOTH_COMMENT_LANGS = {"php"}

_KEYWORDS = set(
    """
    abstract and as assert async await auto bool boolean break byte case catch char class const continue
    def default del delete do double elif else elsif end enum except explicit export extends extern
    false final finally float fn for foreach from func function global go goto if impl implements import
    in inline instanceof int interface is lambda let long loop match mod module mut namespace native new
    nil none nonlocal not null object of or package pass print private protected pub public raise ref
    register return self short signed sizeof static struct super switch synchronized template then this
    throw throws trait transient true try type typedef typeof union unless unsigned until use using var
    virtual void volatile when where while with yield string integer list dict set tuple map len range
    main args argv argc std cout cin endl printf scanf system out println console log math string
    """.split()
)

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IMPORT_LINE = re.compile(r"^\s*(import|package|from|using|#\s*include|require|use|extern crate)\b")


def _comment_style(language: str) -> tuple[bool, bool]:
    lang = (language or "").lower()
    if lang in BOTH_COMMENT_LANGS:
        return True, True
    if lang in HASH_COMMENT_LANGS:
        return True, False
    return False, True


def _lex(code: str, language: str) -> list[tuple[str, str]]:
    """Split code into ("code" | "string" | "comment", text) runs; concatenation gives the input."""
    hash_c, slash_c = _comment_style(language)
    out: list[tuple[str, str]] = []
    i, n = 0, len(code)
    buf_start = 0

    def flush(upto: int) -> None:
        if upto > buf_start:
            out.append(("code", code[buf_start:upto]))

    while i < n:
        c = code[i]
        if slash_c and code.startswith("//", i):
            j = code.find("\n", i)
            j = n if j < 0 else j
            flush(i)
            out.append(("comment", code[i:j]))
            i = buf_start = j
            continue
        if slash_c and code.startswith("/*", i):
            j = code.find("*/", i + 2)
            j = n if j < 0 else j + 2
            flush(i)
            out.append(("comment", code[i:j]))
            i = buf_start = j
            continue
        if hash_c and c == "#":
            j = code.find("\n", i)
            j = n if j < 0 else j
            flush(i)
            out.append(("comment", code[i:j]))
            i = buf_start = j
            continue
        if c in "\"'`":
            triple = code[i : i + 3]
            if hash_c and triple in ('"""', "'''"):
                j = code.find(triple, i + 3)
                j = n if j < 0 else j + 3
            else:
                j = i + 1
                while j < n and code[j] != c and code[j] != "\n":
                    j += 2 if code[j] == "\\" else 1
                if j < n and code[j] == c:
                    j += 1
                j = min(j, n)
            flush(i)
            out.append(("string", code[i:j]))
            i = buf_start = j
            continue
        i += 1
    flush(n)
    return out


# ---------------------------------------------------------------------------------- rename
def _name_style(rng: random.Random) -> Callable[[str, int], str]:
    words = [
        "val",
        "item",
        "tmp",
        "data",
        "node",
        "cur",
        "res",
        "acc",
        "elem",
        "buf",
        "cnt",
        "idx",
        "num",
        "ptr",
    ]
    style = rng.choice(["short", "camel", "snake", "word"])

    def make(original: str, k: int) -> str:
        if style == "short":
            letters = "abcdefghjkmnpqrstuvwxyz"
            name = letters[k % len(letters)] + (str(k // len(letters)) if k >= len(letters) else "")
            return name
        w1, w2 = rng.choice(words), rng.choice(words)
        if style == "camel":
            return f"{w1}{w2.capitalize()}{k}"
        if style == "snake":
            return f"{w1}_{w2}_{k}"
        return f"{w1}{k}"

    return make


def rename_variables(code: str, language: str, rng: random.Random, fraction: float = 0.7) -> str:
    """Consistently rename a random subset of lower-case local-looking identifiers.

    Candidates: identifiers outside strings/comments that are not keywords, not attribute or
    member names (after '.'), not called (before '('), and not capitalised (types, constants).
    Renaming is global and consistent, so a program's structure is untouched.
    """
    segs = _lex(code, language)
    counts: dict[str, int] = {}
    blocked: set[str] = set()
    for kind, text in segs:
        if kind != "code":
            continue
        for line in text.split("\n"):
            if _IMPORT_LINE.match(line):  # module paths are not variables
                blocked.update(_IDENT.findall(line))
        for m in _IDENT.finditer(text):
            name = m.group(0)
            before = text[: m.start()].rstrip()[-1:]
            after = text[m.end() :].lstrip()[:1]
            if (
                before == "."
                or after == "("
                or name[0].isupper()
                or name.lower() in _KEYWORDS
                or len(name) < 2
            ):
                blocked.add(name)
                continue
            counts[name] = counts.get(name, 0) + 1
    candidates = sorted(n for n in counts if n not in blocked)
    if not candidates:
        return code
    chosen = [n for n in candidates if rng.random() < fraction] or [rng.choice(candidates)]
    make = _name_style(rng)
    existing = set(counts) | blocked
    mapping: dict[str, str] = {}
    k = 0
    for name in chosen:
        new = make(name, k)
        k += 1
        while new in existing or new in mapping.values() or new.lower() in _KEYWORDS:
            new = make(name, k)
            k += 1
        mapping[name] = new

    def sub(text: str) -> str:
        return _IDENT.sub(lambda m: mapping.get(m.group(0), m.group(0)), text)

    return "".join(sub(t) if kind == "code" else t for kind, t in segs)


# --------------------------------------------------------------------------------- comments
def strip_comments(code: str, language: str, rng: random.Random | None = None) -> str:
    """Remove comments (keeping line structure: a comment-only line becomes blank)."""
    segs = _lex(code, language)
    text = "".join(t if kind != "comment" else "\n" * t.count("\n") for kind, t in segs)
    lines = [ln.rstrip() for ln in text.split("\n")]
    # Collapse runs of blank lines the removal created.
    out: list[str] = []
    for ln in lines:
        if not ln and out and not out[-1]:
            continue
        out.append(ln)
    return "\n".join(out)


_COMMENT_TEXTS = [
    "helper",
    "compute the result",
    "check the input",
    "main logic",
    "update state",
    "loop over items",
    "handle edge case",
    "initialise variables",
    "read input",
    "print output",
    "TODO: clean up",
    "step",
    "base case",
    "accumulate",
    "return the answer",
]


def add_comments(code: str, language: str, rng: random.Random, rate: float = 0.15) -> str:
    """Insert short generic comments above random non-blank lines, at their indentation."""
    hash_c, _ = _comment_style(language)
    mark = "#" if hash_c else "//"
    lines = code.split("\n")
    # Never insert inside a multi-line string or block comment.
    continued = _continued_lines(code, language)
    out: list[str] = []
    for i, ln in enumerate(lines):
        if ln.strip() and i not in continued and rng.random() < rate:
            indent = ln[: len(ln) - len(ln.lstrip())]
            out.append(f"{indent}{mark} {rng.choice(_COMMENT_TEXTS)}")
        out.append(ln)
    return "\n".join(out)


def _continued_lines(code: str, language: str) -> set[int]:
    """Lines whose first character lies inside a string or comment begun on an earlier line;
    their leading whitespace is content, and nothing may be inserted before them."""
    inside: set[int] = set()
    line = 0
    for kind, text in _lex(code, language):
        nl = text.count("\n")
        if kind != "code" and nl:
            inside.update(range(line + 1, line + nl + 1))
        line += nl
    return inside


# -------------------------------------------------------------------------------- reformat
def _indent_unit(lines: list[str]) -> int:
    widths = set()
    for ln in lines:
        if ln.strip():
            w = len(ln.expandtabs(4)) - len(ln.expandtabs(4).lstrip())
            if w:
                widths.add(w)
    if not widths:
        return 4
    from math import gcd

    g = 0
    for w in widths:
        g = gcd(g, w)
    return max(g, 1)


def reindent(code: str, language: str, rng: random.Random) -> str:
    """Re-indent with another unit (2, 4 or 8 spaces, or tabs), level for level."""
    lines = code.split("\n")
    unit = _indent_unit(lines)
    new = rng.choice(["  ", "    ", "        ", "\t"])
    multiline = _continued_lines(code, language)
    out = []
    for i, ln in enumerate(lines):
        if not ln.strip() or i in multiline:
            out.append(ln if ln.strip() else "")
            continue
        exp = ln.expandtabs(4)
        width = len(exp) - len(exp.lstrip())
        level, rest = divmod(width, unit)
        out.append(new * level + " " * rest + exp.lstrip())
    return "\n".join(out)


def vary_blank_lines(code: str, language: str, rng: random.Random) -> str:
    """Remove or add blank lines between statements (never inside strings)."""
    lines = code.split("\n")
    multiline = _continued_lines(code, language)
    mode = rng.choice(["collapse", "remove", "add"])
    out: list[str] = []
    for i, ln in enumerate(lines):
        if i in multiline:
            out.append(ln)
            continue
        if not ln.strip():
            if mode == "remove" and rng.random() < 0.8:
                continue
            if mode == "collapse" and out and not out[-1].strip():
                continue
            out.append("")
            continue
        out.append(ln)
        if mode == "add" and rng.random() < 0.1:
            out.append("")
    return "\n".join(out)


_OPEN_BRACE_EOL = re.compile(r"^(\s*)(\S.*?)\s*\{\s*$")


def brace_style(code: str, language: str, rng: random.Random) -> str:
    """Move opening braces between end of line (K&R) and their own line (Allman), C-like only."""
    hash_c, slash_c = _comment_style(language)
    if hash_c and not slash_c:
        return code
    lines = code.split("\n")
    multiline = _continued_lines(code, language)
    to_allman = rng.random() < 0.5
    out: list[str] = []
    if to_allman:
        for i, ln in enumerate(lines):
            m = _OPEN_BRACE_EOL.match(ln)
            if m and i not in multiline and "//" not in ln and not ln.strip().startswith(("*", "/*")):
                out.append(f"{m.group(1)}{m.group(2)}")
                out.append(f"{m.group(1)}{{")
            else:
                out.append(ln)
        return "\n".join(out)
    for i, ln in enumerate(lines):
        if ln.strip() == "{" and out and out[-1].strip() and i not in multiline:
            prev = out[-1]
            if not prev.rstrip().endswith((";", "}", "{")) and "//" not in prev:
                out[-1] = prev.rstrip() + " {"
                continue
        out.append(ln)
    return "\n".join(out)


def reformat(code: str, language: str, rng: random.Random) -> str:
    """A random mix of re-indentation, blank-line and brace-style changes."""
    steps = [reindent, vary_blank_lines, brace_style]
    rng.shuffle(steps)
    k = rng.randint(1, len(steps))
    for step in steps[:k]:
        code = step(code, language, rng)
    return code


_SPACE_RUN = re.compile(r"[ \t]+")
_SPACE_BY_PUNCT = re.compile(r"(?<=\W) | (?=\W)")


def compact_spacing(code: str, language: str, rng: random.Random | None = None) -> str:
    """Drop every space inside a line of code that is not between two word characters
    (`if (a + b) {` -> `if(a+b){`), and trailing spaces; indentation, strings and comments stay.

    Not a training augmentation: a normaliser that makes a reader blind to in-line spacing, the
    habit an IDE's formatter decides (benchmarks.evidence_variants `compact-spacing` measures
    what that costs and buys). The result only ever feeds readers; it may not compile (`a - -b`
    becomes `a--b`)."""
    out: list[str] = []
    at_line_start = True
    for kind, text in _lex(code, language):
        if kind == "code":
            pieces = text.split("\n")
            for k, piece in enumerate(pieces):
                body = piece.lstrip(" \t") if k or at_line_start else piece
                lead = piece[: len(piece) - len(body)]
                # a run ends at a line break, a string or comment (opened by punctuation), or the file
                pieces[k] = lead + _SPACE_BY_PUNCT.sub("", _SPACE_RUN.sub(" ", body.rstrip(" \t")))
            text = "\n".join(pieces)
        out.append(text)
        at_line_start = text.endswith("\n")
    return "".join(out)


# --------------------------------------------------------------------------------- reorder
def _python_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(start, end) line spans of top-level def/class blocks, decorators included."""
    blocks: list[tuple[int, int]] = []
    i, n = 0, len(lines)
    while i < n:
        ln = lines[i]
        if ln.startswith(("def ", "async def ", "class ", "@")):
            start = i
            while i < n and lines[i].startswith("@"):
                i += 1
            if i >= n or not lines[i].startswith(("def ", "async def ", "class ")):
                i = start + 1
                continue
            i += 1
            while i < n and (
                not lines[i].strip() or lines[i][:1] in (" ", "\t") or lines[i].startswith((")", "]"))
            ):
                i += 1
            end = i
            while end > start and not lines[end - 1].strip():
                end -= 1
            blocks.append((start, end))
        else:
            i += 1
    return blocks


def _brace_depths(code: str, language: str) -> list[int]:
    """Brace depth at the start of each line, ignoring braces in strings and comments."""
    depths = [0]
    depth = 0
    for kind, text in _lex(code, language):
        for ch in text:
            if ch == "\n":
                depths.append(depth)
            elif kind == "code":
                if ch == "{":
                    depth += 1
                elif ch == "}":
                    depth -= 1
    return depths


def _brace_blocks(code: str, language: str) -> list[tuple[int, int]]:
    """Spans of function-like blocks at the shallowest depth holding at least two of them."""
    lines = code.split("\n")
    depths = _brace_depths(code, language)
    depths.append(depths[-1] if depths else 0)
    for target in (0, 1):
        blocks: list[tuple[int, int]] = []
        i, n = 0, len(lines)
        while i < n:
            if (
                depths[i] == target
                and lines[i].strip()
                and "(" in lines[i]
                and not lines[i].strip().startswith(("//", "/*", "*", "#", "}"))
            ):
                start = i
                j = i
                while j < n and depths[j + 1] <= target and j - i < 3 and "{" not in lines[j]:
                    j += 1
                # the block must open a brace within a few lines and come back to the target depth
                k = j + 1
                while k < n and depths[k] > target:
                    k += 1
                if k > j + 1 and k <= n and depths[min(k, n)] == target:
                    # include leading comment / annotation lines directly above
                    s = start
                    while (
                        s > 0
                        and lines[s - 1].strip().startswith(("@", "//", "/*", "*", "#"))
                        and depths[s - 1] == target
                    ):
                        s -= 1
                    if not blocks or s >= blocks[-1][1]:
                        blocks.append((s, k))
                    i = k
                    continue
            i += 1
        if len(blocks) >= 2:
            return blocks
    return []


def reorder_functions(code: str, language: str, rng: random.Random) -> str:
    """Shuffle top-level functions (Python) or the functions/methods at the outermost brace depth
    that holds at least two of them (C-like: top level, or inside the one class of a Java file)."""
    lines = code.split("\n")
    lang = (language or "").lower()
    blocks = _python_blocks(lines) if lang == "python" else _brace_blocks(code, language)
    if len(blocks) < 2:
        return code
    order = list(range(len(blocks)))
    rng.shuffle(order)
    if order == sorted(order):
        order = order[1:] + order[:1]
    pieces = [lines[s:e] for s, e in blocks]
    out: list[str] = []
    prev = 0
    for slot, (s, e) in enumerate(blocks):
        out.extend(lines[prev:s])
        out.extend(pieces[order[slot]])
        prev = e
    out.extend(lines[prev:])
    return "\n".join(out)


# ------------------------------------------------------------------------------ type hints
_DEF_START = re.compile(r"^(\s*(?:async\s+)?def\s+\w+\s*)\(", re.M)


def _split_top_level(params: str) -> list[str]:
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in params:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def strip_type_hints(code: str, language: str, rng: random.Random | None = None) -> str:
    """Remove parameter and return annotations from Python `def` signatures.

    In the training data one source's human files keep a course template's type-hinted
    signature (`def f(x: int)->int:`) while its AI files almost never have one: left alone, a
    detector learns "type hints mean human", the opposite of what it meets in the wild. Bodies,
    defaults and everything outside signatures are untouched.
    """
    if (language or "").lower() != "python":
        return code
    out: list[str] = []
    pos = 0
    for m in _DEF_START.finditer(code):
        if m.start() < pos:
            continue
        open_i = m.end() - 1
        depth, j = 0, open_i
        while j < len(code):
            ch = code[j]
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth -= 1
                if depth == 0:
                    break
            elif ch in "\"'#":
                j = -1  # a string or comment inside the signature: leave this one as it is
                break
            j += 1
        if j < 0:
            continue
        if j >= len(code):
            break
        new_params = []
        for part in _split_top_level(code[open_i + 1 : j]):
            name, eq, default = part.partition("=")
            head = name.split(":", 1)[0] if ":" in name else name
            if eq:
                new_params.append(f"{head.rstrip()}={default.strip()}" if ":" in name else part)
            else:
                new_params.append(head.rstrip() if ":" in name else part)
        k = j + 1
        colon = code.find(":", k)
        arrow = code.find("->", k)
        tail_end = k
        if arrow != -1 and colon != -1 and arrow < colon and "\n" not in code[k:arrow]:
            tail_end = colon
        out.append(code[pos:open_i + 1] + ",".join(new_params) + ")")
        pos = tail_end
    out.append(code[pos:])
    return "".join(out)


# ---------------------------------------------------------------------------------- driver
AUGMENTATIONS: dict[str, Callable[[str, str, random.Random], str]] = {
    "rename_variables": rename_variables,
    "reformat": reformat,
    "reorder_functions": reorder_functions,
    "add_comments": add_comments,
    "strip_comments": strip_comments,
    "strip_type_hints": strip_type_hints,
}

#: Rewrites that change layout only: safe for the classifier, which must not learn layout habits
#: of one dataset (the label-bearing content stays).
LIGHT = ("reformat",)


def augment(
    code: str, language: str, rng: random.Random, names: tuple[str, ...] | None = None, max_ops: int = 2
) -> str:
    """Apply 1..max_ops randomly chosen rewrites from `names` (default: all)."""
    pool = list(names or AUGMENTATIONS)
    rng.shuffle(pool)
    k = rng.randint(1, max(1, min(max_ops, len(pool))))
    for name in pool[:k]:
        code = AUGMENTATIONS[name](code, language, rng)
    return code


#: What a person does to generated code in seconds before handing it in (benchmarks/eval_edits.py):
#: re-layout, squeeze in-line spaces, delete comments. Names stay: descriptive naming is content.
FORMATTING_EDITS: tuple[Callable[..., str], ...] = (reformat, compact_spacing, strip_comments)


def edit_each(
    codes: Sequence[str], languages: Sequence[str], edit: Callable[[str, str, random.Random], str], seed: int = 0
) -> list[str]:
    """Every file through `edit`, each with its own seeded generator: a rerun, or the same file at
    the same place in another run, is edited alike."""
    return [edit(c, lang, random.Random(seed * 1_000_003 + i)) for i, (c, lang) in enumerate(zip(codes, languages, strict=True))]


def formatting_edit(code: str, language: str, rng: random.Random) -> str:
    """1-3 of FORMATTING_EDITS in random order: the copy of a training file that teaches the file
    evidence to look past formatting (benchmarks.evidence_variants `edited-copies`)."""
    steps = rng.sample(FORMATTING_EDITS, rng.randint(1, len(FORMATTING_EDITS)))
    for step in steps:
        code = step(code, language, rng)
    return code
