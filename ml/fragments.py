"""Matched fingerprints of two submissions -> maximal fragments with line ranges.

A copied block shows up as many matching fingerprints; reviewers want it as one
region ("a.java 12-40 ~ b.java 8-37"), not as dozens of k-gram hits. Two steps:

1. Runs: matches on one diagonal (same offset between the two token positions) whose
   k-grams touch or overlap form one run of identical tokens.
2. Merging (after JPlag's subsequence-match merging): a run that starts shortly after
   a fragment ends, on *both* sides, extends that fragment. Inserted junk statements
   or a changed line leave a small gap on one or both sides; without merging they
   would shatter one copy into unrelated-looking pieces.

Fragments never cross files: each side of a fragment lies in one file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ml.fingerprint import Fingerprints
from ml.submission import Fragment

# A hash occurring more often than this in one file is repetitive code (a run of
# identical statements): matching all its copies pairwise only adds noise.
MAX_OCCURRENCES = 8


@dataclass
class _Run:
    file_a: int
    file_b: int
    a_start: int  # first token (inclusive)
    a_end: int  # last token + 1
    b_start: int
    b_end: int
    a_lines: tuple[int, int]
    b_lines: tuple[int, int]
    tokens: int  # matched tokens on side a (gaps excluded)


@dataclass(frozen=True)
class Side:
    """One submission's fingerprints flattened over its files, prepared once for many pairs.

    Building this per pair dominated the cost of large scans; a scan builds it once
    per reported submission.
    """

    labels: tuple[str, ...]  # file label per file index
    k: int
    hashes: np.ndarray  # uint64, file by file
    file_ids: np.ndarray  # int64
    positions: np.ndarray  # int64
    start_lines: np.ndarray  # int64
    end_lines: np.ndarray  # int64
    usable: np.ndarray  # bool: counted (not ignored) and not repetitive within this side
    order: np.ndarray  # argsort of hashes
    sorted_hashes: np.ndarray

    @classmethod
    def build(
        cls, files: Sequence[tuple[str, Fingerprints]], ignored: np.ndarray | None = None, k: int | None = None
    ) -> Side:
        prints = [fp for _, fp in files]
        if prints:
            hashes = np.concatenate([f.hashes for f in prints])
            file_ids = np.concatenate([np.full(len(f), i, dtype=np.int64) for i, f in enumerate(prints)])
            positions = np.concatenate([f.positions for f in prints]).astype(np.int64)
            starts = np.concatenate([f.start_lines for f in prints]).astype(np.int64)
            ends = np.concatenate([f.end_lines for f in prints]).astype(np.int64)
        else:
            hashes = np.zeros(0, dtype=np.uint64)
            file_ids = positions = starts = ends = np.zeros(0, dtype=np.int64)
        order = np.argsort(hashes, kind="stable")
        sorted_hashes = hashes[order]
        # occurrences of each fingerprint's hash within this side
        left = np.searchsorted(sorted_hashes, hashes, side="left")
        right = np.searchsorted(sorted_hashes, hashes, side="right")
        usable = (right - left) <= MAX_OCCURRENCES
        if ignored is not None and ignored.size:
            usable &= ~np.isin(hashes, ignored)
        kk = k if k is not None else (prints[0].k if prints else 1)
        return cls(
            tuple(label for label, _ in files), kk, hashes, file_ids, positions, starts, ends, usable, order, sorted_hashes
        )


def match_fingerprints(a: Side, b: Side) -> np.ndarray:
    """All (a index, b index) pairs of equal, usable hashes, as an (m, 2) int64 array."""
    a_idx = np.nonzero(a.usable)[0]
    if a_idx.size == 0 or b.hashes.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    ha = a.hashes[a_idx]
    left = np.searchsorted(b.sorted_hashes, ha, side="left")
    right = np.searchsorted(b.sorted_hashes, ha, side="right")
    counts = right - left
    # b's copy must be usable too (same ignored set; not repetitive in b)
    hit = counts > 0
    hit[hit] &= b.usable[b.order[left[hit]]]
    a_idx, left, counts = a_idx[hit], left[hit], counts[hit]
    if a_idx.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    a_rep = np.repeat(a_idx, counts)
    starts = np.repeat(left, counts)
    offsets = np.arange(a_rep.shape[0]) - np.repeat(np.cumsum(counts) - counts, counts)
    b_rep = b.order[starts + offsets]
    return np.stack([a_rep, b_rep], axis=1).astype(np.int64)


def _runs(a: Side, b: Side, pairs: np.ndarray, k: int) -> list[_Run]:
    """Group matches into unbroken runs, vectorised: one sort, then segment reductions."""
    fa, pa, sa, ea = a.file_ids, a.positions, a.start_lines, a.end_lines
    fb, pb, sb, eb = b.file_ids, b.positions, b.start_lines, b.end_lines
    ia, ib = pairs[:, 0], pairs[:, 1]
    file_a, file_b = fa[ia], fb[ib]
    pos_a, pos_b = pa[ia], pb[ib]
    diag = pos_b - pos_a
    order = np.lexsort((pos_a, diag, file_b, file_a))
    ia, ib = ia[order], ib[order]
    file_a, file_b, pos_a, pos_b, diag = file_a[order], file_b[order], pos_a[order], pos_b[order], diag[order]
    # A new run starts at a change of file pair or diagonal, or where k-grams stop touching.
    new = np.ones(order.shape[0], dtype=bool)
    new[1:] = (
        (file_a[1:] != file_a[:-1])
        | (file_b[1:] != file_b[:-1])
        | (diag[1:] != diag[:-1])
        | (pos_a[1:] > pos_a[:-1] + k)
    )
    starts = np.nonzero(new)[0]
    last = np.append(starts[1:], order.shape[0]) - 1
    a_first = pos_a[starts]
    a_end = pos_a[last] + k
    b_first = pos_b[starts]
    a_line_lo = np.minimum.reduceat(sa[ia], starts)
    a_line_hi = np.maximum.reduceat(ea[ia], starts)
    b_line_lo = np.minimum.reduceat(sb[ib], starts)
    b_line_hi = np.maximum.reduceat(eb[ib], starts)
    return [
        _Run(
            int(file_a[s]), int(file_b[s]), int(a0), int(a1), int(b0), int(b0 + (a1 - a0)),
            (int(la), int(ha)), (int(lb), int(hb)), int(a1 - a0),
        )
        for s, a0, a1, b0, la, ha, lb, hb in zip(
            starts.tolist(), a_first.tolist(), a_end.tolist(), b_first.tolist(),
            a_line_lo.tolist(), a_line_hi.tolist(), b_line_lo.tolist(), b_line_hi.tolist(), strict=True,
        )
    ]  # fmt: skip


def _merge(runs: list[_Run], max_gap: int) -> list[_Run]:
    """Greedy merge in order of side a: extend the fragment whose ends are nearest, on both sides."""
    runs.sort(key=lambda r: (r.file_a, r.a_start, r.b_start))
    merged: list[_Run] = []
    open_by_files: dict[tuple[int, int], list[_Run]] = {}
    for run in runs:
        candidates = open_by_files.setdefault((run.file_a, run.file_b), [])
        best: _Run | None = None
        best_gap = max_gap * 2 + 1
        for frag in candidates:
            gap_a = run.a_start - frag.a_end
            gap_b = run.b_start - frag.b_end
            # Small overlaps happen where winnowing picked neighbouring k-grams.
            if -run.tokens < gap_a <= max_gap and -run.tokens < gap_b <= max_gap and run.b_start > frag.b_start:
                gap = max(gap_a, 0) + max(gap_b, 0)
                if gap < best_gap:
                    best, best_gap = frag, gap
        if best is None:
            fresh = _Run(**vars(run))
            candidates.append(fresh)
            merged.append(fresh)
            continue
        best.tokens += run.tokens if run.a_start >= best.a_end else max(0, run.a_end - best.a_end)
        best.a_end = max(best.a_end, run.a_end)
        best.b_end = max(best.b_end, run.b_end)
        best.a_lines = (min(best.a_lines[0], run.a_lines[0]), max(best.a_lines[1], run.a_lines[1]))
        best.b_lines = (min(best.b_lines[0], run.b_lines[0]), max(best.b_lines[1], run.b_lines[1]))
    return merged


def fragments_between(a: Side, b: Side, *, max_gap: int | None = None, min_tokens: int | None = None) -> list[Fragment]:
    """Maximal matched fragments between two prepared sides, largest first (see find_fragments)."""
    k = a.k
    gap = 2 * k if max_gap is None else max_gap
    floor = k if min_tokens is None else min_tokens
    pairs = match_fingerprints(a, b)
    if pairs.shape[0] == 0:
        return []
    # Fragments may nest on both sides: a moved block matched elsewhere lies inside
    # the span of the fragment that merged across its old place. Both are reported.
    frags = [f for f in _merge(_runs(a, b, pairs, k), gap) if f.tokens >= floor]
    frags.sort(key=lambda r: (-r.tokens, r.file_a, r.a_start))
    return [
        Fragment(
            a_path=a.labels[f.file_a],
            a_lines=f.a_lines,
            b_path=b.labels[f.file_b],
            b_lines=f.b_lines,
            tokens=f.tokens,
        )
        for f in frags
    ]


def find_fragments(
    a_files: Sequence[tuple[str, Fingerprints]],
    b_files: Sequence[tuple[str, Fingerprints]],
    *,
    ignored: np.ndarray | None = None,
    max_gap: int | None = None,
    min_tokens: int | None = None,
) -> list[Fragment]:
    """Maximal matched fragments between two submissions (labelled files), largest first.

    `ignored`: hashes that must not match (base code, too-common fingerprints).
    `max_gap`: tokens of unmatched code a fragment may bridge on each side
    (default 2k, about three statements of our fine-grained tokens).
    `min_tokens`: fragments covering fewer tokens are dropped (default k).
    """
    if not a_files or not b_files:
        return []
    return fragments_between(
        Side.build(a_files, ignored), Side.build(b_files, ignored), max_gap=max_gap, min_tokens=min_tokens
    )
