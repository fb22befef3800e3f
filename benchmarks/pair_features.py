"""A learned pair score from several structural views: measured against the shipped score, not shipped.

Why: the structural score (ml/structural.py) is one fixed formula over winnowed 20-gram
fingerprints. A logistic regression over more views of the same pair (exact k-gram containment at
k = 6, 12, 20, token coverage, program sizes, shared lines, words and string literals) can be
fitted on the labelled training pairs of ../shared/data/plagiarism, the way the structural +
semantic blend is (ml/blend.py). The question is whether what it learns is plagiarism or the data
set: every source here has its own languages, lengths and share of copies, so the script also
fits with one source family left out of training and scores that family with the model that never
saw it (`LOSO pooled`), which is how a user's class meets the score.

    .venv/bin/python -m benchmarks.pair_features            # about 40 s on 2 cores

Prints one markdown table (docs/BENCHMARKS.md, "Structural similarity", reading of 2026-12-08).
Code is only tokenised, never run.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import bootstrap_auc_diff, markdown_table, roc_auc  # noqa: E402

from ml.fingerprint import kgram_hashes  # noqa: E402
from ml.structural import compare  # noqa: E402
from ml.submission import SourceFile, Submission  # noqa: E402
from ml.tokens import TokenizeError, tokenize  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "plagiarism"
KS = (6, 12, 20)
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
NAMES = (
    ["structural", "log_min_tokens", "log_max_tokens"]
    + [f"k{k}_{v}" for k in KS for v in ("cont_max", "cont_min", "cover_max", "cover_min")]
    + ["shared_lines", "shared_words", "shared_strings"]
)
# Feature sets compared; each is a standardised, class-balanced logistic regression (C 1).
SETS = {
    "all views": NAMES,
    "structural + sizes": ["structural", "log_min_tokens", "log_max_tokens"],
    "structural + sizes + 6-gram containment": ["structural", "log_min_tokens", "log_max_tokens", "k6_cont_max",
                                                "k6_cont_min"],
    "structural + 6/12-gram containment (no sizes)": ["structural", "k6_cont_max", "k6_cont_min", "k12_cont_max",
                                                      "k12_cont_min"],
}  # fmt: skip
# Leave-one-out families: ConPlag raw and template-free are the same contests, so they leave together.
FAMILIES = {"cf-synthetic": "cf-synthetic", "conplag-raw": "conplag", "conplag-tf": "conplag", "hjc851": "hjc851"}


def _ids(code: str, language: str) -> np.ndarray:
    try:
        return tokenize(code, language).ids
    except (TokenizeError, RecursionError):
        return np.zeros(0, np.uint32)


def _containment(ia: np.ndarray, ib: np.ndarray, k: int) -> list[float]:
    """Share of each side's k-grams found in the other, and share of its tokens inside such k-grams."""
    ha, hb = kgram_hashes(ia, k), kgram_hashes(ib, k)
    if not len(ha) or not len(hb):
        return [0.0] * 4
    in_b, in_a = np.isin(ha, hb), np.isin(hb, ha)

    def cover(n: int, hits: np.ndarray) -> float:
        covered = np.zeros(n + 1, np.int64)
        np.add.at(covered, np.nonzero(hits)[0], 1)
        np.add.at(covered, np.nonzero(hits)[0] + k, -1)
        return float(np.count_nonzero(np.cumsum(covered)[:n]) / n)

    ca, cb = float(in_b.mean()), float(in_a.mean())
    va, vb = cover(len(ia), in_b), cover(len(ib), in_a)
    return [max(ca, cb), min(ca, cb), max(va, vb), min(va, vb)]


def _jaccard(x: set[str], y: set[str]) -> float:
    return len(x & y) / max(1, len(x | y))


def pair_features(a: dict[str, Any], b: dict[str, Any]) -> list[float]:
    """The views of one labelled pair (units with `code` and `language`), in NAMES order."""
    ia, ib = _ids(a["code"], a["language"]), _ids(b["code"], b["language"])
    subs = [Submission(u, [SourceFile(u, x["language"], x["code"])]) for u, x in (("a", a), ("b", b))]
    matches = compare(subs, min_similarity=0)
    row = [matches[0].structural if matches else 0.0, float(np.log1p(min(len(ia), len(ib)))),
           float(np.log1p(max(len(ia), len(ib))))]  # fmt: skip
    for k in KS:
        row += _containment(ia, ib, k)

    def lines(code: str) -> set[str]:
        return {s for s in (line.strip() for line in code.splitlines()) if len(s) > 3}

    row.append(_jaccard(lines(a["code"]), lines(b["code"])))
    row.append(_jaccard(set(WORD.findall(a["code"])), set(WORD.findall(b["code"]))))
    row.append(_jaccard(set(STRING.findall(a["code"])), set(STRING.findall(b["code"]))))
    return row


def load(split: str) -> dict[str, np.ndarray]:
    rows = [json.loads(line) for line in (DATA / f"{split}.jsonl").open() if line.strip()]
    return {
        "x": np.array([pair_features(r["a"], r["b"]) for r in rows]),
        "y": np.array([int(r["label"]) for r in rows]),
        "family": np.array([FAMILIES.get(r["source"], r["source"]) for r in rows]),
        "source": np.array([r["source"] for r in rows]),
    }


def _fit_score(train: dict[str, np.ndarray], keep: np.ndarray, cols: list[int], x: np.ndarray) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000))
    model.fit(train["x"][keep][:, cols], train["y"][keep])
    return np.asarray(model.predict_proba(x[:, cols])[:, 1])


def _f(v: float | None) -> str:
    return "–" if v is None else f"{v:.3f}"


def evaluate(train: dict[str, np.ndarray], dev: dict[str, np.ndarray]) -> str:
    y, base = dev["y"], dev["x"][:, 0]
    sources = ["cf-synthetic", "conplag-raw", "conplag-tf"]  # hjc851 dev has positives only
    header = ["score", "dev pooled ROC-AUC", "minus structural (95%)", "LOSO pooled", "LOSO minus structural (95%)",
              *[f"{s} (within)" for s in sources]]  # fmt: skip
    rows: list[list[object]] = [["structural (shipped)", _f(roc_auc(y, base)), "–", _f(roc_auc(y, base)), "–",
                                 *[_f(roc_auc(y[dev["source"] == s], base[dev["source"] == s])) for s in sources]]]
    everything = np.ones(len(train["y"]), dtype=bool)
    for name, features in SETS.items():
        cols = [NAMES.index(f) for f in features]
        fitted = _fit_score(train, everything, cols, dev["x"])
        loso = np.zeros(len(y))
        for family in sorted(set(dev["family"])):
            held = dev["family"] == family
            loso[held] = _fit_score(train, train["family"] != family, cols, dev["x"][held])
        lo, hi = bootstrap_auc_diff(y, fitted, base)
        llo, lhi = bootstrap_auc_diff(y, loso, base)
        within = [_f(roc_auc(y[dev["source"] == s], fitted[dev["source"] == s])) for s in sources]
        rows.append([name, _f(roc_auc(y, fitted)), f"{lo:+.3f} .. {hi:+.3f}", _f(roc_auc(y, loso)),
                     f"{llo:+.3f} .. {lhi:+.3f}", *within])  # fmt: skip
    return markdown_table(header, rows)


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    start = time.time()
    train, dev = load("train"), load("dev")
    print(evaluate(train, dev))
    print(f"\n{len(train['y'])} train pairs, {len(dev['y'])} dev pairs, {time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
