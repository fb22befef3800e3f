"""The similarity benchmark's int8 path: it scores with the served ONNX int8 graph, exporting one when
the model has none, and the semantic scores stay close to PyTorch's."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.eval_similarity import int8_detector, retrieval_cells
from ml.blend import semantic_score
from ml.inference import ONNX_DIR, CodeDetectorInference
from tests.ml.conftest import make_tiny_model

CODES = [
    "def add(a, b):\n    return a + b\n",
    "def plus(x, y):\n    total = x + y\n    return total\n",
    "public class Main { public static void main(String[] a) { System.out.println(1); } }\n",
]


def test_int8_detector_exports_when_missing_and_tracks_torch(tmp_path: Path) -> None:
    model = make_tiny_model(tmp_path)
    assert not (model / ONNX_DIR).exists()
    det8 = int8_detector(str(model))
    assert det8.backend == "onnx" and det8.onnx_path.name.endswith(".int8.onnx")
    assert not (model / ONNX_DIR).exists()  # the model folder is left as it was
    ref = CodeDetectorInference(model, backend="torch")
    langs = ["python", "python", "java"]
    e32, e8 = ref.embed(CODES, langs), det8.embed(CODES, langs)
    assert e8.shape == e32.shape
    s32 = [semantic_score(e32[i], e32[j]) for i, j in ((0, 1), (0, 2), (1, 2))]
    s8 = [semantic_score(e8[i], e8[j]) for i, j in ((0, 1), (0, 2), (1, 2))]
    assert np.max(np.abs(np.subtract(s32, s8))) < 0.05


def test_retrieval_cells_format() -> None:
    ret = {"recall@1": 0.5, "recall@5": 0.75, "mrr": 0.6123, "chance@1": 0.003}
    assert retrieval_cells(ret) == ["0.500", "0.750", "0.612", "0.003"]
