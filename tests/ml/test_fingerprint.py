from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ml.fingerprint import fingerprint, kgram_hashes, winnow
from ml.tokens import TokenStream, tokenize


def _stream(ids: list[int]) -> TokenStream:
    n = len(ids)
    lines = np.arange(1, n + 1, dtype=np.int32)
    return TokenStream("test", np.asarray(ids, dtype=np.uint32), lines, lines)


@settings(max_examples=200, deadline=None)
@given(
    k=st.integers(1, 12),
    window=st.integers(1, 12),
    prefix_a=st.lists(st.integers(0, 5), max_size=40),
    prefix_b=st.lists(st.integers(0, 5), max_size=40),
    suffix_a=st.lists(st.integers(0, 5), max_size=40),
    suffix_b=st.lists(st.integers(0, 5), max_size=40),
    extra=st.integers(0, 10),
    data=st.data(),
)
def test_winnowing_guarantee(k, window, prefix_a, prefix_b, suffix_a, suffix_b, extra, data) -> None:  # type: ignore[no-untyped-def]
    """Any shared run of at least window + k - 1 tokens yields a common fingerprint."""
    shared = data.draw(st.lists(st.integers(0, 5), min_size=window + k - 1 + extra, max_size=window + k - 1 + extra))
    a = fingerprint(_stream(prefix_a + shared + suffix_a), k, window)
    b = fingerprint(_stream(prefix_b + shared + suffix_b), k, window)
    common = set(a.hashes.tolist()) & set(b.hashes.tolist())
    assert common
    # ...and at least one common fingerprint lies inside the shared run on side a.
    inside = [
        h for h, p in zip(a.hashes.tolist(), a.positions.tolist(), strict=True)
        if len(prefix_a) <= p <= len(prefix_a) + len(shared) - k and h in common
    ]  # fmt: skip
    assert inside


def test_every_window_has_a_pick() -> None:
    rng = np.random.default_rng(1)
    hashes = rng.integers(0, 2**63, size=500, dtype=np.uint64)
    picks = winnow(hashes, 8)
    assert np.all(np.diff(picks) > 0)
    assert np.all(np.diff(picks) <= 8), "no window without a fingerprint"
    assert picks[0] < 8 and picks[-1] >= 500 - 8
    # density close to 2 / (w + 1)
    assert 0.15 < len(picks) / 500 < 0.30


def test_hashes_are_stable_across_processes() -> None:
    # Fixed value: a change here invalidates every stored fingerprint (bump PRINT_VERSION).
    ids = np.arange(1, 6, dtype=np.uint32)
    assert kgram_hashes(ids, 5).tolist() == [kgram_hashes(ids.copy(), 5).tolist()[0]]
    h = int(kgram_hashes(ids, 5)[0])
    assert h == 1626161000617794826


def test_short_inputs() -> None:
    assert len(kgram_hashes(np.arange(3, dtype=np.uint32), 5)) == 0
    assert len(fingerprint(_stream([1, 2, 3]), 5, 4)) == 0
    # shorter than one window: still one fingerprint
    assert len(fingerprint(_stream(list(range(7))), 5, 8)) == 1


def test_fingerprint_lines_cover_their_kgram() -> None:
    code = "a = 1\nb = a + 2\nc = b * 3\nprint(c)\n"
    stream = tokenize(code, "python")
    prints = fingerprint(stream, 4, 1)
    for pos, start, end in zip(prints.positions, prints.start_lines, prints.end_lines, strict=True):
        assert start == stream.start_lines[pos]
        assert end == stream.end_lines[pos + 3]
