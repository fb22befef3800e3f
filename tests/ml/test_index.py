from __future__ import annotations

import numpy as np
import pytest

from ml.index import MIN_SHARE_COUNT, FingerprintIndex


def h(*values: int) -> np.ndarray:
    return np.asarray(values, dtype=np.uint64)


def as_dict(index: FingerprintIndex) -> dict[tuple[int, int], tuple[int, int]]:
    c = index.shared_counts()
    return {
        (int(a), int(b)): (int(x), int(y))
        for a, b, x, y in zip(c.a, c.b, c.a_shared, c.b_shared, strict=True)
    }


def test_only_pairs_sharing_fingerprints_appear() -> None:
    index = FingerprintIndex([h(1, 2, 3), h(3, 4), h(5, 6), h(2, 2, 9)])
    pairs = as_dict(index)
    assert pairs == {(0, 1): (1, 1), (0, 3): (1, 2)}  # repeats count on their own side
    assert index.sizes.tolist() == [3, 2, 2, 3]
    assert sorted(index.holders(3).tolist()) == [0, 1]


def test_base_hashes_never_count() -> None:
    index = FingerprintIndex([h(1, 2, 3), h(1, 2, 4)], base_hashes=h(1, 2))
    assert as_dict(index) == {}
    assert index.sizes.tolist() == [1, 1], "starter code does not dilute the denominator"
    assert index.base_excluded == 4


def test_max_share_cut_with_floor() -> None:
    n = 20
    lists = [h(100, 1000 + i) for i in range(n)]  # hash 100 in every submission
    lists[0] = h(100, 1000, 7)
    lists[1] = h(100, 1001, 7)
    cut = FingerprintIndex(lists, max_share=0.5)
    assert as_dict(cut) == {(0, 1): (1, 1)}
    assert cut.ignored_hashes().tolist() == [100]
    uncut = FingerprintIndex(lists)
    assert len(as_dict(uncut)) == n * (n - 1) // 2
    # small class: the floor keeps a 3-submission ring even at a tiny max_share
    small = FingerprintIndex([h(5, 1), h(5, 2), h(5, 3), h(9)], max_share=0.1)
    assert MIN_SHARE_COUNT >= 3
    assert len(as_dict(small)) == 3


def test_empty_and_validation() -> None:
    assert as_dict(FingerprintIndex([])) == {}
    assert as_dict(FingerprintIndex([h(), h(1)])) == {}
    with pytest.raises(ValueError):
        FingerprintIndex([h(1)], max_share=0.0)
