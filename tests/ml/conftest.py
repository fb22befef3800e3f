"""A tiny randomly initialised dual-head model saved to disk, shared by the ml tests.

Real tokenizer (the packaged MiniLM's, so layout markers and vocabulary are the real ones),
real DualHeadCodeModel code path with LoRA and stylometric features, but a 2-layer 32-wide
BERT so that loading and scoring take milliseconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

EVIDENCE_HUMAN = "int total=0;\nfor(int i=0;i<n;i++){{ total+=a[i]*{k}; }}\n"
EVIDENCE_AI = "// Calculate the sum\nint sum = 0;\nfor (int i = 0; i < n; i++) {{\n    sum += values[i] * {k};\n}}\n"


def tiny_evidence_rows(n: int = 40) -> tuple[list[str], list[str], list[int], list[str]]:
    """Synthetic (codes, languages, labels, groups) whose two styles file evidence can tell apart."""
    codes = [(EVIDENCE_HUMAN if i % 2 == 0 else EVIDENCE_AI).format(k=i) for i in range(n)]
    return codes, ["java"] * n, [i % 2 for i in range(n)], [f"g{i // 2}" for i in range(n)]


def make_tiny_model(
    root: Path,
    *,
    lora: bool = True,
    style: bool = True,
    max_length: int = 32,
    seed: int = 0,
    evidence: tuple[str, ...] = (),
) -> Path:
    import torch
    from transformers import BertConfig, BertModel

    from ml.config import PACKAGED_MINILM
    from ml.model import DualHeadCodeModel, ModelConfig, load_tokenizer
    from ml.stylometry import FEATURE_NAMES

    torch.manual_seed(seed)
    tokenizer = load_tokenizer(PACKAGED_MINILM)
    backbone_dir = root / "tiny-backbone"
    bert = BertModel(
        BertConfig(
            vocab_size=tokenizer.vocab_size,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=512,
        )
    )
    bert.save_pretrained(str(backbone_dir))
    cfg = ModelConfig(
        backbone=str(backbone_dir),
        embedding_dim=16,
        max_length=max_length,
        classifier_hidden=16,
        style_features=style,
        style_feature_names=list(FEATURE_NAMES) if style else [],
        lora=lora,
        lora_r=4,
        lora_alpha=8,
        lora_layers=[0, 1],
        lora_target_modules=["query", "value"],
        evidence=list(evidence),
    )
    model = DualHeadCodeModel(cfg)
    with torch.no_grad():
        # Non-trivial LoRA and head weights so that a save/load or export bug changes outputs.
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.05)
        if style:
            model.set_style_scaler(
                torch.full((len(FEATURE_NAMES),), 0.3), torch.full((len(FEATURE_NAMES),), 0.5)
            )
    model.eval()
    out = root / "model"
    model.save_pretrained(out, tokenizer=tokenizer)
    if evidence:
        from ml.evidence import EvidenceInputs, fit_evidence

        codes, langs, labels, groups = tiny_evidence_rows()
        fitted, _, _ = fit_evidence(
            EvidenceInputs.of(codes, langs, evidence), labels, groups, list(evidence), folds=2, log=lambda _: None
        )
        fitted.save(out)
    return out


def zero_encoder_path(model_dir: Path, bias: float) -> int:
    """Give the saved model's encoder path weight 0 in the AI score, as a head-mix refit with
    `head_mix_encoder: false` does (last layers zero, each bias `bias`); returns how many layers."""
    import torch

    from ml.model import DualHeadCodeModel

    model = DualHeadCodeModel.from_pretrained(model_dir)
    heads = [h for h in (model.classifier, model.style_head) if h is not None]
    with torch.no_grad():
        for head in heads:
            head[-1].weight.zero_()
            head[-1].bias.fill_(bias)
    model.save_pretrained(model_dir)  # the tokenizer files stay where they are
    return len(heads)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny"))


def with_relative_levels(model_dir: Path, dest: Path) -> tuple[Path, dict]:
    """A copy of `model_dir` at `dest` calibrated with relative levels (as `codeguard calibrate`
    writes them from rows with authors): (the copy, its calibration)."""
    import shutil

    import numpy as np

    from ml.calibration import calibrate, save_thresholds

    shutil.copytree(model_dir, dest)
    cal = calibrate(np.linspace(0.1, 0.6, 100), np.zeros(100, int))
    cal["relative"] = {**calibrate(np.linspace(0.2, 0.4, 100), np.zeros(100, int)), "alpha": 0.5}
    save_thresholds(dest, cal)
    return dest, cal
