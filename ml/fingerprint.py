"""k-gram hashing and winnowing (Schleimer, Wilkerson & Aiken 2003, the MOSS algorithm).

Every run of k consecutive normalised tokens is hashed; winnowing keeps, from each
window of `window` consecutive k-gram hashes, the minimum (the rightmost one on ties).
That gives the guarantee the engine relies on: any run of at least window + k - 1
tokens shared by two files yields at least one common fingerprint, while only about
2 / (window + 1) of all k-grams are stored.

Hashes are computed with numpy over the uint32 token ids (a polynomial hash modulo
2**64, then a splitmix64 finaliser so that the minimum of a window is a fair sample),
so they are identical in every process: fingerprints can be cached and compared later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml.tokens import TokenStream

_BASE = np.uint64(0x100000001B3)  # odd multiplier (FNV-64 prime)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


@dataclass(frozen=True)
class Fingerprints:
    """Winnowed fingerprints of one file; arrays are parallel, ordered by position."""

    hashes: np.ndarray  # uint64
    positions: np.ndarray  # int32: index of the k-gram's first token
    start_lines: np.ndarray  # int32: first source line of the k-gram
    end_lines: np.ndarray  # int32: last source line of the k-gram
    n_tokens: int
    k: int
    window: int

    def __len__(self) -> int:
        return int(self.hashes.shape[0])


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: polynomial hashes of similar k-grams are otherwise correlated."""
    z = values.copy()
    z ^= z >> np.uint64(30)
    z *= _MIX1
    z ^= z >> np.uint64(27)
    z *= _MIX2
    z ^= z >> np.uint64(31)
    return z


def kgram_hashes(ids: np.ndarray, k: int) -> np.ndarray:
    """Hash of every k-gram of `ids` (length len(ids) - k + 1, empty when shorter than k)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    n = int(ids.shape[0]) - k + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    tokens = ids.astype(np.uint64, copy=False)
    with np.errstate(over="ignore"):
        h = tokens[0:n].copy()
        for j in range(1, k):
            h *= _BASE
            h += tokens[j : j + n]
        return _mix(h)


def winnow(hashes: np.ndarray, window: int) -> np.ndarray:
    """Positions picked by winnowing: the rightmost minimum of each window, deduplicated.

    A sequence shorter than one window still yields its minimum, so short files
    keep one fingerprint instead of none.
    """
    if window < 1:
        raise ValueError("window must be at least 1")
    n = int(hashes.shape[0])
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if window == 1:
        return np.arange(n, dtype=np.int64)
    if n <= window:
        return np.array([n - 1 - int(np.argmin(hashes[::-1]))], dtype=np.int64)
    views = np.lib.stride_tricks.sliding_window_view(hashes, window)
    # argmin returns the first minimum; over the reversed window that is the rightmost.
    picks = (window - 1) - np.argmin(views[:, ::-1], axis=1)
    picks += np.arange(n - window + 1)
    # Consecutive windows usually pick the same position; keep each position once.
    keep = np.empty(picks.shape[0], dtype=bool)
    keep[0] = True
    np.not_equal(picks[1:], picks[:-1], out=keep[1:])
    return picks[keep].astype(np.int64, copy=False)


def fingerprint(stream: TokenStream, k: int, window: int) -> Fingerprints:
    """Winnowed k-gram fingerprints of one token stream, with their source line ranges."""
    hashes = kgram_hashes(stream.ids, k)
    picks = winnow(hashes, window)
    ends = picks + (k - 1)
    return Fingerprints(
        hashes=hashes[picks],
        positions=picks.astype(np.int32),
        start_lines=stream.start_lines[picks].astype(np.int32, copy=False),
        end_lines=stream.end_lines[ends].astype(np.int32, copy=False)
        if len(picks)
        else np.zeros(0, np.int32),
        n_tokens=len(stream),
        k=k,
        window=window,
    )
