"""DualHeadCodeModel on a tiny random BERT: shapes, freezing, LoRA-only saving, round trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from ml.model import (
    DualHeadCodeModel,
    ModelConfig,
    ModelLoadError,
    load_backbone,
    mean_pool,
    resolve_backbone,
)

N_STYLE = 5


@pytest.fixture(scope="module")
def backbone_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    d = tmp_path_factory.mktemp("bb") / "tiny-bert"
    BertModel(BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=3, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=64)).save_pretrained(str(d))
    return d


def make(backbone_dir: Path, lora: bool = True, style: bool = True) -> DualHeadCodeModel:
    torch.manual_seed(1)
    cfg = ModelConfig(
        backbone=str(backbone_dir), embedding_dim=8, max_length=16, classifier_hidden=8,
        style_features=style, style_feature_names=[f"f{i}" for i in range(N_STYLE)] if style else [],
        lora=lora, lora_r=2, lora_alpha=4, lora_layers=[1, 2], lora_target_modules=["query", "value"],
    )
    return DualHeadCodeModel(cfg)


def batch(n: int = 4, length: int = 12) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    ids = torch.randint(5, 100, (n, length), generator=g)
    mask = torch.ones(n, length, dtype=torch.long)
    mask[0, 6:] = 0
    return ids, mask, torch.randn(n, N_STYLE, generator=g)


def test_forward_shapes_and_unit_norm(backbone_dir: Path) -> None:
    m = make(backbone_dir).eval()
    ids, mask, style = batch()
    emb, logits = m(ids, mask, style)
    assert emb.shape == (4, 8) and logits.shape == (4,)
    torch.testing.assert_close(emb.norm(dim=-1), torch.ones(4))
    with pytest.raises(ValueError, match="style"):
        m(ids, mask)
    with pytest.raises(ValueError, match="features"):
        m(ids, mask, style[:, :2])


def test_file_evidence_enters_the_logit_linearly_and_is_required(backbone_dir: Path) -> None:
    torch.manual_seed(1)
    cfg = ModelConfig(backbone=str(backbone_dir), embedding_dim=8, classifier_hidden=8, lora=False,
                      evidence=["style_trees", "char_ngrams"])
    m = DualHeadCodeModel(cfg).eval()
    assert m.evidence_head is not None and m.evidence_head.weight in set(m.head_parameters())
    ids, mask, _ = batch()
    ev = torch.tensor([[1.0, -2.0]] * 4)
    with torch.no_grad():
        _, base = m(ids, mask, evidence=torch.zeros(4, 2))
        _, with_ev = m(ids, mask, evidence=ev)
    torch.testing.assert_close(with_ev - base, torch.full((4,), 0.5 * 1.0 + 0.5 * -2.0))
    with pytest.raises(ValueError, match="evidence="):
        m(ids, mask)
    with pytest.raises(ValueError, match="columns"):
        m(ids, mask, evidence=ev[:, :1])


def test_mean_pool_ignores_padding() -> None:
    h = torch.tensor([[[1.0, 1.0], [3.0, 3.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    torch.testing.assert_close(mean_pool(h, mask), torch.tensor([[2.0, 2.0]]))


def test_padding_does_not_change_outputs(backbone_dir: Path) -> None:
    m = make(backbone_dir).eval()
    ids, mask, style = batch(1, 6)
    padded_ids = torch.cat([ids, torch.zeros(1, 4, dtype=torch.long)], dim=1)
    padded_mask = torch.cat([mask, torch.zeros(1, 4, dtype=torch.long)], dim=1)
    e1, l1 = m(ids, mask, style)
    e2, l2 = m(padded_ids, padded_mask, style)
    torch.testing.assert_close(e1, e2, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(l1, l2, atol=1e-5, rtol=1e-4)


def test_lora_only_on_chosen_layers(backbone_dir: Path) -> None:
    m = make(backbone_dir)
    names = [n for n, _ in m.backbone.named_parameters() if "lora_" in n]
    assert names and all(".layer.1." in n or ".layer.2." in n for n in names)
    assert {id(p) for p in m.backbone_parameters()} == {id(p) for n, p in m.backbone.named_parameters() if "lora_" in n}


@pytest.mark.parametrize("lora", [True, False])
def test_frozen_stage_leaves_backbone_unchanged(backbone_dir: Path, lora: bool) -> None:
    m = make(backbone_dir, lora=lora)
    m.set_backbone_trainable(False)
    before = {k: v.clone() for k, v in m.backbone.state_dict().items()}
    head_before = [p.clone() for p in m.head_parameters()]
    opt = torch.optim.AdamW([p for p in m.parameters() if p.requires_grad], lr=1e-2)
    ids, mask, style = batch()
    for _ in range(3):
        emb, logits = m.train()(ids, mask, style)
        loss = logits.pow(2).mean() + emb.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    for k, v in m.backbone.state_dict().items():
        torch.testing.assert_close(v, before[k], rtol=0, atol=0)
    assert any(not torch.equal(a, b) for a, b in zip(head_before, m.head_parameters(), strict=True))
    # second stage: the adapters (or the whole encoder) do move
    m.set_backbone_trainable(True)
    opt = torch.optim.AdamW([p for p in m.parameters() if p.requires_grad], lr=1e-2)
    for _ in range(2):
        emb, logits = m(ids, mask, style)
        loss = logits.pow(2).mean() + emb.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert any(not torch.equal(v, before[k]) for k, v in m.backbone.state_dict().items())


@pytest.mark.parametrize("lora,style", [(True, True), (False, False)])
def test_save_load_round_trip_gives_identical_outputs(backbone_dir: Path, tmp_path: Path, lora: bool, style: bool) -> None:
    m = make(backbone_dir, lora=lora, style=style)
    with torch.no_grad():
        for n, p in m.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.1)  # LoRA B starts at zero: make the adapters matter
        if style:
            m.set_style_scaler(torch.arange(N_STYLE, dtype=torch.float32), torch.full((N_STYLE,), 2.0))
    m.eval()
    ids, mask, s = batch()
    s = s if style else None
    e1, l1 = m(ids, mask, s)
    out = m.save_pretrained(tmp_path / "saved")
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["model_type"] == "codeguard-dual-head" and cfg["backbone"] == str(backbone_dir)
    m2 = DualHeadCodeModel.from_pretrained(out)
    e2, l2 = m2(ids, mask, s)
    torch.testing.assert_close(e1, e2, rtol=0, atol=0)
    torch.testing.assert_close(l1, l2, rtol=0, atol=0)
    keys = set(load_file(str(out / "model.safetensors")))
    base_keys = [k for k in keys if k.startswith("backbone.") and "lora_" not in k]
    if lora:
        assert not base_keys, "a LoRA checkpoint must not store the base encoder"
        assert any("lora_" in k for k in keys) and "style_mean" in keys
    else:
        assert base_keys


def test_lora_adapters_change_outputs(backbone_dir: Path) -> None:
    m = make(backbone_dir).eval()
    ids, mask, s = batch()
    e1, _ = m(ids, mask, s)
    with torch.no_grad():
        for n, p in m.named_parameters():
            if "lora_B" in n:
                p.fill_(0.5)
    e2, _ = m(ids, mask, s)
    assert not torch.allclose(e1, e2)


def test_load_errors_are_clear(tmp_path: Path, backbone_dir: Path) -> None:
    with pytest.raises(ModelLoadError, match="not a saved model"):
        DualHeadCodeModel.from_pretrained(tmp_path)
    out = make(backbone_dir).save_pretrained(tmp_path / "m")
    cfg = json.loads((out / "config.json").read_text())
    cfg["embedding_dim"] = 4  # weights no longer fit
    (out / "config.json").write_text(json.dumps(cfg))
    with pytest.raises((ModelLoadError, RuntimeError)):
        DualHeadCodeModel.from_pretrained(out)


def test_hub_name_offline_fails_with_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # the library reads the variable at import time; without this it would wait on the network
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelLoadError, match="hub"):
        load_backbone("microsoft/codebert-base")


def test_packaged_name_resolves_to_installed_package() -> None:
    path, local = resolve_backbone("packaged:all-MiniLM-L6-v2")
    assert local and Path(path, "config.json").is_file()


@pytest.mark.integration
@pytest.mark.slow
def test_shipped_default_model_loads_on_the_packaged_minilm() -> None:
    """models/default is small, names its base symbolically, and loads offline on the package."""
    from ml.codetext import prepare
    from ml.evidence import FileEvidence
    from ml.model import load_tokenizer
    from ml.stylometry import FEATURE_NAMES, style_features

    root = Path(__file__).resolve().parents[2] / "models" / "default"
    cfg = json.loads((root / "config.json").read_text())
    assert cfg["backbone"] == "packaged:all-MiniLM-L6-v2"  # no machine-specific path
    assert cfg["lora"] is True and cfg["style_feature_names"] == list(FEATURE_NAMES)
    assert cfg["evidence"] == ["style_trees", "char_ngrams"] and (root / "evidence.safetensors").is_file()
    size = sum(f.stat().st_size for f in root.iterdir() if f.is_file())
    assert size < 10 * 1024 * 1024
    keys = load_file(str(root / "model.safetensors"))
    assert not [k for k in keys if k.startswith("backbone.") and "lora_" not in k]
    model = DualHeadCodeModel.from_pretrained(root)
    assert model.hidden_size == 384
    tok = load_tokenizer(str(root)) if (root / "tokenizer_config.json").is_file() else None
    assert tok is not None
    code = "public class A {\n    public static void main(String[] args) {\n        System.out.println(1);\n    }\n}\n"
    enc = tok([prepare(code)], return_tensors="pt", truncation=True, max_length=cfg["max_length"])
    style = torch.from_numpy(style_features(code, "java")).float().unsqueeze(0)
    evidence = torch.from_numpy(FileEvidence.load(root, cfg["evidence"]).matrix([code], ["java"]))
    with torch.no_grad():
        emb, logit = model(enc["input_ids"], enc["attention_mask"], style, evidence)
    assert emb.shape == (1, 256) and torch.isfinite(logit).all()
    for name in ("thresholds.json", "training_history.json", "README.md", "tokenizer.json"):
        assert (root / name).is_file(), name


def test_style_dropout_only_in_training(backbone_dir: Path) -> None:
    import dataclasses

    base = make(backbone_dir)
    m = DualHeadCodeModel(dataclasses.replace(base.config, style_dropout=0.5))
    m.load_state_dict(base.state_dict())
    ids, mask, s = batch(64)
    m.eval()
    _, l1 = m(ids, mask, s)
    _, l2 = m(ids, mask, s)
    torch.testing.assert_close(l1, l2)  # no randomness at inference
    torch.testing.assert_close(l1, base.eval()(ids, mask, s)[1])
    torch.manual_seed(0)
    m.eval()
    m.training = True  # style dropout on; ordinary dropout (submodules) stays off
    _, lt = m(ids, mask, s)
    pooled = m.pool(ids, mask)
    hidden = m.classifier(torch.cat([pooled, torch.zeros_like(s)], dim=-1)).squeeze(-1)
    dropped = torch.isclose(lt, hidden, atol=1e-6)
    assert 10 < int(dropped.sum()) < 54  # about half of the 64 rows see no style at all
    assert torch.allclose(lt[~dropped], l1[~dropped], atol=1e-5)
