"""benchmarks/evidence_variants.py: variant parsing, language offsets, and one run of each variant
on tiny synthetic files (the real run reads ../shared/data and takes minutes)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.evidence_variants import (
    COLUMNS,
    EVADER_EDITS,
    ROSETTA_HUMAN,
    Split,
    Variant,
    apply_offsets,
    column_out_of_fold,
    language_offsets,
    parse_variant,
    render,
    run_variants,
)
from ml.data import CodeExample
from ml.evidence import group_folds
from tests.ml.conftest import tiny_evidence_rows

EXTRA = ("token_lm", "word_ngrams")


def test_variants_parse_and_bad_ones_are_named() -> None:
    assert parse_variant("shipped") == Variant("shipped")
    assert parse_variant(" source-alpha=0.25 ").source_alpha == 0.25
    assert parse_variant("lang-offset").lang_offset
    assert parse_variant("no-rosetta-humans").drop_rosetta_humans
    assert parse_variant("token-lm").columns == ("token_lm",)
    assert parse_variant("word-ngrams").columns == ("word_ngrams",)
    assert parse_variant("frozen-encoder").columns == ("frozen_encoder",)
    assert parse_variant("frozen-knn").columns == ("frozen_knn",)
    assert parse_variant("compact-spacing").compact_spacing
    for bad in ("source-alpha=2", "source-alpha=x", "bigger-trees"):
        with pytest.raises(ValueError, match="source-alpha|unknown"):
            parse_variant(bad)


def test_language_offsets_align_the_human_tail_and_skip_small_languages() -> None:
    rng = np.random.default_rng(0)
    scores = np.concatenate([rng.normal(0, 1, 400), rng.normal(2, 1, 400), rng.normal(5, 1, 10), rng.normal(3, 1, 50)])
    labels = np.array([0] * 810 + [1] * 50)
    langs = ["java"] * 400 + ["python"] * 400 + ["go"] * 10 + ["java"] * 50
    off = language_offsets(scores, labels, langs)
    assert set(off) == {"java", "python"}  # go has 10 humans: below the minimum
    assert off["python"] - off["java"] == pytest.approx(2.0, abs=0.6)
    shifted = apply_offsets(scores, langs, off)
    q_java = np.quantile(shifted[:400], 0.99)
    q_python = np.quantile(shifted[400:800], 0.99)
    assert q_java == pytest.approx(q_python, abs=1e-9)
    assert np.array_equal(shifted[800:810], scores[800:810])


def rows() -> list[CodeExample]:
    codes, langs, labels, groups = tiny_evidence_rows(60)
    out = [CodeExample(c, lang, y, "src-a" if i < 40 else "src-b", g)
           for i, (c, lang, y, g) in enumerate(zip(codes, langs, labels, groups, strict=True))]
    return out + [CodeExample(f"print({i})\n", "python", 0, ROSETTA_HUMAN, f"task{i}") for i in range(10)]


def test_each_variant_runs_and_reports_what_it_trained_on() -> None:
    specs = ["shipped", "source-alpha=0.5", "lang-offset", "no-rosetta-humans", "token-lm", "word-ngrams",
             "compact-spacing"]
    train = Split.of(rows(), EXTRA)
    dev = Split.of(rows()[:60], EXTRA)
    results = run_variants([parse_variant(s) for s in specs], train, dev, folds=2, seed=0)
    by = {r["variant"]: r for r in results}
    assert [by[s]["train_files"] for s in specs] == [70, 70, 70, 60, 70, 70, 70]
    assert by["lang-offset"]["weights"] == by["shipped"]["weights"]  # one fit, post-processed
    assert by["source-alpha=0.5"]["weights"] != by["shipped"]["weights"]  # src-a and src-b differ in size
    assert list(by["token-lm"]["weights"]) == ["style_trees", "char_ngrams", "token_lm"]
    assert by["compact-spacing"]["weights"] != by["shipped"]["weights"]  # its own fit, on other text
    assert by["token-lm"]["weights"]["token_lm"] > 0  # the AI model reads the AI style as more likely
    assert list(by["word-ngrams"]["weights"]) == ["style_trees", "char_ngrams", "word_ngrams"]
    assert by["word-ngrams"]["weights"]["word_ngrams"] != 0.0
    text = "\n".join(render(results, "python -m benchmarks.evidence_variants", "today"))
    for r in results:
        assert r["roc_auc"] == pytest.approx(1.0)  # the two synthetic styles differ in every n-gram
        lo, hi = r["tpr_at_1fpr_ci95"]
        assert lo <= r["tpr_at_1fpr"] <= hi
        assert f"| {r['variant']} | {r['train_files']} |" in text
    assert "Leave one source out" not in text


def test_loso_leaves_each_source_out_and_skips_lang_offset() -> None:
    data = rows()
    train = Split.of(data, EXTRA)
    dev = Split.of(data[:60], EXTRA)
    specs = ["shipped", "lang-offset", "token-lm", "word-ngrams"]
    results = run_variants([parse_variant(s) for s in specs], train, dev, folds=2, seed=0, loso=True)
    by = {r["variant"]: r for r in results}
    assert "loso" not in by["lang-offset"]
    for spec in ("shipped", "token-lm", "word-ngrams"):
        held = by[spec]["loso"]
        assert [h["source"] for h in held] == ["src-a", "src-b"]  # Rosetta humans are no source
        assert [(h["humans"], h["ai"]) for h in held] == [(40, 40), (20, 20)]  # train and dev rows
        for h in held:
            assert 0.0 <= h["deployed_fpr"] <= 1.0 and 0.0 <= h["deployed_tpr"] <= 1.0
            assert h["roc_auc"] > 0.5
    text = "\n".join(render(results, "python -m benchmarks.evidence_variants --loso", "today"))
    assert "Leave one source out" in text and "| src-a AUC / FPR | src-b AUC / FPR |" in text


def test_loso_and_compact_spacing_need_no_extra_inputs() -> None:
    data = rows()
    train, dev = Split.of(data), Split.of(data[:60])
    results = run_variants([parse_variant("shipped"), parse_variant("compact-spacing")], train, dev,
                           folds=2, seed=0, loso=True)
    assert [len(r["loso"]) for r in results] == [2, 2]


@pytest.mark.parametrize("name", EXTRA)
def test_each_extra_column_separates_two_styles_out_of_fold(name: str) -> None:
    codes, langs, labels, groups = tiny_evidence_rows(60)
    data = [CodeExample(c, lang, y, "src", g) for c, lang, y, g in zip(codes, langs, labels, groups, strict=True)]
    y = np.array(labels)
    inputs = COLUMNS[name].read(data)
    oof = column_out_of_fold(COLUMNS[name], inputs, y, group_folds(groups, 3, seed=0))
    assert oof[y == 1].min() > 0 > oof[y == 0].max()  # each file read by a model that never saw it


def test_edited_copies_double_the_training_rows_but_never_the_test_files() -> None:
    data = rows()
    train, dev = Split.of(data), Split.of(data[:60])
    doubled = train.with_edited_copies()
    assert len(doubled.rows) == 2 * len(data) and doubled.inputs.counts.shape[0] == 2 * len(data)
    assert [e.group for e in doubled.rows[len(data):]] == [e.group for e in data]  # a copy stays in its fold
    assert any(c.code != e.code for c, e in zip(doubled.rows[len(data):], data, strict=True))
    specs = ["shipped", "edited-copies"]
    results = run_variants([parse_variant(s) for s in specs], train, dev, folds=2, seed=0, loso=True,
                           loso_only=["src-b"])
    by = {r["variant"]: r for r in results}
    assert by["edited-copies"]["train_files"] == 2 * len(data)
    # Left out, only the source's own files are tested, never their edited copies.
    assert [(h["source"], h["humans"], h["ai"]) for h in by["edited-copies"]["loso"]] == [("src-b", 20, 20)]
    for r in results:
        assert set(r["evader"]) == set(EVADER_EDITS) and all(0.0 <= v <= 1.0 for v in r["evader"].values())
    text = "\n".join(render(results, "python -m benchmarks.evidence_variants", "today"))
    assert "Dev AI files edited before scoring" in text and "| edited-copies |" in text
    light = run_variants([parse_variant("edited-copies=0.25")], train, dev, folds=2, seed=0)[0]
    assert light["train_files"] == 2 * len(data) and light["weights"] != by["edited-copies"]["weights"]
    with pytest.raises(ValueError, match="copy weight"):
        parse_variant("edited-copies=0")
