"""A submitted file's bytes -> its text, the same way however the code arrived.

Folders on disk (`codeguard scan`, `codeguard detect`), pull/merge requests and LMS uploads
all end here, so a file is read, or skipped, for the same reason in every report.

Why the fallbacks: students write code in Windows editors. UTF-8 with a byte-order mark,
Windows-1252 (an accented letter in a comment or a string) and UTF-16 with a byte-order
mark (Notepad, a PowerShell redirect) are all common in a class. Skipping such a file
would drop a student's work from every comparison because of one byte in a comment, so
text that is not UTF-8 is read as Windows-1252, and failing that as Latin-1 (which reads
any bytes). Only files with NUL bytes (and no UTF-16 mark) count as binary.

Jupyter notebooks (`.ipynb`) are read as the Python of their code cells, in order, two blank
lines between cells; line numbers in reports count the lines of that text (the HTML report shows
it). IPython magics and shell lines (`%timeit`, `!pip install`, whole `%%bash` cells) are left
out: they are not Python. Markdown and outputs are never read (outputs can hold the data a
student ran the code on), which is also why a notebook's size limit applies to its code, not
to the file. How cells are joined moves the AI score (blank lines are a style habit the model
reads): on aigen dev's Python files cut into cells (benchmarks/notebook_cells.py), two blank
lines lowered human files' scores (0 of 177 at `high`), where one blank line, PEP 8's spacing or
no separator put 2 there and a `# %% cell N` marker line per cell 3. With no notebook in the
training data, the join that errs towards human was chosen.

Pure functions of bytes: nothing here is executed, logged or stored.
"""

from __future__ import annotations

import codecs
import json
import re
from html.parser import HTMLParser
from typing import Any

# How far into a file to look for NUL bytes (as git does): enough for any source file's start.
SNIFF_BYTES = 8192
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Tried in order after UTF-8; Latin-1 maps every byte, so the last one always succeeds.
_FALLBACKS = ("cp1252", "latin-1")
# Skip reasons every way of reading code shares, so reports use the same words.
BINARY = "binary file"
EMPTY = "empty file"
NOT_CODE = "not a recognised code file"
SYMLINK = "symbolic link (not followed)"
NOT_NOTEBOOK = "not a valid Jupyter notebook"

NOTEBOOK_SUFFIX = ".ipynb"
# A notebook file carries its outputs (plots as base64 images, printed tables): files up to this
# size are opened, and the usual limit then applies to the code read from them.
NOTEBOOK_MAX_BYTES = 20_000_000
_PYTHON_KERNELS = frozenset({"python", "python2", "python3", "ipython", "ipython3"})
# A line that starts (after indentation) with an IPython magic or a shell escape.
_MAGIC_LINE = re.compile(r"[ \t]*[%!]")
_LEADING_BLANK_LINES = re.compile(r"^(?:[ \t]*\n)+")


def _decode(data: bytes) -> str | None:
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in data[:SNIFF_BYTES]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    for encoding in _FALLBACKS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None  # pragma: no cover - Latin-1 decodes every byte string


def is_notebook(path: str) -> bool:
    return path.lower().endswith(NOTEBOOK_SUFFIX)


def raw_limit(path: str, max_bytes: int) -> int:
    """How large the file itself may be: `max_bytes`, or more for a notebook (its outputs)."""
    return max(max_bytes, NOTEBOOK_MAX_BYTES) if is_notebook(path) else max_bytes


def _cell_python(source: str) -> str:
    if source.lstrip().startswith("%%"):  # a cell magic: the whole cell is another language
        return ""
    return "\n".join(line for line in source.splitlines() if not _MAGIC_LINE.match(line))


def _kernel_language(nb: dict[str, Any]) -> str:
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    for where, key in ((meta.get("kernelspec"), "language"), (meta.get("language_info"), "name"), (meta, "language")):
        if isinstance(where, dict) and isinstance(where.get(key), str) and where[key].strip():
            return str(where[key]).strip()
    return "python"


def notebook_code(text: str) -> tuple[str | None, str | None]:
    """(the code cells as Python text, None), or (None, why not) for a notebook's JSON text."""
    try:
        nb = json.loads(text)
    except ValueError:
        return None, NOT_NOTEBOOK
    if not isinstance(nb, dict):
        return None, NOT_NOTEBOOK
    cells = nb.get("cells")
    if cells is None:  # nbformat 3 kept cells in worksheets, and code in "input"
        cells = [c for ws in nb.get("worksheets") or [] if isinstance(ws, dict) for c in ws.get("cells") or []]
    if not isinstance(cells, list):
        return None, NOT_NOTEBOOK
    language = _kernel_language(nb)
    if language.lower() not in _PYTHON_KERNELS:
        return None, f"notebook in {language} (only Python notebooks are read)"
    parts = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", cell.get("input", ""))
        if isinstance(source, list):
            source = "".join(str(line) for line in source)
        code = _LEADING_BLANK_LINES.sub("", _cell_python(str(source))).rstrip()
        if code:
            parts.append(code)
    if not parts:
        return None, "notebook without code cells"
    return "\n\n\n".join(parts) + "\n", None


def decode_source(data: bytes, path: str = "", max_bytes: int | None = None) -> tuple[str | None, str | None]:
    """(text, None), or (None, why it is skipped: BINARY, EMPTY, or a notebook's reason).

    `path` tells a notebook apart; `max_bytes` then bounds the code read from it."""
    text = _decode(data)
    if text is None:
        return None, BINARY
    if is_notebook(path):
        text, reason = notebook_code(text)
        if text is None:
            return None, reason
        if max_bytes is not None and (reason := too_large(len(text.encode("utf-8")), max_bytes)):
            return None, reason
    if not text.strip():
        return None, EMPTY
    return text, None


_BLOCK_TAGS = frozenset({"p", "div", "li", "pre", "tr", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"})


class _TextOf(HTMLParser):
    """The text an LMS's rich-text editor shows: a line per paragraph, `<br>` and block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pre = 0
        # Text since the last line break: a block ends a line only if one is open, so nested blocks
        # and `<p>...<br></p>` do not add blank lines the student never typed.
        self.line_open = False

    def _newline(self) -> None:
        self.parts.append("\n")
        self.line_open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._newline()
        elif tag == "pre":
            self.pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in _BLOCK_TAGS and self.line_open:
            self._newline()

    def handle_data(self, data: str) -> None:
        if not self.pre and not data.strip() and "\n" in data:
            return  # the editor's own line breaks between tags, not the student's
        self.parts.append(data)
        self.line_open = not data.endswith("\n")


def html_text(html: str) -> str:
    """The code a student pasted into an LMS's online-text editor, from the HTML it stored.

    Editors keep indentation as non-breaking spaces and lines as paragraphs; both come back
    as the spaces and line breaks the student typed."""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ").replace("\r\n", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n") + "\n"


def too_large(size: int, limit: int) -> str | None:
    """The skip reason for a file of `size` bytes over `limit`, else None."""
    return f"too large: {size} bytes (limit {limit})" if size > limit else None
