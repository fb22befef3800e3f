"""The evaluation script's pure parts: metrics table, section writing."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.eval_aigen import BEGIN, END, breakdown, write_section


def test_write_section_replaces_only_its_block(tmp_path: Path) -> None:
    doc = tmp_path / "B.md"
    write_section("## A\n\nfirst\n", doc)
    assert doc.read_text().startswith("# Benchmarks")
    doc.write_text(doc.read_text() + "\n## Someone else's section\n\nkeep me\n")
    write_section("## A\n\nsecond\n", doc)
    text = doc.read_text()
    assert "second" in text and "first" not in text and "keep me" in text
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    write_section("## T\n\nother\n", doc, "<!-- b -->", "<!-- e -->")
    assert "second" in doc.read_text() and "other" in doc.read_text()


def test_breakdown_uses_global_threshold() -> None:
    rows = [{"source": "a"}] * 4 + [{"source": "b"}] * 4
    y = np.array([0, 0, 1, 1, 0, 0, 1, 1])
    s = np.array([0.1, 0.2, 0.8, 0.9, 0.6, 0.7, 0.65, 0.95])
    out = {r[0]: r for r in breakdown(rows, y, s, 0.5, lambda r: r["source"])}
    assert out["a"][1:4] == (2, 2, 1.0)
    assert out["b"][5] == 1.0  # both humans of b are above the global threshold
    assert out["b"][6] == 1.0


def test_held_out_model_joins_the_leave_one_source_out_table() -> None:
    from benchmarks.eval_aigen import section

    loso = [("src-a", 10, 12, 0.8, 0.3, 0.02, 0.4), ("src-b", 5, 6, 0.7, float("nan"), 0.1, 0.5)]
    held = {"src-a": {"sources": ["src-a"], "files": 22, "human": 10, "roc_auc": 0.912, "tpr_at_1fpr": 0.45,
                      "deployed_fpr": 0.055, "deployed_tpr": 0.6, "model": "scratch/held",
                      "rule": "balanced"}}
    grp = [("src-a", 1, 1, 1.0, float("nan"), 0.0, 1.0)]
    dev = {"tfidf": {"auc": 0.9, "tpr1": 0.5, "tpr5": 0.7, "by_source": grp, "by_language": grp, "by_length": grp}}
    text = section({"dev": dev, "loso": {"tfidf": loso}, "short": {"tfidf": "TF-IDF"}, "loso_model": held,
                    "command": "python -m benchmarks.eval_aigen", "when": "today", "seconds": 1.0})
    text = text.split("### Leave one source out", 1)[1]
    rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines() if line.startswith("| src-")}
    assert "| model AUC | model TPR@1% | model FPR | model TPR |" in text
    assert rows["src-a"].endswith("| 0.912 | 0.450 | 0.055 | 0.600 |")
    assert rows["src-b"].endswith("| – | – | – | – |")
    assert "--holdout-sources src-a --output-dir scratch/held" in text
    assert "by its calibration rule (`balanced`" in text


def test_pooled_table_shows_intervals_and_the_model_parts() -> None:
    from benchmarks.eval_aigen import add_intervals, section

    rng = np.random.default_rng(0)
    y = np.tile([0, 1], 200)
    s = y + rng.normal(size=400)
    groups = [f"src:t{i // 8}" for i in range(400)]
    grp = [("src", 200, 200, 0.8, float("nan"), 0.01, 0.3)]
    row = {"auc": 0.8, "tpr1": 0.3, "tpr5": 0.5, "by_source": grp, "by_language": grp, "by_length": grp}
    add_intervals(row, y, s, groups)
    lo, hi = row["tpr1_ci"]
    assert 0.0 <= lo < hi <= 1.0 and row["auc_ci"][0] < row["auc_ci"][1]
    part = {"auc": 0.55, "tpr1": 0.01, "tpr5": 0.06, "auc_ci": (0.5, 0.6), "tpr1_ci": (0.0, 0.02)}
    text = section({"dev": {"model": row}, "short": {"model": "model"}, "model_parts": {"model: encoder path alone (part)": part},
                    "command": "python -m benchmarks.eval_aigen", "when": "today", "seconds": 1.0})
    pooled = text.split("### Pooled dev", 1)[1].split("### Per source", 1)[0]
    assert "| detector | ROC-AUC | 95% interval | TPR@1%FPR | 95% interval | TPR@5%FPR |" in pooled
    assert f"| model | 0.800 | {row['auc_ci'][0]:.3f}-{row['auc_ci'][1]:.3f} | 0.300 | {lo:.3f}-{hi:.3f} | 0.500 |" in pooled
    assert "| model: encoder path alone (part) | 0.550 | 0.500-0.600 | 0.010 | 0.000-0.020 | 0.060 |" in pooled
    # the parts stay out of the per-source tables (they are read off the pooled one)
    assert "encoder path alone" not in text.split("### Per source", 1)[1]
    assert "how much the trained encoder adds" in pooled
    # a head that gives the encoder path weight 0: one part, and the text says why
    free = section({"dev": {"model": row}, "short": {"model": "model"}, "encoder_free_bias": 1.7126,
                    "model_parts": {"model: file-evidence term alone (part)": part},
                    "command": "python -m benchmarks.eval_aigen", "when": "today", "seconds": 1.0})
    assert "weight 0" in free and "the constant 1.713 plus" in free and "how much the trained encoder" not in free


def test_skip_baselines_scores_the_model_alone(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    import json

    import pytest

    from benchmarks.eval_aigen import main
    from tests.ml.conftest import make_tiny_model

    rows = [
        {"code": f"def f{i}(x):\n    return x + {i}\n" if i % 2 else f"int g{i}() {{ return {i}; }}\n",
         "language": "python" if i % 2 else "java", "label": i % 2, "source": "s" if i < 20 else "t",
         "group": str(i // 2)}
        for i in range(40)
    ]
    for name in ("train.jsonl", "dev.jsonl"):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    model = make_tiny_model(tmp_path / "m")
    out = tmp_path / "r.json"
    assert main(["--data", str(tmp_path), "--model", str(model), "--skip-baselines", "--no-loso", "--no-write",
                 "--json-out", str(out)]) == 0
    printed = capsys.readouterr().out
    res = json.loads(out.read_text())
    name = f"CodeGuard model ({model.name}, torch)"
    assert list(res["dev"]) == [name] and 0.0 <= res["dev"][name]["auc"] <= 1
    assert "Baselines not run" in printed and "TF-IDF" not in printed
    with pytest.raises(SystemExit):
        main(["--data", str(tmp_path), "--skip-baselines", "--skip-model", "--no-write"])
