"""The GPU check's parts, tried on the CPU with tiny models (CI has no GPU; the script's own
device run is recorded in docs/BENCHMARKS.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from benchmarks import gpu_check
from tests.ml.conftest import make_tiny_model
from tests.ml.test_train import tiny_cfg, tiny_setup  # noqa: F401  (tiny_setup is a fixture)


@pytest.fixture(autouse=True)
def on_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gpu_check, "DEVICE", "cpu")


def test_training_check_sees_the_frozen_stage_hold_and_the_adapters_move(tiny_setup, tmp_path: Path) -> None:  # noqa: F811
    bb, data = tiny_setup
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(tiny_cfg(bb, data, tmp_path).to_dict()), encoding="utf-8")
    out = gpu_check.amp_training(str(config), str(data), steps=2, max_length=32)
    assert out["checks_passed"] is True
    assert out["amp"] is False  # AMP only takes effect on CUDA
    assert out["frozen_stage"]["backbone_tensors_changed"] == 0
    changed, total = map(int, out["unfrozen_stage"]["lora_tensors_changed"].split("/"))
    assert total > 0 and changed == total


def test_moved_counts_changed_tensors_only() -> None:
    import torch

    layer = torch.nn.Linear(3, 2)
    before = gpu_check.snapshot(layer, lambda k: True)
    assert gpu_check.moved(before, layer) == 0
    with torch.no_grad():
        layer.bias.add_(1.0)
    assert gpu_check.moved(before, layer) == 1


def test_compute_timing_writes_its_report(tmp_path: Path) -> None:
    model = make_tiny_model(tmp_path, max_length=32)
    out = tmp_path / "gpu.json"
    rc = gpu_check.main(["--device", "cpu", "--skip", "amp_training,inference", "--model", str(model),
                         "--train-batch", "2", "--max-length", "32", "--seconds", "0.05", "--json-out", str(out)])
    assert rc == 0
    report = json.loads(out.read_text())
    assert report["environment"]["device"] == "cpu (dry run)"
    tc = report["train_compute"]
    assert tc["fp32"]["sequences_per_s"] > 0 and tc["bf16_autocast"]["sequences_per_s"] > 0
    assert tc["bf16_speedup"] == pytest.approx(tc["bf16_autocast"]["sequences_per_s"] / tc["fp32"]["sequences_per_s"])
