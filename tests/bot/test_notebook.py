"""bot/notebook.py: a notebook is the Python of its code cells; outputs and prose are never read."""

from __future__ import annotations

import json

from bot.notebook import NOT_NOTEBOOK, raw_limit
from bot.sourcetext import decode_source


def notebook(cells: list[dict[str, object]], language: str = "python") -> bytes:
    meta = {"kernelspec": {"name": "k", "language": language, "display_name": "K"}}
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": meta, "cells": cells}).encode()


def code_cell(source: str, outputs: list[object] | None = None) -> dict[str, object]:
    return {"cell_type": "code", "execution_count": 3, "metadata": {}, "source": source.splitlines(True),
            "outputs": outputs or []}  # fmt: skip


def test_a_notebook_is_read_as_the_python_of_its_code_cells() -> None:
    secret = "grades_of_the_whole_class.csv: alice 71, bob 64"
    data = notebook([
        {"cell_type": "markdown", "metadata": {}, "source": ["# Lab 3\n", "My answer."]},
        code_cell("%matplotlib inline\n\nimport math\n  !pip install numpy\n"),
        code_cell("def area(r):\n    return math.pi * r ** 2\n",
                  outputs=[{"output_type": "stream", "name": "stdout", "text": [secret]}]),
        {"cell_type": "raw", "metadata": {}, "source": "raw text"},
        code_cell("%%bash\nls -la\n"),
    ])  # fmt: skip
    text, reason = decode_source(data, "hw/Lab3.ipynb")
    # Code cells in order, two blank lines between them; magics, shell lines and %%bash cells left out.
    assert reason is None and text == "import math\n\n\ndef area(r):\n    return math.pi * r ** 2\n"
    assert secret not in text and "My answer" not in text  # outputs and markdown are never read
    assert decode_source(data, "hw/Lab3.json")[1] is None  # only the .ipynb name makes it a notebook
    assert decode_source(data, "hw/Lab3.json")[0] == data.decode()


def test_notebooks_that_are_not_read_say_why() -> None:
    assert decode_source(notebook([code_cell("x <- c(1, 2)")], "R"), "a.ipynb") == (
        None, "notebook in R (only Python notebooks are read)")  # fmt: skip
    assert decode_source(b"{not json", "a.ipynb") == (None, NOT_NOTEBOOK)
    assert decode_source(b"[1, 2]", "a.ipynb") == (None, NOT_NOTEBOOK)
    only_prose = notebook([{"cell_type": "markdown", "metadata": {}, "source": "text"}])
    assert decode_source(only_prose, "a.ipynb") == (None, "notebook without code cells")
    assert decode_source(notebook([code_cell("   \n")]), "a.ipynb") == (None, "notebook without code cells")


def test_an_nbformat_3_notebook_is_read_too() -> None:
    v3 = {"nbformat": 3, "metadata": {"language": "python"},
          "worksheets": [{"cells": [{"cell_type": "code", "input": ["x = 1\n", "y = 2"], "outputs": []}]}]}  # fmt: skip
    assert decode_source(json.dumps(v3).encode(), "old.IPYNB") == ("x = 1\ny = 2\n", None)


def test_a_notebooks_size_limit_is_on_its_code_not_its_outputs() -> None:
    plot = {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo" * 200_000}}
    data = notebook([code_cell("import matplotlib\n", outputs=[plot])])
    assert len(data) > 2_000_000 and raw_limit("a.ipynb", 1_000_000) >= len(data)
    assert decode_source(data, "a.ipynb", max_bytes=1_000_000) == ("import matplotlib\n", None)
    assert decode_source(data, "a.ipynb", max_bytes=10)[1] == "too large: 18 bytes (limit 10)"
    assert raw_limit("a.py", 1_000_000) == 1_000_000
