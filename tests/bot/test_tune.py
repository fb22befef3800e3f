"""`codeguard tune`: a real (tiny) Optuna search, and the message when Optuna is missing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from tests.bot.retrain_setup import make_data


@pytest.fixture(scope="module")
def backbone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import BertConfig, BertModel

    from ml.config import PACKAGED_MINILM
    from ml.model import load_tokenizer

    root = tmp_path_factory.mktemp("tune")
    tok = load_tokenizer(PACKAGED_MINILM)
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=128)).save_pretrained(str(root / "bb"))
    tok.save_pretrained(str(root / "bb"))
    return root / "bb"


def _args(bb: Path, data: Path, out: Path) -> list[str]:
    return ["tune", "--trials", "2", "--out", str(out), "--model-name", str(bb), "--data-dir", str(data),
            "--max-length", "32", "--train-limit", "8", "--num-epochs", "1", "--freeze-epochs", "0",
            "--embedding-dim", "8", "--classifier-hidden", "8", "--lora-r", "2", "--lora-alpha", "4",
            "--lora-layers", "0,1", "--lora-target-modules", "query,value", "--val-pairs-limit", "0",
            "--rosetta-human-per-language", "0", "--device", "cpu", "--batch-sizes", "4,8",
            "--contrastive-pairs", "2", "--warmup-steps", "1"]


def test_tune_runs_trials_and_writes_the_best_config(backbone: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("optuna")
    data = make_data(tmp_path)
    out = tmp_path / "best.yaml"
    assert main(_args(backbone, data, out)) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["trials"] == 2 and 0 <= result["best_value"] <= 1
    params = result["best_params"]
    assert 1e-4 <= params["learning_rate"] <= 3e-3 and params["batch_size"] in (4, 8)
    assert 0.3 <= params["lambda_contrastive"] <= 0.7
    assert params["lambda_classification"] == pytest.approx(1 - params["lambda_contrastive"])
    best = yaml.safe_load(out.read_text())
    assert best["learning_rate"] == params["learning_rate"] and best["data_dir"] == str(data)
    from ml.config import config_from_mapping

    config_from_mapping(best)  # the written file is a valid training config


def test_tune_without_optuna_says_how_to_install(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "optuna", None)
    assert main(["tune", "--trials", "1"]) == 2
    err = capsys.readouterr().err
    assert "needs Optuna" in err and "pip install" in err
