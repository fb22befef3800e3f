"""Server-side syntax highlighting, split into lines, so the page needs no JS highlighter.

Each line is closed and re-opened at its own boundaries (a multi-line string or comment
becomes one span per line), so the page can wrap every line in its own element and colour
fragment line ranges without parsing HTML. Attribute quotes are left out (`<span class=k>`):
class names are Pygments' short names, never user text, and the saving is a fifth of the
highlighted size.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape

from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.lexers.special import TextLexer
from pygments.token import STANDARD_TYPES, _TokenType
from pygments.util import ClassNotFound

#: Lines are joined with this; the page splits on it.
LINE_SEP = "\n"


@lru_cache(maxsize=256)
def _css_class(ttype: _TokenType) -> str:
    while ttype not in STANDARD_TYPES and ttype.parent is not None:
        ttype = ttype.parent
    return STANDARD_TYPES.get(ttype, "")


# stripnl=False: Pygments otherwise drops leading blank lines, and every fragment's line
# numbers below them would point one line off.
_OPTS = {"stripnl": False, "ensurenl": False, "tabsize": 4}


@lru_cache(maxsize=64)
def _lexer_by_name(language: str) -> Lexer | None:
    # Lexers hold no per-text state, so one instance per language serves every file.
    try:
        return get_lexer_by_name(language, **_OPTS) if language else None
    except ClassNotFound:
        return None


def _lexer(language: str, path: str) -> Lexer:
    lexer = _lexer_by_name(language.strip().lower())
    if lexer is not None:
        return lexer
    try:
        return get_lexer_for_filename(path, **_OPTS)
    except ClassNotFound:
        return TextLexer(**_OPTS)


def highlight_lines(text: str, language: str, path: str = "") -> list[str]:
    """One HTML string per source line (1-based line i is element i-1), text escaped.

    Only token classes the style colours get a span, and neighbouring tokens of one
    class share it: whitespace and plain names would otherwise be most of the markup
    (more than half of the highlighted size).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    styled = _styled_classes()
    lines: list[str] = []
    runs: list[list[str]] = []  # [class, text] of the current line

    def close_line() -> None:
        lines.append("".join(f"<span class={c}>{t}</span>" if c else t for c, t in runs))
        runs.clear()

    for ttype, value in _lexer(language, path).get_tokens(text):
        cls = _css_class(ttype)
        if cls not in styled:
            cls = ""
        for i, piece in enumerate(value.split("\n")):
            if i:
                close_line()
            if not piece:
                continue
            esc = escape(piece, quote=False)
            if runs and runs[-1][0] == cls:
                runs[-1][1] += esc
            else:
                runs.append([cls, esc])
    close_line()
    n_source = text.count("\n") + 1
    # A trailing newline ends the last line rather than starting an empty one.
    if text.endswith("\n"):
        n_source -= 1
    return lines[:n_source] + [""] * max(0, n_source - len(lines))


@lru_cache(maxsize=8)
def _styled_classes(style: str = "default") -> frozenset[str]:
    # "w" (whitespace) only colours the spaces themselves, which nobody sees.
    return frozenset(re.findall(r"^\.src \.([\w-]+) \{", style_css(".src", style), re.M)) - {"w"}


def style_css(scope: str = ".src", style: str = "default") -> str:
    """Token colours for the page, scoped so they never touch the rest of the report."""
    rules = HtmlFormatter(style=style).get_style_defs(scope).splitlines()
    keep = [r for r in rules if r.startswith(scope + " .") and not r.startswith(f"{scope} .err")]
    return "\n".join(keep)
