"""benchmarks/notebook_cells.py: how a file is cut into cells and joined back."""

from __future__ import annotations

from benchmarks.notebook_cells import JOINS, cells

CODE = "import math\n\n\ndef area(r):\n    return math.pi * r ** 2\n  \nprint(area(2))\n"


def test_cells_are_the_blocks_between_blank_lines_and_the_shipped_join_keeps_them() -> None:
    assert cells(CODE) == ["import math", "def area(r):\n    return math.pi * r ** 2", "print(area(2))"]
    shipped = JOINS["cells, two blank lines between (shipped)"](CODE)
    assert shipped == "import math\n\n\ndef area(r):\n    return math.pi * r ** 2\n\n\nprint(area(2))\n"
    pep8 = JOINS["cells, two blank lines before def/class, else one"](CODE)
    assert pep8 == "import math\n\n\ndef area(r):\n    return math.pi * r ** 2\n\nprint(area(2))\n"
    marked = JOINS["cells, a `# %% cell N` line before each"](CODE)
    assert marked.count("# %% cell ") == 3 and marked.startswith("# %% cell 1\nimport math\n\n# %% cell 2\n")
