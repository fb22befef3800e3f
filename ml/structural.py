"""Structural similarity of submissions: the engine behind `codeguard scan`.

Two steps, kept apart so callers can cache the first:

1. `fingerprint_submission(sub)` -> `SubmissionPrint`: tokenise and winnow every file
   of one submission. Pure, per submission, serialisable (`to_dict`/`from_dict`), so
   the bot can store it per submission and never re-tokenise a known one.
2. `compare_prints(prints, base=...)` -> `PairMatch` list: one inverted index over
   all prints finds the pairs that share fingerprints (never all pairs), scores them,
   and turns the matches of reported pairs into line-range fragments.

`compare(submissions)` runs both for callers that do not cache.

The pair score (`structural`, in [0, 1]) is computed from counted fingerprints (base
code and too-common ones removed; repeats counted):

    sym  = (a_shared + b_shared) / (a_size + b_size)       # Dolos-style overlap
    cont = max(a_shared / a_size, b_shared / b_size)       # containment of the smaller
    structural = (sym + cont) / 2

Why both: `sym` alone falls when a copy is padded with junk or embedded in a larger
program (the padding is exactly the disguise to catch), `cont` alone calls a tiny
file "identical" to any big one that happens to contain it; their mean keeps the
strength of each and bounds the weakness of the other. Fingerprint counts stand in
for token counts (winnowing keeps a near-constant share of k-grams), which lets every
pair's score come out of one sparse matrix product. On the labelled pairs of
../shared/data/plagiarism this mean ranked better than either part alone (pooled
ROC-AUC, train and dev) and better than token coverage from the same fingerprints.

Files inside one submission are never compared with each other: all of a
submission's fingerprints form one row of the index.
"""

from __future__ import annotations

import base64
import multiprocessing as mp
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ml.fingerprint import Fingerprints, fingerprint
from ml.fragments import Side, fragments_between
from ml.index import FingerprintIndex
from ml.submission import PairMatch, Skipped, Submission
from ml.tokens import TokenizeError, tokenize

# k tokens per k-gram and the winnowing window, chosen on the train split of
# ../shared/data/plagiarism (normalised tokens are fine-grained: ~6-8 per line, so a
# k-gram spans about three lines and any shared run of k + window - 1 = 27 tokens,
# about four lines, is guaranteed to be found).
DEFAULT_K = 20
DEFAULT_WINDOW = 8
# Bump whenever tokenisation or hashing changes: cached prints of another version
# must be recomputed, never compared.
PRINT_VERSION = 2
# Reported pairs carry at most this many fragments (largest first).
MAX_FRAGMENTS = 50
# Fragments (matched line ranges) are computed only for pairs scoring at least this,
# and for at most MAX_FRAGMENT_PAIRS of them (the most similar first); every other
# pair is listed with `fragments: []`. Below this score a pair's shared runs are
# common idioms, not evidence, and computing fragments for the ~N^2/2 pairs that
# `--min-similarity 0` lists dominated the whole scan (2,000 files: minutes, GBs).
FRAGMENTS_FROM = 0.2
MAX_FRAGMENT_PAIRS = 10_000


def file_label(submission: str, path: str) -> str:
    """How a file is named in reports: the submission itself for a single-file one."""
    return submission if path == submission else f"{submission}/{path}"


def _pack(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()).decode()


def _unpack(text: str, dtype: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype)


@dataclass(frozen=True)
class FilePrint:
    """Fingerprints of one file of a submission (path relative to the submission)."""

    path: str
    language: str
    prints: Fingerprints

    def to_dict(self) -> dict[str, Any]:
        fp = self.prints
        return {
            "path": self.path,
            "language": self.language,
            "n_tokens": fp.n_tokens,
            "hashes": _pack(fp.hashes),
            "positions": _pack(fp.positions),
            "start_lines": _pack(fp.start_lines),
            "end_lines": _pack(fp.end_lines),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], k: int, window: int) -> FilePrint:
        prints = Fingerprints(
            hashes=_unpack(data["hashes"], "uint64"),
            positions=_unpack(data["positions"], "int32"),
            start_lines=_unpack(data["start_lines"], "int32"),
            end_lines=_unpack(data["end_lines"], "int32"),
            n_tokens=int(data["n_tokens"]),
            k=k,
            window=window,
        )
        return cls(path=str(data["path"]), language=str(data["language"]), prints=prints)


@dataclass
class SubmissionPrint:
    """Everything the comparison needs from one submission; JSON-safe via to_dict."""

    name: str
    files: list[FilePrint]
    k: int
    window: int
    skipped: list[Skipped] = field(default_factory=list)
    version: int = PRINT_VERSION

    @property
    def n_tokens(self) -> int:
        return sum(f.prints.n_tokens for f in self.files)

    def hashes(self) -> np.ndarray:
        if not self.files:
            return np.zeros(0, dtype=np.uint64)
        return np.concatenate([f.prints.hashes for f in self.files])

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "k": self.k,
            "window": self.window,
            "version": self.version,
            "files": [f.to_dict() for f in self.files],
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionPrint:
        k, window = int(data["k"]), int(data["window"])
        return cls(
            name=str(data["name"]),
            files=[FilePrint.from_dict(f, k, window) for f in data["files"]],
            k=k,
            window=window,
            skipped=[Skipped(str(s["path"]), str(s["reason"])) for s in data.get("skipped", [])],
            version=int(data.get("version", 0)),
        )


def fingerprint_submission(
    submission: Submission, *, k: int = DEFAULT_K, window: int = DEFAULT_WINDOW
) -> SubmissionPrint:
    """Tokenise and fingerprint every file; files that cannot be tokenised go to `skipped`.

    Pass window=1 for base (starter) code: every k-gram of it is then excluded, not
    only the ones its own winnowing happened to pick.
    """
    if k < 1 or window < 1:
        raise ValueError("k and window must be at least 1")
    files: list[FilePrint] = []
    skipped: list[Skipped] = []
    for source in submission.files:
        label = file_label(submission.name, source.path)
        try:
            stream = tokenize(source.text, source.language)
        except TokenizeError as exc:
            skipped.append(Skipped(label, f"unparsable: {exc}"))
            continue
        except RecursionError:
            skipped.append(Skipped(label, "unparsable: nesting too deep"))
            continue
        files.append(FilePrint(source.path, source.language, fingerprint(stream, k, window)))
    return SubmissionPrint(submission.name, files, k, window, skipped)


# Below this many submissions, starting worker processes costs more than it saves.
PARALLEL_FROM = 300


def _fingerprint_chunk(args: tuple[list[Submission], int, int]) -> list[SubmissionPrint]:
    subs, k, window = args
    return [fingerprint_submission(s, k=k, window=window) for s in subs]


def fingerprint_many(
    submissions: Sequence[Submission],
    *,
    k: int = DEFAULT_K,
    window: int = DEFAULT_WINDOW,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[SubmissionPrint]:
    """fingerprint_submission over many submissions, in order, on several cores when it pays.

    `workers=None` uses every core for large classes (PARALLEL_FROM submissions or
    more) and one otherwise; workers=1 never starts a process. Tokenising is the
    dominant cost of a scan and is independent per submission.
    """
    n = len(submissions)
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if n >= PARALLEL_FROM else 1
    if workers > 1 and "fork" in mp.get_all_start_methods():
        chunk = max(16, n // (workers * 8))
        chunks = [list(submissions[i : i + chunk]) for i in range(0, n, chunk)]
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
                out: list[SubmissionPrint] = []
                for done in pool.map(_fingerprint_chunk, [(c, k, window) for c in chunks]):
                    out.extend(done)
                    if progress is not None:
                        progress(len(done))
                return out
        except (OSError, BrokenProcessPool):
            pass  # no processes available here: do it in this one
    result = []
    for sub in submissions:
        result.append(fingerprint_submission(sub, k=k, window=window))
        if progress is not None:
            progress(1)
    return result


def pair_scores(
    a_shared: np.ndarray, b_shared: np.ndarray, a_size: np.ndarray, b_size: np.ndarray
) -> np.ndarray:
    """The structural score (see the module docstring), vectorised over pairs."""
    a_shared = np.asarray(a_shared, dtype=np.float64)
    b_shared = np.asarray(b_shared, dtype=np.float64)
    a_size = np.asarray(a_size, dtype=np.float64)
    b_size = np.asarray(b_size, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        total = a_size + b_size
        sym = np.where(total > 0, (a_shared + b_shared) / total, 0.0)
        cont_a = np.where(a_size > 0, a_shared / a_size, 0.0)
        cont_b = np.where(b_size > 0, b_shared / b_size, 0.0)
    score = 0.5 * (sym + np.maximum(cont_a, cont_b))
    return np.clip(score, 0.0, 1.0)


def _check_compatible(prints: Sequence[SubmissionPrint], base: Sequence[SubmissionPrint]) -> tuple[int, int]:
    if not prints:
        return DEFAULT_K, DEFAULT_WINDOW
    k, window = prints[0].k, prints[0].window
    for p in prints:
        if (p.k, p.window, p.version) != (k, window, PRINT_VERSION):
            raise ValueError(
                f"print of {p.name!r} has k={p.k}, window={p.window}, version={p.version}; "
                f"expected k={k}, window={window}, version={PRINT_VERSION}: re-fingerprint it"
            )
    for p in base:
        if p.k != k or p.version != PRINT_VERSION:
            raise ValueError(f"base print {p.name!r} has k={p.k}, version={p.version}; expected k={k}")
    return k, window


def compare_prints(
    prints: Sequence[SubmissionPrint],
    *,
    base: Sequence[SubmissionPrint] = (),
    max_share: float | None = None,
    min_similarity: float = 0.0,
    top: int | None = None,
    fragments: bool = True,
    fragments_from: float = FRAGMENTS_FROM,
    max_fragment_pairs: int = MAX_FRAGMENT_PAIRS,
) -> list[PairMatch]:
    """Score every pair of submissions that shares counted fingerprints; most similar first.

    `min_similarity` <= 0 lists every pair, including pairs that share nothing (score 0).
    `top` keeps only the N most similar pairs. Fragments are computed for the pairs
    scoring at least `fragments_from` (at most `max_fragment_pairs` of them, most similar
    first); the others carry an empty fragment list.
    `semantic` is left None and `similarity` equals `structural`: a later stage blends in
    the neural score.
    """
    _check_compatible(prints, base)
    base_hashes = (
        np.unique(np.concatenate([p.hashes() for p in base])) if base else np.zeros(0, dtype=np.uint64)
    )
    index = FingerprintIndex([p.hashes() for p in prints], base_hashes=base_hashes, max_share=max_share)
    counts = index.shared_counts()
    scores = pair_scores(counts.a_shared, counts.b_shared, counts.sizes[counts.a], counts.sizes[counts.b])
    if min_similarity > 0:
        keep = scores >= min_similarity
    else:
        keep = np.ones(scores.shape[0], dtype=bool)
    order = np.nonzero(keep)[0]
    order = order[np.lexsort((counts.b[order], counts.a[order], -scores[order]))]
    if top is not None:
        order = order[: max(0, top)]
    ignored = np.union1d(base_hashes, index.ignored_hashes())
    sides: dict[int, Side] = {}

    def side(i: int) -> Side:
        if i not in sides:
            p = prints[i]
            sides[i] = Side.build([(file_label(p.name, f.path), f.prints) for f in p.files], ignored, p.k)
        return sides[i]

    names = [p.name for p in prints]
    order_a = counts.a[order].tolist()
    order_b = counts.b[order].tolist()
    order_scores = scores[order].tolist()
    floor = max(fragments_from, np.nextafter(0.0, 1.0))
    n_framed = min(int(np.count_nonzero(scores[order] >= floor)), max(0, max_fragment_pairs)) if fragments else 0
    matches: list[PairMatch] = []
    for rank, (ia, ib, score) in enumerate(zip(order_a, order_b, order_scores, strict=True)):
        frags = fragments_between(side(ia), side(ib))[:MAX_FRAGMENTS] if rank < n_framed else []
        matches.append(PairMatch(a=names[ia], b=names[ib], similarity=score, structural=score, fragments=frags))
    if min_similarity <= 0 and (top is None or len(matches) < top):
        limit = None if top is None else top - len(matches)
        matches.extend(_unrelated_pairs(names, counts.a, counts.b, limit=limit))
    return matches


def _unrelated_pairs(
    names: Sequence[str], linked_a: np.ndarray, linked_b: np.ndarray, limit: int | None
) -> Iterable[PairMatch]:
    """Pairs that share no counted fingerprint, score 0 (only when every pair is asked for).

    Found row by row with a boolean mask, so listing every pair of a 2,000-submission
    class does not loop over two million pairs in Python.
    """
    n = len(names)
    order = np.lexsort((linked_b, linked_a))
    linked_a, linked_b = linked_a[order], linked_b[order]
    row_starts = np.searchsorted(linked_a, np.arange(n + 1))
    produced = 0
    for i in range(n - 1):
        free = np.ones(n - i - 1, dtype=bool)
        free[linked_b[row_starts[i] : row_starts[i + 1]] - i - 1] = False
        for j in (np.nonzero(free)[0] + i + 1).tolist():
            if limit is not None and produced >= limit:
                return
            produced += 1
            yield PairMatch(a=names[i], b=names[j], similarity=0.0, structural=0.0)


def compare(
    submissions: Sequence[Submission],
    *,
    k: int = DEFAULT_K,
    window: int = DEFAULT_WINDOW,
    base: Sequence[Submission] = (),
    max_share: float | None = None,
    min_similarity: float = 0.0,
    top: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[PairMatch]:
    """Fingerprint and compare in one call (see compare_prints); files that fail to parse are left out."""
    prints = fingerprint_many(submissions, k=k, window=window, progress=progress)
    base_prints = [fingerprint_submission(b, k=k, window=1) for b in base]
    return compare_prints(prints, base=base_prints, max_share=max_share, min_similarity=min_similarity, top=top)
