"""Files longer than the encoder's max_length: overlapping token windows, then one answer per file.

Why windows rather than truncation: a student file is often 2-10x longer than 256 tokens, and
what gives AI code away (a helper's docstring, a comment style) may sit anywhere in it;
truncation would silently score only the head of the file.

- Windows overlap by a quarter of their length, so a construct cut at one window's edge is
  whole in the next one.
- Embeddings are averaged weighted by each window's real (non-overlap-adjusted) token count,
  then re-normalised to unit length: a short tail window must not weigh as much as a full one,
  and cosine similarity needs unit vectors.
- Scores: see `aggregate_logits`; the method is chosen by measurement on aigen dev
  (benchmarks/eval_aigen.py --window-agg) and stored as the default below.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

Aggregation = Literal["mean", "max", "weighted_mean"]
#: Default chosen by measurement on aigen dev (see docs/BENCHMARKS.md, "window aggregation").
DEFAULT_AGGREGATION: Aggregation = "weighted_mean"


def window_spans(n_tokens: int, window: int, overlap: int | None = None) -> list[tuple[int, int]]:
    """[start, end) spans covering range(n_tokens) with windows of `window` tokens.

    Windows advance by window - overlap; the last one is shifted left to end exactly at
    n_tokens (so it is full-length whenever the file is longer than one window), which
    keeps every window as informative as possible.
    """
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    if overlap is None:
        overlap = window // 4
    if not 0 <= overlap < window:
        raise ValueError(f"overlap must be in [0, window), got {overlap}")
    if n_tokens <= window:
        return [(0, n_tokens)]
    stride = window - overlap
    spans: list[tuple[int, int]] = []
    start = 0
    while True:
        end = start + window
        if end >= n_tokens:
            spans.append((n_tokens - window, n_tokens))
            break
        spans.append((start, end))
        start += stride
    # The shifted last window can coincide with the previous one when lengths align.
    dedup: list[tuple[int, int]] = []
    for s in spans:
        if not dedup or s != dedup[-1]:
            dedup.append(s)
    return dedup


def build_windows(
    token_ids: Sequence[int],
    max_length: int,
    cls_id: int,
    sep_id: int,
    overlap: int | None = None,
) -> tuple[list[list[int]], list[int]]:
    """Split content token ids (no special tokens) into [CLS] ... [SEP] windows of <= max_length.

    Returns (windows, weights) where weights are the content-token counts of each window.
    """
    content = max_length - 2
    if content < 1:
        raise ValueError(f"max_length must leave room for [CLS] and [SEP], got {max_length}")
    spans = window_spans(len(token_ids), content, overlap)
    windows = [[cls_id, *token_ids[s:e], sep_id] for s, e in spans]
    weights = [max(e - s, 1) for s, e in spans]
    return windows, weights


def pad_windows(windows: Sequence[Sequence[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """A batch of windows as (input_ids, attention_mask), both int64 [B, longest], right-padded."""
    width = max(len(w) for w in windows)
    ids = np.full((len(windows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(windows), width), dtype=np.int64)
    for r, win in enumerate(windows):
        ids[r, : len(win)] = win
        mask[r, : len(win)] = 1
    return ids, mask


def aggregate_embeddings(embeddings: np.ndarray, weights: Sequence[float] | np.ndarray) -> np.ndarray:
    """Token-weighted mean of window embeddings [W, D], re-normalised to unit L2 norm."""
    e = np.asarray(embeddings, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if e.ndim != 2 or e.shape[0] != w.shape[0] or e.shape[0] == 0:
        raise ValueError(f"need [W, D] embeddings and W weights, got {e.shape} and {w.shape}")
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be non-negative with a positive sum")
    v = (e * w[:, None]).sum(axis=0) / w.sum()
    norm = np.linalg.norm(v)
    if norm < 1e-12:
        return v.astype(np.float32)
    return (v / norm).astype(np.float32)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def aggregate_logits(
    logits: Sequence[float] | np.ndarray, weights: Sequence[float], how: Aggregation = DEFAULT_AGGREGATION
) -> float:
    """One AI probability for a file from its windows' logits.

    - "weighted_mean": token-weighted mean of logits, then sigmoid — a log-odds average, so
      every window is evidence about the same author and a short tail window counts less;
    - "mean": unweighted mean of logits;
    - "max": the most AI-looking window — sensitive to one pasted AI part, but it also raises
      the false-positive rate on long human files (more windows, more chances for an outlier).
    """
    z = np.asarray(logits, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if z.ndim != 1 or z.shape != w.shape or z.size == 0:
        raise ValueError(f"need W logits and W weights, got {z.shape} and {w.shape}")
    if how == "max":
        agg = float(z.max())
    elif how == "mean":
        agg = float(z.mean())
    elif how == "weighted_mean":
        if (w < 0).any() or w.sum() <= 0:
            raise ValueError("weights must be non-negative with a positive sum")
        agg = float((z * w).sum() / w.sum())
    else:
        raise ValueError(f"unknown aggregation {how!r}")
    return float(_sigmoid(np.array(agg)))
