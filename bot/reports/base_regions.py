"""Which lines of a shown file come from the base (starter) code, so the page can grey them.

The engine already ignores base-code fingerprints when scoring; this finds the same
k-grams again for display, using the engine's own fingerprints (window 1 on both sides,
so every k-gram is compared, not only the ones winnowing happened to pick). Only the
submissions a report shows side by side are fingerprinted again, which keeps it cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from bot.reports.view import full_path
from ml.structural import DEFAULT_K, fingerprint_submission
from ml.submission import Submission


def _merge(starts: np.ndarray, ends: np.ndarray) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(zip(starts.tolist(), ends.tolist(), strict=True)):
        if out and s <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def base_regions(
    submissions: Iterable[Submission], base: Sequence[Submission], *, k: int = DEFAULT_K
) -> dict[str, list[tuple[int, int]]]:
    """Full file path ("<submission>/<path>") -> merged base-code line ranges (1-based, inclusive)."""
    if not base:
        return {}
    hashes = [
        f.prints.hashes for b in base for f in fingerprint_submission(b, k=k, window=1).files
    ]
    if not hashes:
        return {}
    base_hashes = np.unique(np.concatenate(hashes))
    out: dict[str, list[tuple[int, int]]] = {}
    for sub in submissions:
        for f in fingerprint_submission(sub, k=k, window=1).files:
            fp = f.prints
            hit = np.isin(fp.hashes, base_hashes)
            if hit.any():
                out[full_path(sub.name, f.path)] = _merge(fp.start_lines[hit], fp.end_lines[hit])
    return out
