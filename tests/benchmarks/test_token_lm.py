"""benchmarks/token_lm.py: tokens, a proper trigram distribution, and a ratio that reads style."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.token_lm import NUMBER, START, TokenLMEvidence, TrigramLM, lm_tokens
from tests.ml.conftest import tiny_evidence_rows


def test_tokens_keep_line_breaks_and_fold_long_numbers() -> None:
    assert lm_tokens("\tx = 12;\n  y = 12345") == [START, START, "x", "=", "12", ";", "\n", "y", "=", NUMBER]
    assert lm_tokens("") == [START, START]


def test_trigram_probabilities_sum_to_one_over_the_vocabulary() -> None:
    lm = TrigramLM([lm_tokens("a = b + c;\nb = a;\n"), lm_tokens("c = a + a;\n")])
    vocab = sorted(lm.c1)
    for context in (["a", "="], ["=", "b"], ["zz", "yy"]):  # seen, seen, unseen context
        total = sum(float(np.exp(lm.log_probs([*context, w])[0])) for w in vocab)
        unseen = float(np.exp(lm.log_probs([*context, "never-seen"])[0]))
        assert total + unseen == pytest.approx(1.0, abs=1e-9)


def test_ratio_reads_style_and_needs_both_classes() -> None:
    codes, _, labels, _ = tiny_evidence_rows(60)
    seqs = [lm_tokens(c) for c in codes]
    y = np.array(labels)
    scores = TokenLMEvidence(seqs, y).scores(seqs)
    assert scores[y == 1].min() > 0 > scores[y == 0].max()
    assert TokenLMEvidence(seqs, y).scores([[START, START]])[0] == 0.0  # an empty file is no evidence
    with pytest.raises(ValueError, match="both"):
        TokenLMEvidence(seqs, np.zeros(len(seqs), dtype=int))
