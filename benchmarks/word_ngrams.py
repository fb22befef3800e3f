"""Word n-grams of identifiers and comment words: a candidate evidence signal, measured, not shipped.

Why: the shipped n-gram path reads characters (2-5), so it sees `result` and `// Check` but not
that `result` follows `int` and precedes `=`, nor the phrase a generator likes in its comments
(`# Check if the number is`). The token n-grams tried before (docs/BENCHMARKS.md) were read from
the structural tokenizer, which renames every identifier to one symbol: they kept the order and
lost the words. This reader keeps both: every word of the text as written (keywords, identifiers,
words in comments and strings; case kept, numbers dropped), as 1-3-grams, hashed into 2**20
columns and scored by the same TF-IDF + logistic regression as the character path
(`ml.charngrams.CharNgramModel`). `benchmarks.evidence_variants` scores it as the `word-ngrams`
variant. Text goes through `ml.codetext.plain_layout` like the other readers; it is only read.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ml.charngrams import CharNgramModel
from ml.codetext import plain_layout

BITS = 20
NGRAMS = (1, 3)
WORD = r"[A-Za-z_][A-Za-z0-9_]*"


def word_counts(codes: list[str], bits: int = BITS) -> Any:
    """Sparse [n, 2**bits] raw counts of word 1-3-grams of the plain-layout texts."""
    from sklearn.feature_extraction.text import HashingVectorizer

    vec = HashingVectorizer(
        analyzer="word", token_pattern=WORD, ngram_range=NGRAMS, n_features=2**bits,
        alternate_sign=False, norm=None, lowercase=False,
    )
    return vec.transform([plain_layout(c) for c in codes]).tocsr()


class WordNgramEvidence:
    """Log-odds of a TF-IDF logistic regression over `word_counts` rows (> 0 reads as AI)."""

    def __init__(self, counts: Any, labels: np.ndarray | list[int], bits: int = BITS) -> None:
        y = np.asarray(labels)
        if set(np.unique(y).tolist()) != {0, 1}:
            raise ValueError("word n-gram evidence needs both human (0) and AI (1) training files")
        self.model = CharNgramModel.fit(counts, y, bits=bits, ngrams=NGRAMS)

    def scores(self, counts: Any) -> np.ndarray:
        return self.model.decision_counts(counts).astype(np.float32)
