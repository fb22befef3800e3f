"""How the structural and the semantic pair scores become one `similarity`.

A two-feature logistic regression fitted on the labelled plagiarism training pairs
(`benchmarks/eval_similarity.py --fit`): the output is the fitted probability that a
pair is derived, so it stays in [0, 1] and ranks by the evidence of both heads. It is
stored beside the model it was fitted for (`blend.json`), because a semantic score means
something only for the model that produced it. Without that file the similarity is the
structural score alone.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

BLEND_FILE = "blend.json"


def semantic_score(emb_a: np.ndarray, emb_b: np.ndarray) -> float:
    """Cosine of two unit-norm embeddings mapped from [-1, 1] to [0, 1]: the scale the
    blend is fitted on and every report shows, wherever the embeddings come from."""
    cos = float(np.dot(emb_a, emb_b))
    return min(1.0, max(0.0, (cos + 1.0) / 2.0))


@dataclass(frozen=True)
class Blend:
    w_structural: float
    w_semantic: float
    bias: float
    fitted_on: str = ""

    def combine(self, structural: float, semantic: float) -> float:
        z = self.w_structural * structural + self.w_semantic * semantic + self.bias
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def describe(self) -> str:
        return (
            f"logistic blend: {self.w_structural:.3f}*structural + {self.w_semantic:.3f}*semantic "
            f"+ {self.bias:.3f}"
        )


def fit_blend(
    structural: Sequence[float], semantic: Sequence[float], labels: Sequence[int], fitted_on: str = ""
) -> Blend:
    """Logistic regression on the two scores (class-balanced, so rare positives count)."""
    from sklearn.linear_model import LogisticRegression

    if len(set(labels)) < 2:
        raise ValueError("fitting a blend needs both positive and negative pairs")
    x = [[s, m] for s, m in zip(structural, semantic, strict=True)]
    model = LogisticRegression(class_weight="balanced", C=10.0).fit(x, list(labels))
    (w_s, w_m), bias = model.coef_[0], model.intercept_[0]
    return Blend(float(w_s), float(w_m), float(bias), fitted_on)


def save_blend(blend: Blend, model_dir: str | Path) -> Path:
    path = Path(model_dir) / BLEND_FILE
    path.write_text(json.dumps(asdict(blend), indent=2) + "\n")
    return path


def load_blend(model_dir: str | Path | None) -> Blend | None:
    if model_dir is None:
        return None
    path = Path(model_dir) / BLEND_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    return Blend(
        float(data["w_structural"]), float(data["w_semantic"]), float(data["bias"]), str(data.get("fitted_on", ""))
    )
