"""Tiny, fast retraining setups shared by the retraining unit and end-to-end tests.

A 2-layer 32-wide random encoder (tests.ml.conftest.make_tiny_model) and a few dozen files
in which human and AI code differ in layout, so a handful of optimizer steps can learn
something measurable; training data, the fixed validation set and feedback are disjoint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

HUMAN = "public class Shape{i} {{\n\tint area(int x) {{\n\t\tint r = x*{i};\n\t\treturn r;\n\t}}\n}}\n"
AI = 'def compute_value_{i}(x):\n    """Return the computed value."""\n    result = x * {i}\n    return result\n'


_NAMES = ["area", "size", "count", "total", "width", "depth", "score", "level", "speed", "price", "weight"]


def human_code(i: int) -> str:
    """Terse, tab-indented Java whose length and names vary with i (so scores spread)."""
    body = HUMAN.format(i=i)
    extra = "".join(f"\tint {_NAMES[(i + k) % len(_NAMES)]}{k}(int y) {{ return y+{i * k}; }}\n"
                    for k in range(i % 4))
    return body[: -len("}\n")] + extra + "}\n" if extra else body


def ai_code(i: int) -> str:
    """Docstring-heavy, spaced Python whose length and names vary with i."""
    body = AI.format(i=i)
    for k in range(i % 3):
        name = _NAMES[(i * 3 + k) % len(_NAMES)]
        body += (f"\n\ndef get_{name}_{k}(value):\n    \"\"\"Return the {name} for the given value.\"\"\"\n"
                 f"    {name} = value + {i + k}\n    return {name}\n")
    return body


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _rows(n: int, offset: int) -> list[dict[str, Any]]:
    out = []
    for i in range(offset, offset + n):
        human = i % 2 == 0
        out.append({"id": f"x/{i}", "code": human_code(i) if human else ai_code(i),
                    "language": "java" if human else "python", "label": 0 if human else 1,
                    "source": "src-a" if i % 3 else "src-b", "group": f"g{i}"})
    return out


def make_data(root: Path) -> Path:
    data = root / "data"
    _write(data / "aigen" / "train.jsonl", _rows(24, 0))
    _write(data / "aigen" / "dev.jsonl", _rows(60, 100))
    side = lambda i: {"id": f"p{i}", "code": f"int main() {{ return {i}; }}", "language": "c", "path": "x"}  # noqa: E731
    pairs = [{"id": str(i), "a": side(i), "b": side(i + 1), "label": i % 2, "level": None, "source": "s",
              "group": f"g{i % 3}"} for i in range(8)]
    _write(data / "plagiarism" / "train.jsonl", pairs)
    _write(data / "plagiarism" / "dev.jsonl", pairs)
    _write(data / "rosetta" / "rosetta.jsonl", [{"task": f"task {t}", "language": lang, "code": f"// {t}\nprint({t})"}
                                                 for t in range(20) for lang in ("c", "go")])
    return data


def make_base_model(root: Path) -> Path:
    from tests.ml.conftest import make_tiny_model

    return make_tiny_model(root, max_length=32, seed=3)


def write_config(path: Path, data: Path, *, train: dict[str, Any] | None = None,
                 retrain: dict[str, Any] | None = None, promotion: dict[str, Any] | None = None) -> Path:
    cfg = {
        "train": {"data_dir": str(data), "batch_size": 8, "eval_batch_size": 16, "contrastive_pairs": 2,
                  "train_limit": 32, "val_pairs_limit": 0, "rosetta_human_per_language": 0,
                  "pair_mix": {"self": 1.0}, "learning_rate": 0.02, "unfreeze_lr_factor": 0.5, "device": "cpu",
                  "warmup_steps": 1, "patience": 5, "seed": 1, "freeze_epochs": 0, "augment_prob": 0.0,
                  "log_every": 1000, **(train or {})},
        "retrain": {"epochs": 2, "feedback_repeat": 2, **(retrain or {})},
        # 4 human files per half: the 1% target is below what 4 files can show, so the
        # tests set the FPR limit the tiny set can measure.
        "promotion": {"max_fpr_high": 0.25, "fpr_margin": 0, **(promotion or {})},
    }
    path.write_text(yaml.safe_dump(cfg))
    return path
