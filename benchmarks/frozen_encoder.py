"""The packaged encoder, frozen, as a stacked reader: a candidate evidence signal, measured, not shipped.

Why: the issue's own probe (a frozen all-MiniLM encoder with a linear probe: dev ROC-AUC 0.80) and
the shipped model's encoder path (trained as a residual beside the file evidence: dev 0.58 alone,
weight 0 in the served score) leave one question open: does what a pre-trained encoder sees of a
file -- semantics of names, comments and structure, none of it fitted on this data -- add to the
two cheap readers when it is stacked like them, out of fold over the same task folds? Frozen, the
encoder has seen none of the training files, so its out-of-fold values are as honest as the other
columns' (the shipped model's fine-tuned encoder trained on those files and could not be stacked so).

Each file is read as the model reads it (`ml.codetext.prepare`: explicit layout markers, no
`package` header), cut into 256-token windows (`ml.windows.build_windows`), and the first
`MAX_WINDOWS` windows' mean-pooled hidden states are averaged by token count and L2-normalised.
A standardised logistic regression turns the 384 numbers into log-odds. Embeddings are cached by
content hash under scratch/ (about 10 windows per second on 2 cores: half an hour for the recipe's files).
`benchmarks.evidence_variants` scores it as the `frozen-encoder` variant.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "scratch" / "benchmarks" / "frozen_encoder.npz"
WINDOW = 256
MAX_WINDOWS = 1  # the first window: two cost twice the time (~10 windows/s here) for a probe
BATCH = 32
K = 25  # neighbours of the kNN reading
C = 0.1  # L2 strength of the probe: 384 correlated inputs, ~16k files


def content_key(code: str) -> str:
    return hashlib.sha1(code.encode("utf-8", "surrogatepass")).hexdigest()


def _load_cache(path: Path | None, tag: str) -> dict[str, np.ndarray]:
    """Cached vectors by content key, if `path` holds vectors of the same backbone and windows."""
    if path is None or not path.exists():
        return {}
    with np.load(path) as z:
        if str(z["tag"]) != tag:
            return {}
        return dict(zip(z["keys"].tolist(), z["vectors"], strict=True))


def _save_cache(path: Path | None, tag: str, cache: dict[str, np.ndarray]) -> None:
    if path is None or not cache:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = sorted(cache)
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez(tmp, tag=np.array(tag), keys=np.array(keys), vectors=np.stack([cache[k] for k in keys]))
    tmp.replace(path)


def frozen_embeddings(
    codes: Sequence[str],
    *,
    backbone: str | None = None,
    window: int = WINDOW,
    max_windows: int = MAX_WINDOWS,
    cache_path: Path | None = None,
    log: bool = True,
) -> np.ndarray:
    """[n, hidden] unit vectors: the frozen backbone's (default: the packaged MiniLM) view of each
    file's first `max_windows` windows. With `cache_path`, vectors computed before for the same
    backbone and windows are read from there and new ones added."""
    import torch

    from ml.codetext import prepare
    from ml.config import PACKAGED_MINILM
    from ml.model import load_backbone, load_tokenizer, mean_pool
    from ml.windows import aggregate_embeddings, build_windows, pad_windows

    name = backbone or PACKAGED_MINILM
    tag = f"{name}|{window}|{max_windows}"
    cache = _load_cache(cache_path, tag)
    keys = [content_key(c) for c in codes]
    todo = sorted({k: c for k, c in zip(keys, codes, strict=True) if k not in cache}.items())
    if todo:
        tok, model = load_tokenizer(name), load_backbone(name).eval()
        cls_id, sep_id, pad_id = int(tok.cls_token_id), int(tok.sep_token_id), int(tok.pad_token_id or 0)
        wins: list[tuple[str, list[int], int]] = []  # (file key, window ids, content tokens)
        for key, code in todo:
            ids = tok(prepare(code), add_special_tokens=False)["input_ids"] or [int(tok.unk_token_id)]
            ws, weights = build_windows(ids, window, cls_id, sep_id)
            wins += [(key, w, n) for w, n in zip(ws[:max_windows], weights[:max_windows], strict=True)]
        wins.sort(key=lambda t: len(t[1]))  # batches of like length pad little
        pooled: dict[str, list[tuple[np.ndarray, int]]] = {}
        t0 = time.time()
        with torch.inference_mode():
            for b in range(0, len(wins), BATCH):
                chunk = wins[b : b + BATCH]
                ids, mask = map(torch.from_numpy, pad_windows([w for _, w, _ in chunk], pad_id))
                out = mean_pool(model(input_ids=ids, attention_mask=mask).last_hidden_state, mask).numpy()
                for (key, _, n), vec in zip(chunk, out, strict=True):
                    pooled.setdefault(key, []).append((vec, n))
                if log and (b // BATCH) % 50 == 0:
                    print(f"frozen encoder: {b + len(chunk)}/{len(wins)} windows, {time.time() - t0:.0f}s",
                          file=sys.stderr, flush=True)
        for key, parts in pooled.items():
            cache[key] = aggregate_embeddings(np.stack([v for v, _ in parts]), [n for _, n in parts])
        _save_cache(cache_path, tag, cache)
    return np.stack([cache[k] for k in keys]).astype(np.float32)


class FrozenEncoderEvidence:
    """Log-odds of a standardised logistic regression over frozen-encoder vectors (> 0 reads as AI)."""

    def __init__(self, vectors: Any, labels: np.ndarray | list[int], c: float = C) -> None:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        y = np.asarray(labels)
        if set(np.unique(y).tolist()) != {0, 1}:
            raise ValueError("frozen-encoder evidence needs both human (0) and AI (1) training files")
        self.model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000))
        self.model.fit(np.asarray(vectors), y)

    def scores(self, vectors: Any) -> np.ndarray:
        return np.asarray(self.model.decision_function(np.asarray(vectors)), dtype=np.float32)


class FrozenKnnEvidence:
    """Log-odds of the AI share among a file's K nearest training files by cosine of frozen-encoder
    vectors (Laplace-smoothed): the nonlinear reading of the same vectors. Where the linear probe
    asks which direction generators lean, this asks whose files a file sits among."""

    def __init__(self, vectors: Any, labels: np.ndarray | list[int], k: int = K) -> None:
        y = np.asarray(labels)
        if set(np.unique(y).tolist()) != {0, 1}:
            raise ValueError("frozen-encoder evidence needs both human (0) and AI (1) training files")
        self.vectors, self.labels, self.k = np.asarray(vectors, dtype=np.float32), y.astype(np.float32), min(k, len(y))

    def scores(self, vectors: Any) -> np.ndarray:
        q = np.asarray(vectors, dtype=np.float32)
        out = np.empty(len(q), dtype=np.float32)
        for b in range(0, len(q), 1024):  # [1024, n_train] similarities at a time
            sims = q[b : b + 1024] @ self.vectors.T
            near = np.argpartition(-sims, self.k - 1, axis=1)[:, : self.k]
            ai = self.labels[near].sum(axis=1)
            out[b : b + 1024] = np.log((ai + 1.0) / (self.k - ai + 1.0))
        return out
