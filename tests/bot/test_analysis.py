"""The model stage of `analyze`: AI risk per file and a semantic score per pair, from one pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.analysis import AnalysisOptions, analyze
from bot.cli import main
from ml.blend import Blend, save_blend
from ml.inference import CodeDetectorInference
from ml.submission import SourceFile, Submission
from tests.ml.conftest import make_tiny_model

ORIGINAL = """def mean(values):
    total = 0
    for v in values:
        total += v
    return total / len(values)


def spread(values):
    lo = min(values)
    hi = max(values)
    return hi - lo
"""
COPY = ORIGINAL.replace("values", "xs").replace("total", "acc")
OTHER = """class Stack:
    def __init__(self):
        self.items = []

    def push(self, item):
        self.items.append(item)
"""


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny"))


def _subs() -> list[Submission]:
    return [
        Submission("alice", [SourceFile("a.py", "python", ORIGINAL)]),
        Submission("bob", [SourceFile("b.py", "python", COPY)]),
        Submission("carol", [SourceFile("c.py", "python", OTHER)]),
    ]


def test_structural_only_leaves_model_fields_empty():
    report = analyze(_subs(), options=AnalysisOptions(min_similarity=0.0))
    assert all(f.ai_score is None and f.risk_level is None for f in report.files)
    assert all(p.semantic is None for p in report.pairs)
    assert report.model_version is None


def test_model_stage_scores_files_and_pairs(tiny_model_dir: Path):
    detector = CodeDetectorInference(tiny_model_dir)
    report = analyze(_subs(), options=AnalysisOptions(min_similarity=0.0, detector=detector, ai=True))
    assert {f.path for f in report.files} == {"alice/a.py", "bob/b.py", "carol/c.py"}
    for f in report.files:
        assert f.ai_score is not None and 0.0 <= f.ai_score <= 1.0
        assert f.risk_level == detector.level(f.ai_score)
    # the scores are the detector's own, file by file
    direct = detector.score([ORIGINAL], ["python"])[0]
    alice = next(f for f in report.files if f.path == "alice/a.py")
    assert alice.ai_score == pytest.approx(float(direct), abs=1e-5)
    pair = next(p for p in report.pairs if {p.a, p.b} == {"alice", "bob"})
    assert pair.semantic is not None and 0.0 <= pair.semantic <= 1.0
    expected = detector.compute_similarity(ORIGINAL, COPY, "python", "python")
    assert pair.semantic == pytest.approx(expected, abs=1e-4)
    assert pair.similarity == pair.structural  # no blend fitted for this model
    assert report.model_version == detector.model_version
    assert report.settings["engine"] == "structural+neural"


def test_ai_off_keeps_semantic(tiny_model_dir: Path):
    detector = CodeDetectorInference(tiny_model_dir)
    report = analyze(_subs(), options=AnalysisOptions(min_similarity=0.0, detector=detector, ai=False))
    assert all(f.ai_score is None for f in report.files)
    assert any(p.semantic is not None for p in report.pairs)


def test_blend_beside_the_model_sets_similarity(tiny_model_dir: Path, tmp_path: Path):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    blend = Blend(6.0, 1.0, -3.0, "test")
    save_blend(blend, model)
    detector = CodeDetectorInference(model)
    report = analyze(_subs(), options=AnalysisOptions(min_similarity=0.0, detector=detector, ai=True))
    for p in report.pairs:
        assert p.similarity == pytest.approx(blend.combine(p.structural, p.semantic))
    assert [p.similarity for p in report.pairs] == sorted((p.similarity for p in report.pairs), reverse=True)


def test_scan_cli_model_flags(tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    cls = tmp_path / "class"
    cls.mkdir()
    (cls / "alice.py").write_text(ORIGINAL)
    (cls / "bob.py").write_text(COPY)
    out = tmp_path / "r.json"
    assert main(["scan", str(cls), "--model", str(tiny_model_dir), "--format", "json", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert all(isinstance(f["ai_score"], float) for f in data["files"])
    assert data["pairs"][0]["semantic"] is not None
    assert main(["scan", str(cls), "--no-model", "--format", "json", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert all(f["ai_score"] is None for f in data["files"])
    assert main(["scan", str(cls), "--model", str(tmp_path / "nope"), "--format", "json"]) == 2
    assert "no trained model" in capsys.readouterr().err


@pytest.fixture(scope="module")
def evidence_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ml.evidence import PATHS

    return make_tiny_model(tmp_path_factory.mktemp("tiny-evidence"), evidence=PATHS)


def _java_class() -> list[Submission]:
    from tests.ml.conftest import tiny_evidence_rows

    codes = tiny_evidence_rows()[0]
    return [Submission(name, [SourceFile("Main.java", "java", code)]) for name, code in
            (("ann", codes[0]), ("ben", codes[1]), ("cat", codes[3]))]


def test_explain_files_explains_only_the_wanted_scored_files(evidence_model_dir: Path):
    from bot.analysis import explain_files

    detector = CodeDetectorInference(evidence_model_dir)
    subs = _java_class()
    report = analyze(subs, options=AnalysisOptions(min_similarity=0.0, detector=detector, ai=True))
    # Only "ben" is a submission the reader sees; "cat" would be wanted but is not among them.
    n = explain_files(report, subs[:2], detector, lambda r: r.path != "ann/Main.java")
    assert n == 1
    by_path = {f.path: f for f in report.files}
    assert by_path["ann/Main.java"].explanation is None and by_path["cat/Main.java"].explanation is None
    assert by_path["ben/Main.java"].explanation == detector.explain([subs[1].files[0].text], ["java"])[0]
    rows = {f["path"]: f for f in report.to_dict()["files"]}
    assert "explanation" not in rows["ann/Main.java"] and rows["ben/Main.java"]["explanation"]["lines"]
    assert explain_files(analyze(subs), subs, detector, lambda r: True) == 0  # unscored: nothing to explain


def test_scan_explain_flag(evidence_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    cls = tmp_path / "class"
    for sub in _java_class():
        (cls / sub.name).mkdir(parents=True)
        (cls / sub.name / "Main.java").write_text(sub.files[0].text)
    out = tmp_path / "r.json"
    args = ["scan", str(cls), "--model", str(evidence_model_dir), "--format", "json", "--out", str(out)]
    assert main([*args, "--explain", "all"]) == 0
    data = json.loads(out.read_text())
    assert data["settings"]["explained_from"] == "all"
    assert all("explanation" in f and f["explanation"]["parts"] for f in data["files"])
    assert main(args) == 0
    assert all("explanation" not in f for f in json.loads(out.read_text())["files"])
    assert main([*args, "--explain"]) == 0  # high only: exactly the files at high
    data = json.loads(out.read_text())
    assert {f["path"] for f in data["files"] if "explanation" in f} == {
        f["path"] for f in data["files"] if f["risk_level"] == "high"} == {"ben/Main.java", "cat/Main.java"}
    capsys.readouterr()
    assert main(["scan", str(cls), "--no-model", "--explain"]) == 2
    assert "--explain needs a model" in capsys.readouterr().err
