"""How reading a file as notebook cells moves its AI score: the check behind bot/notebook.py.

A notebook reaches the model as its code cells joined into one Python text. There is no notebook in
../shared/data, so this takes the Python files of aigen dev, cuts each into "cells" at its blank
lines (the blocks a notebook author would put in cells), joins them back in several ways, and scores
every version with the served model: joined by one or by two blank lines (bot/notebook.py writes
two), two before a definition and one elsewhere (PEP 8's spacing), with a `# %% cell N` marker line
before each cell (the "percent" format that editors open as cells), and with no separator. A way of joining that moves human files' scores would flag students for the
format of their submission, not for how they wrote it.

    .venv/bin/python -m benchmarks.notebook_cells      # about 30 s on 2 cores

Prints one markdown table (docs/BENCHMARKS.md, "Notebooks"). Code is only read, never run.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import markdown_table, roc_auc  # noqa: E402

DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "aigen" / "dev.jsonl"
_BLANK = re.compile(r"\n(?:[ \t]*\n)+")


def cells(code: str) -> list[str]:
    """The file's blocks between blank lines: the cells a notebook author would likely make."""
    return [c for c in _BLANK.split(code.strip("\n")) if c.strip()]


_DEF = re.compile(r"(?:@|def |class |async def )")


def pep8_join(parts: list[str]) -> str:
    """Two blank lines before a cell that starts a top-level definition, one before any other."""
    out = parts[0] if parts else ""
    for part in parts[1:]:
        out += ("\n\n\n" if _DEF.match(part) else "\n\n") + part
    return out + "\n"


JOINS: dict[str, Callable[[str], str]] = {
    "as written": lambda code: code,
    "cells, one blank line between": lambda code: "\n\n".join(cells(code)) + "\n",
    "cells, a `# %% cell N` line before each": lambda code: "\n\n".join(
        f"# %% cell {i}\n{c}" for i, c in enumerate(cells(code), 1)
    )
    + "\n",
    "cells, no separator": lambda code: "\n".join(cells(code)) + "\n",
    "cells, two blank lines between (shipped)": lambda code: "\n\n\n".join(cells(code)) + "\n",
    "cells, two blank lines before def/class, else one": lambda code: pep8_join(cells(code)),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="model folder (default: the shipped model)")
    args = parser.parse_args(argv)
    from ml.inference import get_detector

    rows = [json.loads(line) for line in DEV.open() if line.strip()]
    rows = [r for r in rows if r["language"] == "python"]
    y = np.array([int(r["label"]) for r in rows])
    detector = get_detector(args.model)
    n_cells = [len(cells(r["code"])) for r in rows]
    table, base = [], None
    for name, join in JOINS.items():
        scores = detector.score([join(r["code"]) for r in rows], ["python"] * len(rows))
        base = scores if base is None else base
        levels = np.array([detector.level(float(s)) for s in scores])
        table.append([
            name, f"{roc_auc(y, scores):.3f}", f"{np.mean(scores[y == 0] - base[y == 0]):+.3f}",
            f"{int(np.sum((levels == 'high') & (y == 0)))} / {int(np.sum(y == 0))}",
            f"{int(np.sum((levels != 'low') & (y == 0)))}",
            f"{int(np.sum((levels == 'high') & (y == 1)))} / {int(np.sum(y == 1))}",
        ])  # fmt: skip
    header = ["text the model reads", "ROC-AUC", "mean human score shift", "humans at high", "humans at medium+",
              "AI at high"]  # fmt: skip
    print(markdown_table(header, table))
    print(f"\n{len(rows)} Python files of aigen dev; cells per file: median {np.median(n_cells):.0f}, "
          f"mean {np.mean(n_cells):.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
