"""The evaluation script's pure parts: layout normalisation, metrics table, section writing."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.eval_aigen import BEGIN, END, breakdown, normalise_layout, write_section


def test_normalise_layout_removes_tab_and_package_artefacts() -> None:
    code = "package ch_04;\nclass A {\n\tint x;\n\t\tint y;\n}\n"
    out = normalise_layout(code)
    assert "package" not in out
    assert "\t" not in out
    assert "\n    int x;\n        int y;\n" in out
    assert normalise_layout("class B {}\npackage later;\n").count("package") == 1  # only a leading header


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
