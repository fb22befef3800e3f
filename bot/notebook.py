"""A Jupyter notebook's file -> the Python of its code cells, which is what gets compared and scored.

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
"""

from __future__ import annotations

import json
import re
from typing import Any

NOT_NOTEBOOK = "not a valid Jupyter notebook"

NOTEBOOK_SUFFIX = ".ipynb"
# A notebook file carries its outputs (plots as base64 images, printed tables): files up to this
# size are opened, and the usual limit then applies to the code read from them.
NOTEBOOK_MAX_BYTES = 20_000_000
_PYTHON_KERNELS = frozenset({"python", "python2", "python3", "ipython", "ipython3"})
# A line that starts (after indentation) with an IPython magic or a shell escape.
_MAGIC_LINE = re.compile(r"[ \t]*[%!]")
_LEADING_BLANK_LINES = re.compile(r"^(?:[ \t]*\n)+")


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
