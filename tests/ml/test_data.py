"""Data loading, splits, sampling weights and the mixed batches the trainer consumes."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from ml.data import (
    CodeExample,
    CodePair,
    DataError,
    MixedBatches,
    aigen_author,
    crop_lines,
    fixed_sample,
    load_aigen,
    load_hub_dataset,
    load_plagiarism_pairs,
    load_rosetta,
    rosetta_human_examples,
    rosetta_split,
    sampling_weights,
)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def aigen_rows(n: int = 12) -> list[dict]:
    return [
        {"id": f"s/{i}", "code": f"def f{i}(x):\n    return x + {i}\n", "language": "python",
         "label": i % 2, "source": "big" if i < 8 else "small", "generator": "x", "group": f"g{i}"}
        for i in range(n)
    ]


def test_load_aigen_and_source_filters(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "a.jsonl", aigen_rows())
    rows = load_aigen(p)
    assert len(rows) == 12 and rows[0].label == 0 and rows[1].label == 1 and rows[0].source == "big"
    assert {r.source for r in load_aigen(p, exclude_sources=["big"])} == {"small"}
    assert len(load_aigen(p, only_sources=["small"])) == 4


def test_aigen_authors_from_ids_that_name_them() -> None:
    gcj = "gpt-java-gcj/gpt-4o/ar_95_000000000019fef4_00000000003246e0_0000000000317409.java"
    assert aigen_author("gpt-java-gcj", gcj, "gpt-java-gcj:problem:0000000000317409") == (
        "ar_95", "gpt-java-gcj:problem:0000000000317409")
    assert aigen_author("gpt-java-gcj", "gpt-java-gcj/human/short_name.java") == ("", "")
    human = "gpt-java-rewrite/Human Authors/chacha/src/Login.java"
    ai = "gpt-java-rewrite/ChatGPT3.5/No Format/chacha/src/Login.java"
    assert aigen_author("gpt-java-rewrite", human) == aigen_author("gpt-java-rewrite", ai) == ("chacha", "src/Login.java")
    assert aigen_author("gptsniffer", "gptsniffer/0_Foo.java") == ("", "")


def test_load_aigen_reads_authors(tmp_path: Path) -> None:
    rows = aigen_rows(4)
    rows[0].update(author="alice", work="hw1")
    rows[1].update(source="gpt-java-rewrite", id="gpt-java-rewrite/Human Authors/bob/A.java")
    got = load_aigen(write_jsonl(tmp_path / "a.jsonl", rows))
    assert (got[0].author, got[0].work) == ("alice", "hw1")
    assert (got[1].author, got[1].work) == ("bob", "A.java")
    assert (got[2].author, got[2].work) == ("", "")


def test_load_aigen_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_aigen(tmp_path / "missing.jsonl")
    bad = aigen_rows(2)
    bad[1]["label"] = 7
    with pytest.raises(DataError, match="label"):
        load_aigen(write_jsonl(tmp_path / "bad.jsonl", bad))
    p = write_jsonl(tmp_path / "nocode.jsonl", [{"language": "python", "label": 0}])
    with pytest.raises(DataError, match="code"):
        load_aigen(p)


def test_plagiarism_pairs_filter_by_label(tmp_path: Path) -> None:
    side = {"id": "x", "code": "int main(){}", "language": "C", "path": "p"}
    rows = [{"id": str(i), "a": side, "b": side, "label": i % 2, "level": None, "source": "s", "group": "g"}
            for i in range(5)]
    p = write_jsonl(tmp_path / "p.jsonl", rows)
    pos = load_plagiarism_pairs(p)
    assert len(pos) == 2 and all(lab == 1 for _, lab in pos)
    assert pos[0][0].a.language == "c" and pos[0][0].a.label == -1
    assert len(load_plagiarism_pairs(p, label=None)) == 5


def test_rosetta_split_is_stable_task_disjoint_and_roughly_ten_percent(tmp_path: Path) -> None:
    tasks = [f"task {i}" for i in range(2000)]
    splits = [rosetta_split(t) for t in tasks]
    assert splits == [rosetta_split(t) for t in tasks]
    assert 0.07 < splits.count("dev") / len(tasks) < 0.13
    rows = [{"task": t, "language": lang, "code": f"// {t} in {lang}"} for t in tasks[:50] for lang in ("c", "go")]
    p = write_jsonl(tmp_path / "r.jsonl", rows)
    train, dev = load_rosetta(p, "train"), load_rosetta(p, "dev")
    assert train and dev and not set(train) & set(dev)
    assert set(train) | set(dev) == set(tasks[:50])


def test_rosetta_human_examples_cap_per_language() -> None:
    tasks = {f"t{i}": [CodeExample(f"x{i}", lang, 0, "rosetta", f"t{i}") for lang in ("go", "c", "python")]
             for i in range(10)}
    out = rosetta_human_examples(tasks, ["go", "c"], per_language=3, seed=0)
    assert Counter(e.language for e in out) == {"go": 3, "c": 3}
    assert all(e.label == 0 and e.source == "rosetta-human" for e in out)
    assert rosetta_human_examples(tasks, ["go"], 0, 0) == []


def test_sampling_weights_give_cells_mass_by_count_power() -> None:
    ex = [CodeExample("a", "java", 0, "big")] * 90 + [CodeExample("b", "java", 0, "small")] * 10
    w = sampling_weights(ex, alpha=0.5)
    assert w.sum() == pytest.approx(1.0)
    big, small = w[:90].sum(), w[90:].sum()
    assert big / small == pytest.approx(3.0)  # sqrt(90/10)
    w0 = sampling_weights(ex, alpha=0.0)
    assert w0[:90].sum() == pytest.approx(0.5)
    w1 = sampling_weights(ex, alpha=1.0)
    assert w1[:90].sum() == pytest.approx(0.9)


def test_crop_lines_windows() -> None:
    code = "\n".join(f"line {i}" for i in range(200))
    assert crop_lines(code, 0.0, 256) == code
    end = crop_lines(code, 1.0, 256)
    assert end.endswith("line 199") and not end.startswith("line 0\n")
    assert len(end.split("\n")) >= 256 // 11 - 1
    short = "a\nb"
    assert crop_lines(short, 1.0, 256) == short


def make_batches(**kw: object) -> MixedBatches:
    ex = [CodeExample(f"def f():\n    return {i}\n", "python", i % 2, "s" if i < 20 else "t") for i in range(30)]
    plag = [CodePair(CodeExample(f"int a{i};", "c", -1), CodeExample(f"int b{i};", "c", -1), "plagiarism", f"g{i}")
            for i in range(5)]
    ros = {f"t{i}": [CodeExample(f"print({i})", "python", 0), CodeExample(f"puts {i}", "ruby", 0)] for i in range(5)}
    args = dict(batch_size=8, contrastive_pairs=6, pair_mix={"self": 1, "plagiarism": 1, "rosetta": 1},
                max_length=64, epoch_size=20, seed=3)
    args.update(kw)
    return MixedBatches(ex, plag, ros, **args)  # type: ignore[arg-type]


def test_mixed_batches_shapes_labels_and_determinism() -> None:
    mb = make_batches()
    batches = list(mb.epoch(0))
    assert len(batches) == len(mb) == 3
    assert [len(b.singles) for b in batches] == [8, 8, 4]
    for b in batches:
        assert len(b.pairs_a) == len(b.pairs_b) == len(b.kinds) <= 6
        assert all(s.label in (0, 1) for s in b.singles)
        assert all(v.label == -1 for v in b.pairs_b)  # views and partners never feed the classifier
        for a, kind in zip(b.pairs_a, b.kinds, strict=True):
            if kind == "self":
                assert any(a is s for s in b.singles)  # the anchor is the classification example
        assert all(it.style_code for it in b.singles)
    kinds = Counter(k for b in batches for k in b.kinds)
    assert set(kinds) == {"self", "plagiarism", "rosetta"}
    again = list(make_batches().epoch(0))
    assert [s.code for b in again for s in b.singles] == [s.code for b in batches for s in b.singles]
    other = list(make_batches().epoch(1))
    assert [s.code for b in other for s in b.singles] != [s.code for b in batches for s in b.singles]


def test_rosetta_pairs_cross_languages_and_kinds_can_be_disabled() -> None:
    mb = make_batches(pair_mix={"rosetta": 1.0})
    for b in mb.epoch(0):
        assert set(b.kinds) == {"rosetta"}
        for a, bb in zip(b.pairs_a, b.pairs_b, strict=True):
            assert a.language != bb.language
    mb = make_batches(contrastive_pairs=0)
    assert all(not b.pairs_a for b in mb.epoch(0))
    with pytest.raises(DataError):
        MixedBatches([], [], {}, batch_size=2, contrastive_pairs=0, pair_mix={}, max_length=32)


def test_weighted_epoch_prefers_small_sources_over_uniform() -> None:
    mb = make_batches(epoch_size=3000, source_alpha=0.0, augment_prob=0.0, random_window=False)
    srcs = Counter(
        "small" if s.code in {f"def f():\n    return {i}\n" for i in range(20, 30)} else "big"
        for b in mb.epoch(0) for s in b.singles
    )
    # alpha=0: each (source, label) cell gets equal mass, although "t" has half the rows of "s"
    assert 0.4 < srcs["small"] / sum(srcs.values()) < 0.6


def test_hub_dataset_offline_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets.config
    import huggingface_hub.constants

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # both libraries read these at import time; without this the test waits on the network
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    with pytest.raises(DataError, match="hub"):
        load_hub_dataset("christopher/rosetta-code")
    with pytest.raises(DataError, match="unknown"):
        load_hub_dataset("someone/else")


def test_random_windows_vary_but_heads_occur() -> None:
    long = "\n".join(f"x{i} = {i}" for i in range(300))
    mb = MixedBatches([CodeExample(long, "python", 1, "s")], [], {}, batch_size=1, contrastive_pairs=0,
                      pair_mix={}, max_length=64, epoch_size=60, augment_prob=0.0, seed=0)
    starts = [b.singles[0].code.split("\n")[0] for b in mb.epoch(0)]
    assert "x0 = 0" in starts and len(set(starts)) > 5
    assert all(b.singles[0].style_code == long for b in mb.epoch(0))


def test_fixed_sample_picks_the_same_positions_from_parallel_lists() -> None:
    # The trainer samples CodeExamples, benchmarks.eval_calibration the raw rows they came from:
    # the same length and seed must give the same positions.
    rows = [{"id": i} for i in range(50)]
    examples = [CodeExample(f"x = {i}", "python", i % 2) for i in range(50)]
    picked = fixed_sample(rows, 7, seed=13)
    assert len(picked) == 7 and len({r["id"] for r in picked}) == 7
    assert [e.code for e in fixed_sample(examples, 7, seed=13)] == [f"x = {r['id']}" for r in picked]
    assert fixed_sample(rows, 7, seed=14) != picked
    assert fixed_sample(rows, 0, seed=13) == rows and fixed_sample(rows, 80, seed=13) == rows
