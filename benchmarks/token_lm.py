"""Token language models of human and AI code: a candidate evidence signal, measured, not shipped.

Why: detectors of machine-written prose (DetectGPT, GPTZero) read how *predictable* a text is to a
language model, a sequence signal that bag-of-n-gram features do not see. With no code LM
offline, the nearest thing trainable here is a pair of token trigram models, one fitted on
human training files and one on AI ones; a file's evidence is the mean per-token log-likelihood
ratio log P_ai(token | two before) - log P_human(...). `benchmarks.evidence_variants` scores it
as the `token-lm` variant, on dev and with whole sources left out (docs/BENCHMARKS.md).

Smoothing is interpolated Witten-Bell (an order's weight grows with how many different tokens
followed its context), which needs no tuned discount. Texts go through `ml.codetext.plain_layout`
like the other readers (tabs and `package` headers are dataset artefacts); numbers longer than two
digits become one token so that constants do not dominate. Code is only read, never executed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from ml.codetext import plain_layout

TOKEN = re.compile(r"[A-Za-z_]\w*|\d+|[^\w\s]|\n")
START = "<s>"
NUMBER = "<num>"


def lm_tokens(code: str) -> list[str]:
    """Identifiers, numbers, single punctuation characters and line breaks, after two start marks."""
    out = [START, START]
    for t in TOKEN.findall(plain_layout(code)):
        out.append(NUMBER if t[0].isdigit() and len(t) > 2 else t)
    return out


class TrigramLM:
    """Interpolated Witten-Bell trigram model over `lm_tokens` sequences."""

    def __init__(self, sequences: Sequence[Sequence[str]]) -> None:
        self.c1: Counter[str] = Counter()
        self.c2: Counter[tuple[str, str]] = Counter()
        self.c3: Counter[tuple[str, str, str]] = Counter()
        self.ctx1: Counter[str] = Counter()  # tokens seen after each one-token context
        self.ctx2: Counter[tuple[str, str]] = Counter()
        self.types1: Counter[str] = Counter()  # distinct tokens seen after each context
        self.types2: Counter[tuple[str, str]] = Counter()
        for s in sequences:
            for u, v, w in zip(s, s[1:], s[2:], strict=False):
                self.c1[w] += 1
                if (v, w) not in self.c2:
                    self.types1[v] += 1
                self.c2[v, w] += 1
                self.ctx1[v] += 1
                if (u, v, w) not in self.c3:
                    self.types2[u, v] += 1
                self.c3[u, v, w] += 1
                self.ctx2[u, v] += 1
        self.total = sum(self.c1.values())
        self.vocab = len(self.c1) + 1  # + one unseen token

    def log_probs(self, tokens: Sequence[str]) -> np.ndarray:
        """Natural-log probability of each token after the two start marks."""
        out = np.empty(max(len(tokens) - 2, 0))
        for i, (u, v, w) in enumerate(zip(tokens, tokens[1:], tokens[2:], strict=False)):
            p = (self.c1.get(w, 0) + 1) / (self.total + self.vocab)  # add-one unigram floor
            n = self.ctx1.get(v, 0)
            if n:
                t = self.types1[v]
                p = (self.c2.get((v, w), 0) + t * p) / (n + t)
            n = self.ctx2.get((u, v), 0)
            if n:
                t = self.types2[u, v]
                p = (self.c3.get((u, v, w), 0) + t * p) / (n + t)
            out[i] = np.log(p)
        return out


class TokenLMEvidence:
    """Mean per-token log-likelihood ratio, AI model over human model (> 0 reads as AI)."""

    def __init__(self, sequences: Sequence[Sequence[str]], labels: Sequence[int] | np.ndarray) -> None:
        y = np.asarray(labels)
        if set(np.unique(y).tolist()) != {0, 1}:
            raise ValueError("token LM evidence needs both human (0) and AI (1) training files")
        self.human = TrigramLM([s for s, lab in zip(sequences, y, strict=True) if lab == 0])
        self.ai = TrigramLM([s for s, lab in zip(sequences, y, strict=True) if lab == 1])

    def scores(self, sequences: Sequence[Sequence[str]]) -> np.ndarray:
        out = np.zeros(len(sequences), dtype=np.float32)
        for i, s in enumerate(sequences):
            if len(s) > 2:
                out[i] = float(np.mean(self.ai.log_probs(s) - self.human.log_probs(s)))
        return out

