"""Why a file got its AI score: each part's share of the logit, the style features that moved the
trees most, and the lines whose characters read most like generated code.

Why: a score is evidence for human review, and a reviewer needs to know where to look and what
to weigh. The served logit is a sum (ml/inference.py `logit_parts`): the encoder path's share
(a constant when the head mix gave it weight 0, as in the shipped model) plus w . evidence, one
term per path. Each term is split further where that can be done honestly:

* character n-grams: exactly, into lines (`CharNgramModel.line_effects`): the line shares add
  up to the path's log-odds;
* style trees: trees do not add up by feature, so each feature is *occluded* instead: set to
  the median of the training set's human files (of the file's language where there were at
  least `MIN_REFERENCE_FILES` of them) and the change in log-odds is that feature's effect. The
  effects of several features need not add up to the path's term; each one answers "how much
  less generator-like would this file look if only this habit were a typical person's?".

Only numbers, feature names and line numbers come out of here, never code: an explanation can
be shown where the code itself should not go.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ml.style_terms import describe

if TYPE_CHECKING:
    from ml.evidence import FileEvidence
    from ml.trees import TreeEnsemble

REFERENCE_FILE = "style_reference.json"
MIN_REFERENCE_FILES = 50  # human training files a language needs for a reference of its own
POOLED = "*"
TOP = 5


def style_reference(
    style: np.ndarray, labels: Sequence[int] | np.ndarray, languages: Sequence[str], names: Sequence[str]
) -> dict[str, Any]:
    """Median style features of the human files: pooled, and per language with enough of them.

    Why per language: a Python file has no braces, so a Java median for brace placement would
    'explain' it by a habit it cannot have."""
    y = np.asarray(labels)
    langs = np.asarray(list(languages) if len(languages) else [""] * len(y))
    human = y == 0
    if not human.any():
        raise ValueError("a style reference needs human files")
    groups = {POOLED: human}
    for lang in sorted(set(langs[human].tolist())):
        mask = human & (langs == lang)
        if lang and int(mask.sum()) >= MIN_REFERENCE_FILES:
            groups[lang] = mask
    return {
        "what": "median style features (ml/stylometry.py) of the human training files",
        "min_files": MIN_REFERENCE_FILES,
        "files": {k: int(m.sum()) for k, m in groups.items()},
        "median": {
            k: {n: round(float(v), 6) for n, v in zip(names, np.median(style[m], axis=0), strict=True)}
            for k, m in groups.items()
        },
    }


def reference_row(reference: dict[str, Any], language: str, names: Sequence[str]) -> tuple[np.ndarray, str]:
    """(the reference values of `names` for a file in `language`, which reference that was)."""
    key = language if language in reference["median"] else POOLED
    med = reference["median"][key]
    return np.array([med[n] for n in names], dtype=np.float64), key


def style_effects(trees: TreeEnsemble, x: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """[k] log-odds of `x` minus log-odds with feature j alone set to ref[j] (occlusion)."""
    x = np.asarray(x, dtype=np.float64)
    k = x.shape[0]
    rows = np.repeat(x[None, :], k, axis=0)
    rows[np.arange(k), np.arange(k)] = ref
    return trees.decision_function(x[None, :])[0] - trees.decision_function(rows)


def explain_evidence(
    evidence: FileEvidence, weights: np.ndarray, code: str, language: str, top: int = TOP
) -> dict[str, Any]:
    """The evidence term of one file, path by path (log-odds times the head's weight), with its
    strongest style effects and the lines that push it most towards AI, in logit units."""
    from ml.evidence import CHAR_NGRAMS, STYLE_TREES, EvidenceInputs

    out: dict[str, Any] = {"parts": {}, "style": [], "style_reference": None, "lines": []}
    inputs = EvidenceInputs.of([code], [language], evidence.names)  # read once: scored and occluded
    matrix = evidence.matrix_of(inputs)[0].astype(np.float64)
    for name, w, v in zip(evidence.names, weights, matrix, strict=True):
        out["parts"][name] = float(w * v)
        if name == STYLE_TREES and evidence.trees is not None and evidence.reference is not None:
            names = list(evidence.style_names)
            assert inputs.style is not None
            x = inputs.style[0, evidence.style_index()].astype(np.float64)
            ref, key = reference_row(evidence.reference, language, names)
            effects = w * style_effects(evidence.trees, x, ref)
            order = np.argsort(-np.abs(effects), kind="stable")[:top]
            out["style_reference"] = key
            out["style"] = [
                {"feature": names[j], "value": round(float(x[j]), 4), "typical_human": round(float(ref[j]), 4),
                 "effect": round(float(effects[j]), 4), "description": describe(names[j], float(x[j]), float(ref[j]))}
                for j in order
                if effects[j] != 0.0
            ]
        elif name == CHAR_NGRAMS and evidence.ngrams is not None:
            lines = evidence.ngrams.line_effects(code)
            ranked = sorted(((w * e, n) for n, e in lines.items() if w * e > 0), reverse=True)[:top]
            out["lines"] = [{"line": n, "effect": round(float(e), 4)} for e, n in ranked]
    return out


def reasons(explanation: dict[str, Any], top: int = 3) -> tuple[list[int], list[str]]:
    """(line numbers, habits in words) that push a file towards AI, strongest first, at most
    `top` of each: what a reviewer reads beside a flagged file. Habits that make the file look
    *more* human are left out here; they stay in the full explanation."""
    lines = [int(x["line"]) for x in explanation.get("lines", [])[:top]]
    habits = [s.get("description") or s["feature"] for s in explanation.get("style", []) if s["effect"] > 0][:top]
    return lines, habits


def reasons_text(explanation: dict[str, Any], top: int = 3, line: Callable[[int], str] = str) -> str:
    """`reasons` as one sentence (plain text; backticks mark code-like tokens such as `if (`);
    `line` writes each line number (a link, in a PR comment)."""
    lines, habits = reasons(explanation, top)
    parts = []
    if lines:
        parts.append(f"line{'s' if len(lines) > 1 else ''} {', '.join(map(line, lines))} "
                     f"read{'' if len(lines) > 1 else 's'} most like generated code")
    if habits:
        who = explanation.get("style_reference")
        typical = "a typical human file" if who in (None, POOLED) else f"a typical human {who} file"
        parts.append(f"unlike {typical}: " + "; ".join(habits))
    return "; ".join(parts)
