"""benchmarks/word_ngrams.py: which words are counted, and evidence that reads them."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.word_ngrams import BITS, WordNgramEvidence, word_counts


def test_words_keep_case_and_comments_and_drop_numbers() -> None:
    same = word_counts(["x = countItems(a)  # Check if it is 42\n", "x=countItems( a ) # Check if it is 7\n"])
    assert same.shape == (2, 2**BITS)
    assert (same[0] != same[1]).nnz == 0  # spacing and numbers do not matter; words and their order do
    # 1-, 2- and 3-grams of: x countItems a Check if it is
    assert same[0].sum() == 7 + 6 + 5
    other = word_counts(["x = countitems(a)  # check if it is 42\n"])
    assert (same[0] != other[0]).nnz > 0  # case is kept: `countItems` is not `countitems`


def test_evidence_separates_words_and_needs_both_classes() -> None:
    human = [f"total = total + values{i}\n" for i in range(20)]
    ai = [f"# Calculate the result\nresult = compute_sum(values{i})\n" for i in range(20)]
    counts = word_counts(human + ai)
    y = np.array([0] * 20 + [1] * 20)
    scores = WordNgramEvidence(counts, y).scores(word_counts(["# Calculate the result\nresult = x\n", "total = total"]))
    assert scores[0] > 0 > scores[1]
    with pytest.raises(ValueError, match="both"):
        WordNgramEvidence(counts, np.zeros(40, dtype=int))
