"""A/B routing: deterministic per submission, proportional, re-read from the registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ml import ab
from ml.registry import Registry, RegistryError


def _registry(tmp_path: Path, n: int = 2) -> Registry:
    reg = Registry(tmp_path / "registry")
    for i in range(n):
        src = tmp_path / f"m{i}"
        src.mkdir()
        (src / "config.json").write_text(json.dumps({"model_type": "codeguard-dual-head"}))
        reg.register(src, who="t", source="import")
    reg.promote("v0001", "t")
    return reg


def test_bucket_is_stable_and_uniform() -> None:
    assert ab.bucket("github:o/r#1", "v0002") == ab.bucket("github:o/r#1", "v0002")
    assert ab.bucket("github:o/r#1", "v0002") != ab.bucket("github:o/r#1", "v0003")
    values = [ab.bucket(f"github:o/r#{i}", "v0002") for i in range(4000)]
    assert all(0 <= v < 1 for v in values)
    share = sum(v < 0.2 for v in values) / len(values)
    assert 0.18 < share < 0.22


def test_choose_keeps_a_pr_on_one_version() -> None:
    split = ab.ABSplit("v0002", 0.5)
    chosen = {ab.choose(f"github:o/r#{i}", "v0001", split) for i in range(50)}
    assert chosen == {"v0001", "v0002"}
    for i in range(50):
        key = f"github:o/r#{i}"
        assert len({ab.choose(key, "v0001", split) for _ in range(3)}) == 1
    assert ab.choose("k", "v0001", None) == "v0001"
    assert ab.choose("k", "v0002", split) == "v0002"  # candidate already current: no split


def test_start_route_stop(tmp_path: Path) -> None:
    reg = _registry(tmp_path)
    assert ab.serving_dir(reg, "github:o/r#1") == reg.root / "v0001"
    with pytest.raises(RegistryError, match="between 0 and 1"):
        ab.start(reg, "v0002", 1.0, "t")
    with pytest.raises(RegistryError, match="already the current"):
        ab.start(reg, "v0001", 0.5, "t")
    ab.start(reg, "v0002", 0.3, "alice")
    routed = {f"k{i}": ab.serving_dir(reg, f"k{i}") for i in range(200)}
    to_candidate = [k for k, d in routed.items() if d == reg.root / "v0002"]
    assert 40 < len(to_candidate) < 80
    assert all(ab.serving_dir(reg, k) == reg.root / "v0002" for k in to_candidate)
    assert ab.serving_dir(reg, None) == reg.root / "v0001"
    assert ab.stop(reg, "bob").candidate == "v0002" and ab.stop(reg, "bob") is None
    assert {ab.serving_dir(reg, k) for k in routed} == {reg.root / "v0001"}
    actions = [(e["action"], e["who"]) for e in reg.audit_log()][-2:]
    assert actions == [("ab-start", "alice"), ("ab-stop", "bob")]


def test_broken_split_file_falls_back_to_current(tmp_path: Path) -> None:
    reg = _registry(tmp_path)
    (reg.root / ab.AB_FILE).write_text("{not json")
    assert ab.serving_dir(reg, "k") == reg.root / "v0001"
    with pytest.raises(RegistryError):
        ab.load_split(reg)
