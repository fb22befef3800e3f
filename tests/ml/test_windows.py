"""Window splitting covers every token with bounded windows; aggregation behaves as documented."""

from __future__ import annotations

import numpy as np
import pytest

from ml.windows import aggregate_embeddings, aggregate_logits, build_windows, window_spans


@pytest.mark.parametrize("n", [0, 1, 5, 254, 255, 300, 508, 1000, 4321])
@pytest.mark.parametrize("window", [8, 254])
def test_spans_cover_everything_within_bounds(n: int, window: int) -> None:
    spans = window_spans(n, window)
    covered = np.zeros(n, dtype=bool)
    for s, e in spans:
        assert 0 <= s < e <= n or (n == 0 and (s, e) == (0, 0))
        assert e - s <= window
        covered[s:e] = True
    assert covered.all()
    if n > window:
        assert all(e - s == window for s, e in spans)  # last window shifted left, never short
        assert spans[-1][1] == n
        starts = [s for s, _ in spans]
        assert starts == sorted(set(starts))
        # consecutive windows overlap by at least the requested quarter (except the shifted last one, which overlaps more)
        for (_s1, e1), (s2, _) in zip(spans, spans[1:], strict=False):
            assert e1 - s2 >= window // 4


def test_short_input_is_one_window() -> None:
    assert window_spans(10, 254) == [(0, 10)]


def test_bad_window_arguments() -> None:
    with pytest.raises(ValueError):
        window_spans(10, 0)
    with pytest.raises(ValueError):
        window_spans(10, 8, overlap=8)


def test_build_windows_adds_special_tokens() -> None:
    ids = list(range(100, 1100))
    wins, weights = build_windows(ids, max_length=64, cls_id=1, sep_id=2)
    assert len(wins) == len(weights) > 1
    for w in wins:
        assert len(w) <= 64 and w[0] == 1 and w[-1] == 2
    assert set(ids) == {t for w in wins for t in w[1:-1]}
    assert weights == [62] * len(wins)
    wins, weights = build_windows([5, 6, 7], max_length=64, cls_id=1, sep_id=2)
    assert wins == [[1, 5, 6, 7, 2]] and weights == [3]
    with pytest.raises(ValueError):
        build_windows(ids, max_length=2, cls_id=1, sep_id=2)


def test_aggregate_embeddings_weighted_and_unit_norm() -> None:
    e = np.array([[1.0, 0.0], [0.0, 1.0]])
    v = aggregate_embeddings(e, [3, 1])
    assert np.isclose(np.linalg.norm(v), 1.0)
    assert v[0] > v[1] > 0  # the heavier window dominates
    np.testing.assert_allclose(v, np.array([3, 1]) / np.sqrt(10), rtol=1e-6)
    one = aggregate_embeddings(np.array([[0.6, 0.8]]), [7])
    np.testing.assert_allclose(one, [0.6, 0.8], rtol=1e-6)
    with pytest.raises(ValueError):
        aggregate_embeddings(e, [1])
    with pytest.raises(ValueError):
        aggregate_embeddings(e, [0, 0])


def test_aggregate_logits() -> None:
    z, w = [-4.0, 2.0], [3.0, 1.0]
    assert aggregate_logits(z, w, "max") == pytest.approx(1 / (1 + np.exp(-2.0)))
    assert aggregate_logits(z, w, "mean") == pytest.approx(1 / (1 + np.exp(1.0)))
    assert aggregate_logits(z, w, "weighted_mean") == pytest.approx(1 / (1 + np.exp(2.5)))
    # One window: every method gives sigmoid(logit).
    for how in ("max", "mean", "weighted_mean"):
        assert aggregate_logits([0.3], [5], how) == pytest.approx(1 / (1 + np.exp(-0.3)))  # type: ignore[arg-type]
    assert 0.0 <= aggregate_logits([1000.0, -1000.0], [1, 1]) <= 1.0
    with pytest.raises(ValueError):
        aggregate_logits([1.0], [1.0], "median")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        aggregate_logits([], [])


def test_pad_windows_right_pads_and_masks() -> None:
    from ml.windows import pad_windows

    ids, mask = pad_windows([[101, 7, 102], [101, 102]], pad_id=0)
    assert ids.dtype == mask.dtype == np.int64
    assert ids.tolist() == [[101, 7, 102], [101, 102, 0]]
    assert mask.tolist() == [[1, 1, 1], [1, 1, 0]]
