"""Shared helpers of the benchmarks: ROC-AUC, markdown tables, and rewriting one marked block of
docs/BENCHMARKS.md so that reruns replace their own figures and never touch other sections."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.stats import rankdata

DOC = Path(__file__).resolve().parent.parent / "docs" / "BENCHMARKS.md"

SKELETON = """# Benchmarks

Figures measured on the development machine (2 CPU cores, 24 GB, no GPU) unless a section says
otherwise. Every table names the command that produced it; rerunning that command replaces the
table between its markers.

## Structural similarity

## Scale
"""


def roc_auc(labels: Sequence[int], scores: Sequence[float]) -> float | None:
    """Mann-Whitney ROC-AUC with ties counted half; None when one class is missing."""
    y = np.asarray(labels, dtype=int)
    s = np.asarray(scores, dtype=float)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(s)
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def bootstrap_auc_diff(
    labels: Sequence[int], a: Sequence[float], b: Sequence[float], rounds: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """95% interval of AUC(a) - AUC(b) over pairs resampled with replacement (paired bootstrap):
    says whether a pooled difference is larger than the noise of a few hundred pairs."""
    rng = np.random.default_rng(seed)
    y = np.asarray(labels, dtype=int)
    sa, sb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    diffs = []
    for _ in range(rounds):
        idx = rng.integers(0, len(y), len(y))
        auc_a, auc_b = roc_auc(y[idx], sa[idx]), roc_auc(y[idx], sb[idx])
        if auc_a is not None and auc_b is not None:
            diffs.append(auc_a - auc_b)
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return float(lo), float(hi)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_block(section: str, marker: str, body: str, doc: Path = DOC) -> None:
    """Put `body` between `<!-- marker:begin -->` and `<!-- marker:end -->` inside `## section`.

    The block is replaced in place when it exists, else appended at the end of the section (the
    section itself is created when missing), so other helpers' sections stay as they are.
    """
    doc.parent.mkdir(parents=True, exist_ok=True)
    text = doc.read_text() if doc.exists() else SKELETON
    begin, end = f"<!-- {marker}:begin -->", f"<!-- {marker}:end -->"
    block = f"{begin}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        heading = f"## {section}"
        if heading not in text.splitlines():
            text = text.rstrip("\n") + f"\n\n{heading}\n"
        lines = text.splitlines()
        start = lines.index(heading)
        stop = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        while stop > start + 1 and not lines[stop - 1].strip():
            stop -= 1
        lines[stop:stop] = ["", *block.splitlines(), ""]
        text = "\n".join(lines)
    doc.write_text(text.rstrip("\n") + "\n")


def publish(section: str, marker: str, body: Sequence[str], write: bool) -> str:
    """Print a benchmark's section and (unless told not to) put it into docs/BENCHMARKS.md."""
    text = "\n".join(body)
    print(text)
    if write:
        write_block(section, marker, text)
    return text
