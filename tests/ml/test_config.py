"""TrainConfig: defaults, YAML, CLI flags, and errors a user can act on."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from ml.config import (
    PACKAGED_MINILM,
    ConfigError,
    TrainConfig,
    add_config_arguments,
    config_from_args,
    config_from_mapping,
    load_yaml,
)

GUIDE_KEYS = [
    "model_name", "batch_size", "learning_rate", "num_epochs", "embedding_dim", "max_length", "device",
    "lambda_contrastive", "lambda_classification", "output_dir", "warmup_steps", "gradient_clip",
]


def parse(argv: list[str]) -> TrainConfig:
    p = argparse.ArgumentParser()
    add_config_arguments(p)
    return config_from_args(p.parse_args(argv))


def test_defaults_have_the_guide_keys_and_validate() -> None:
    cfg = TrainConfig()
    d = cfg.to_dict()
    for key in GUIDE_KEYS:
        assert key in d
    assert cfg.model_name == PACKAGED_MINILM
    assert cfg.embedding_dim == 256
    cfg.validate()


def test_yaml_then_flags_override(tmp_path: Path) -> None:
    y = tmp_path / "c.yaml"
    y.write_text("batch_size: 4\nlearning_rate: 0.01\nlora_layers: [4, 5]\nstyle_features: false\n"
                 "pair_mix: {self: 1.0, plagiarism: 0, rosetta: 0}\n")
    cfg = load_yaml(y)
    assert (cfg.batch_size, cfg.learning_rate, cfg.lora_layers, cfg.style_features) == (4, 0.01, [4, 5], False)
    assert cfg.pair_mix == {"self": 1.0, "plagiarism": 0.0, "rosetta": 0.0}
    cfg = parse(["--config", str(y), "--batch-size", "8", "--lora_layers", "5", "--style-features",
                 "--max-length", "128", "--use-wandb"])
    assert cfg.batch_size == 8 and cfg.lora_layers == [5] and cfg.style_features is True
    assert cfg.learning_rate == 0.01  # from YAML, not overridden
    assert cfg.max_length == 128 and cfg.use_wandb is True


def test_bool_flag_can_turn_off() -> None:
    assert parse(["--no-lora"]).lora is False
    assert parse([]).lora is True


@pytest.mark.parametrize(
    "values, fragment",
    [
        ({"batch_sise": 3}, "unknown config keys: batch_sise"),
        ({"batch_size": "many"}, "batch_size"),
        ({"batch_size": 0}, "batch_size"),
        ({"max_length": 4096}, "max_length"),
        ({"temperature": 0}, "temperature"),
        ({"freeze_epochs": 9, "num_epochs": 2}, "freeze_epochs"),
        ({"lambda_contrastive": 0, "lambda_classification": 0}, "at least one"),
        ({"pair_mix": {"selfie": 1.0}}, "unknown kinds"),
        ({"style_features": "maybe"}, "style_features"),
        ({"file_evidence": ["char_ngrams"], "evidence_source_alpha": 1.5}, "evidence_source_alpha"),
        ({"holdout_sample": -1, "holdout_sources": ["x"]}, "holdout_sample"),
        ({"holdout_sample": 100}, "holdout_sample needs holdout_sources"),
    ],
)
def test_bad_values_are_named(values: dict, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        config_from_mapping(values)


def test_yaml_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_yaml(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_yaml(bad)


def test_shipped_default_config_loads() -> None:
    root = Path(__file__).resolve().parents[2]
    cfg = load_yaml(root / "configs" / "default.yaml")
    assert cfg.output_dir == "models/default"
    assert cfg.model_name == PACKAGED_MINILM
    assert cfg.lora and cfg.style_features


def test_data_path_is_relative_to_data_dir(tmp_path: Path) -> None:
    cfg = config_from_mapping({"data_dir": str(tmp_path)})
    assert cfg.data_path("aigen/train.jsonl") == tmp_path / "aigen" / "train.jsonl"
    assert cfg.data_path("/abs/x.jsonl") == Path("/abs/x.jsonl")
