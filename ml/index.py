"""One inverted index over all submissions' fingerprints, and the shared-fingerprint counts.

The index is what keeps a scan near-linear: instead of comparing every pair, each
fingerprint hash lists the submissions holding it, and only pairs that co-occur under
some hash are ever touched. The counting itself is one sparse matrix product
(submissions x hashes), so the work is proportional to the sum over hashes of the
square of their document frequency, done in C, not to the number of pairs.

Two filters decide which fingerprints count at all:
- base code: a hash present in the instructor's starter code never counts (it is
  removed from both the shared counts and the submission sizes, so starter code
  neither raises nor dilutes a score);
- max share: a hash held by more than `max_share` of the submissions is common
  idiom or a widely shared template, and is ignored the same way (MOSS's -m, as a
  fraction). A floor of `MIN_SHARE_COUNT` submissions keeps the cut from firing in
  small classes, where 3 students of 10 sharing code is exactly what to report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

# Below this many holders a hash is never "too common", whatever max_share says.
MIN_SHARE_COUNT = 5


@dataclass(frozen=True)
class SharedCounts:
    """For every pair (a < b) sharing at least one counted fingerprint.

    `a_shared[i]` counts a's fingerprints (with multiplicity) whose hash b also holds,
    `b_shared[i]` the reverse; `sizes[s]` is submission s's number of counted
    fingerprints (with multiplicity), the denominator of its coverage.
    """

    a: np.ndarray  # int64 submission index
    b: np.ndarray
    a_shared: np.ndarray  # int64
    b_shared: np.ndarray
    sizes: np.ndarray  # int64, one per submission


class FingerprintIndex:
    """Inverted index hash -> holders, built with sorting rather than a dict per hash.

    `hash_lists[s]` holds all fingerprint hashes of submission s (all its files, with
    repeats); files of one submission are one row, so they are never compared with
    each other.
    """

    def __init__(
        self,
        hash_lists: Sequence[np.ndarray],
        *,
        base_hashes: np.ndarray | None = None,
        max_share: float | None = None,
    ) -> None:
        if max_share is not None and not 0.0 < max_share <= 1.0:
            raise ValueError("max_share must be in (0, 1]")
        self.n_submissions = len(hash_lists)
        lengths = np.fromiter((len(h) for h in hash_lists), dtype=np.int64, count=len(hash_lists))
        owners = np.repeat(np.arange(self.n_submissions, dtype=np.int64), lengths)
        hashes = (
            np.concatenate([np.asarray(h, dtype=np.uint64) for h in hash_lists])
            if len(hash_lists)
            else np.zeros(0, dtype=np.uint64)
        )
        base = np.unique(np.asarray(base_hashes, dtype=np.uint64)) if base_hashes is not None else None
        if base is not None and base.size:
            in_base = np.isin(hashes, base, assume_unique=False)
            self.base_excluded = int(in_base.sum())
            keep = ~in_base
            hashes, owners = hashes[keep], owners[keep]
        else:
            self.base_excluded = 0
        # Compact hash ids, and how many distinct submissions hold each hash.
        unique_hashes, hash_ids = np.unique(hashes, return_inverse=True)
        hash_ids = hash_ids.astype(np.int64, copy=False)
        n_hashes = unique_hashes.shape[0]
        holder_keys = np.unique(hash_ids * max(1, self.n_submissions) + owners)
        doc_freq = np.bincount(holder_keys // max(1, self.n_submissions), minlength=n_hashes)
        self.limit = self._share_limit(max_share)
        too_common = doc_freq > self.limit
        self.common_hashes = unique_hashes[too_common]
        counted = ~too_common[hash_ids]
        hash_ids, owners = hash_ids[counted], owners[counted]
        self.sizes = np.bincount(owners, minlength=self.n_submissions).astype(np.int64)
        # Only hashes held by two or more submissions can link a pair.
        linking = doc_freq[hash_ids] >= 2
        rows, cols = owners[linking], hash_ids[linking]
        self._counts = sp.csr_matrix(
            (np.ones(rows.shape[0], dtype=np.int64), (rows, cols)),
            shape=(self.n_submissions, max(1, n_hashes)),
        )  # duplicates are summed: entry = multiplicity of the hash in the submission
        self._counts.sum_duplicates()
        self.unique_hashes = unique_hashes
        self.doc_freq = doc_freq

    def _share_limit(self, max_share: float | None) -> int:
        if max_share is None:
            return max(self.n_submissions, 1)
        return max(MIN_SHARE_COUNT, int(np.floor(max_share * self.n_submissions)))

    def ignored_hashes(self) -> np.ndarray:
        """Sorted hashes that never count for this comparison (too common); base ones are gone."""
        return self.common_hashes

    def holders(self, hash_value: int) -> np.ndarray:
        """Submissions holding a counted hash (for inspection and tests)."""
        pos = np.searchsorted(self.unique_hashes, np.uint64(hash_value))
        if pos >= self.unique_hashes.shape[0] or self.unique_hashes[pos] != np.uint64(hash_value):
            return np.zeros(0, dtype=np.int64)
        column = self._counts[:, int(pos)]
        return np.asarray(column.nonzero()[0], dtype=np.int64)

    def shared_counts(self) -> SharedCounts:
        """Shared-fingerprint counts of every pair that shares anything (a < b)."""
        counts = self._counts
        present = counts.copy()
        present.data = np.ones_like(present.data)
        # shared[a, b] = sum over hashes of multiplicity in a, where b holds the hash.
        shared = (counts @ present.T).tocsr()
        upper = sp.triu(shared, k=1, format="coo")
        lower = sp.triu(shared.T.tocsr(), k=1, format="coo")  # same pattern: sharing is mutual
        order_u = np.lexsort((upper.col, upper.row))
        order_l = np.lexsort((lower.col, lower.row))
        a = upper.row[order_u].astype(np.int64)
        b = upper.col[order_u].astype(np.int64)
        a_shared = upper.data[order_u].astype(np.int64)
        b_shared = lower.data[order_l].astype(np.int64)
        return SharedCounts(a=a, b=b, a_shared=a_shared, b_shared=b_shared, sizes=self.sizes)
