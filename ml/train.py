"""Joint training of the dual-head model: `python -m ml.train`, `codeguard train`, or
`accelerate launch -m ml.train` on several GPUs.

Schedule (the training guide's): the first `freeze_epochs` train only the heads on top of the
frozen encoder, then the encoder's trainable part (LoRA adapters, or all of it without LoRA)
joins at `learning_rate * unfreeze_lr_factor`. AdamW, linear warmup then linear decay,
gradient clipping, AMP on CUDA, early stopping on validation ROC-AUC (dev set only), a
resumable checkpoint per epoch. The best epoch is written from_pretrained-style to
`output_dir` with calibrated risk thresholds and a model card.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import random
import shlex
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from ml.augment import strip_type_hints
from ml.calibration import safe_auc, target_intervals, tpr_at_fpr
from ml.config import ConfigError, TrainConfig, add_config_arguments, config_from_args
from ml.data import (
    CodeExample,
    CodePair,
    DataError,
    Encoder,
    MixedBatches,
    TrainItem,
    fixed_sample,
    hub_rosetta_tasks,
    load_aigen,
    load_hub_dataset,
    load_plagiarism_pairs,
    load_rosetta,
    rosetta_human_examples,
    sampling_weights,
    style_feature_matrix,
)
from ml.evidence import FileEvidence, stacking_weights
from ml.losses import classification_loss, combined_loss, info_nce
from ml.model import DualHeadCodeModel, load_tokenizer, model_config_from_train
from ml.stacking import attach_file_evidence, group_key, head_mix_on_slice

CHECKPOINT_FILE = "training_state.pt"
HISTORY_FILE = "training_history.json"


def log(msg: str) -> None:
    tqdm.write(msg)


# -------------------------------------------------------------------------------------- setup
def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def pick_device(name: str) -> str:
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device {name!r} requested but CUDA is not available on this machine")
    return name


def classification_metrics(probs: np.ndarray, labels: np.ndarray, rows: Sequence[CodeExample]) -> dict[str, Any]:
    """ROC-AUC, accuracy at 0.5, TPR at 1%/5% FPR, overall and per source and language."""
    out: dict[str, Any] = {
        "val_roc_auc": safe_auc(labels, probs),
        "val_accuracy": float(((probs > 0.5).astype(int) == labels).mean()),
        "val_tpr_at_1fpr": tpr_at_fpr(probs, labels, 0.01),
        "val_tpr_at_5fpr": tpr_at_fpr(probs, labels, 0.05),
    }
    for key, attr in (("per_source", "source"), ("per_language", "language")):
        groups = np.array([getattr(e, attr) for e in rows])
        table: dict[str, dict[str, float]] = {}
        for g in sorted(set(groups.tolist())):
            m = groups == g
            table[g] = {
                "n": int(m.sum()),
                "n_human": int((labels[m] == 0).sum()),
                "roc_auc": safe_auc(labels[m], probs[m]),
                "accuracy": float(((probs[m] > 0.5).astype(int) == labels[m]).mean()),
                "tpr_at_1fpr": tpr_at_fpr(probs[m], labels[m], 0.01),
            }
        out[key] = table
    return out


def dev_uncertainty(
    logits: np.ndarray, term: np.ndarray, labels: np.ndarray, groups: Sequence[str], has_evidence: bool
) -> dict[str, Any]:
    """95% intervals of the served dev ROC-AUC and TPR@1%FPR (tasks resampled), and, for a model
    with file evidence, how the encoder path and the evidence term score on their own.

    Why: a few dev humans set TPR@1%FPR, so a change between two models is only a change if it
    leaves these intervals; and the encoder path's own numbers say whether the trained encoder
    adds anything to the whole-file readers (ml.evidence) it is mixed with."""
    ci = target_intervals(logits, labels, groups)
    out: dict[str, Any] = {"val_roc_auc_ci95": ci["roc_auc"], "val_tpr_at_1fpr_ci95": ci["tpr_at_1fpr"]}
    return out | (logit_part_metrics(logits, term, labels) if has_evidence else {})


def logit_part_metrics(logits: np.ndarray, term: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """The encoder path (served logit minus the evidence term) and the evidence term, each scored
    alone: on dev and on held-out sources, whether the trained encoder adds to the readers."""
    out: dict[str, Any] = {}
    for name, part in (("encoder_path", logits - term), ("evidence_term", term)):
        if len(part) and np.ptp(part) < 1e-9:  # a head mix that gave the encoder path weight 0: it ranks nothing
            out[name] = {"constant": float(part[0])}
            continue
        out[name] = {"roc_auc": safe_auc(labels, part), "tpr_at_1fpr": tpr_at_fpr(part, labels, 0.01),
                     "tpr_at_5fpr": tpr_at_fpr(part, labels, 0.05)}
    return out


class WandbLogger:
    """Weights & Biases when asked for and installed; a plain message otherwise."""

    def __init__(self, enabled: bool, project: str, config: dict[str, Any]) -> None:
        self.run: Any = None
        if not enabled:
            return
        try:
            import wandb
        except ImportError:
            log(
                "wandb is not installed: continuing without experiment tracking "
                "(pip install wandb, then `wandb login`, to enable --use-wandb)"
            )
            return
        try:
            self.run = wandb.init(project=project, config=config)
        except Exception as exc:  # no login / no network: say so, keep training
            log(f"wandb could not start ({exc.__class__.__name__}: {exc}); continuing without it")
            self.run = None

    def log(self, data: dict[str, Any], step: int) -> None:
        if self.run is not None:
            self.run.log(data, step=step)

    def finish(self) -> None:
        if self.run is not None:
            self.run.finish()


# --------------------------------------------------------------------------------------- data
class TrainingData:
    def __init__(self, cfg: TrainConfig) -> None:
        self.cfg = cfg
        aigen = load_aigen(cfg.data_path(cfg.aigen_train), exclude_sources=cfg.holdout_sources)
        # A held-out source stays out of selection and calibration too: its numbers must be
        # what a user on an unseen source would get, thresholds included.
        self.dev_full = load_aigen(cfg.data_path(cfg.aigen_dev), exclude_sources=cfg.holdout_sources)
        # A fixed random subset for per-epoch selection (CPU time); the best epoch is then
        # measured and calibrated on the whole dev set.
        self.dev = fixed_sample(self.dev_full, cfg.dev_limit, cfg.seed)
        self.heldout: list[CodeExample] = []
        self.heldout_total = 0  # every held-out row, before holdout_sample
        # Training files kept out of encoder training to refit the classifier head's mix on
        # (cfg.stack_fraction; filled by attach_file_evidence).
        self.stack: list[CodeExample] = []
        if cfg.holdout_sources:
            # Every row of the held-out sources, train and dev: as in the baselines' leave-one-source-out.
            self.heldout = [
                *load_aigen(cfg.data_path(cfg.aigen_train), only_sources=cfg.holdout_sources),
                *load_aigen(cfg.data_path(cfg.aigen_dev), only_sources=cfg.holdout_sources),
            ]
            self.heldout_total = len(self.heldout)
            # Uniform, not stratified: the sample keeps the sources' own human/AI mix.
            self.heldout = fixed_sample(self.heldout, cfg.holdout_sample, cfg.seed)
        rosetta: dict[str, list[CodeExample]] = {}
        if cfg.pair_mix.get("rosetta", 0) > 0 or cfg.rosetta_human_per_language > 0:
            rosetta = load_rosetta(cfg.data_path(cfg.rosetta), split="train")
        for name in cfg.hub_datasets:
            ds = load_hub_dataset(name)
            for task, rows in hub_rosetta_tasks(ds).items():
                rosetta.setdefault(task, []).extend(rows)
        self.rosetta = rosetta
        extra = rosetta_human_examples(
            rosetta, cfg.rosetta_human_languages, cfg.rosetta_human_per_language, cfg.seed
        )
        self.train = aigen + extra
        if cfg.strip_type_hints:
            self.train = [
                dataclasses.replace(e, code=strip_type_hints(e.code, e.language)) if e.language == "python" else e
                for e in self.train
            ]
        self.plag: list[CodePair] = []
        if cfg.pair_mix.get("plagiarism", 0) > 0:
            self.plag = [p for p, _ in load_plagiarism_pairs(cfg.data_path(cfg.plagiarism_train), label=1)]
        self.val_pairs: list[tuple[CodePair, int]] = []
        if cfg.val_pairs_limit:
            pairs = load_plagiarism_pairs(cfg.data_path(cfg.plagiarism_dev), label=None)
            rng = random.Random(cfg.seed)
            rng.shuffle(pairs)
            pos = [p for p in pairs if p[1] == 1][: cfg.val_pairs_limit // 2]
            neg = [p for p in pairs if p[1] == 0][: cfg.val_pairs_limit - len(pos)]
            self.val_pairs = pos + neg

    def summary(self) -> dict[str, Any]:
        by_src: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for e in self.train:
            by_src[e.source][e.label] += 1
        return {
            "train_examples": len(self.train),
            "train_by_source": {k: {"human": v[0], "ai": v[1]} for k, v in sorted(by_src.items())},
            "dev_examples": len(self.dev),
            "plagiarism_positive_pairs": len(self.plag),
            "rosetta_train_tasks": len(self.rosetta),
            "val_pairs": len(self.val_pairs),
            "holdout_sources": list(self.cfg.holdout_sources),
        }


# ------------------------------------------------------------------------------ style prior
def fit_style_path(model: DualHeadCodeModel, data: TrainingData, cfg: TrainConfig) -> dict[str, float]:
    """Fit the stylometric scaler on all training files and, when the model has a style-only
    path, fit that path alone on them (weighted like the batches, by source and label).

    Features cost milliseconds per file and no encoder pass, so this uses the whole training
    set, which the encoder stages on a CPU never see in full.
    """
    t0 = time.time()
    X = style_feature_matrix(data.train, augment_prob=cfg.augment_prob, seed=cfg.seed, progress=True)
    y = np.array([e.label for e in data.train], dtype=np.float32)
    mean, std = X.mean(axis=0), X.std(axis=0) + 1e-6
    model.set_style_scaler(torch.from_numpy(mean), torch.from_numpy(std))
    report: dict[str, float] = {"style_feature_seconds": round(time.time() - t0, 1)}
    if model.style_head is None or cfg.style_pretrain_epochs <= 0:
        return report
    w = sampling_weights(data.train, cfg.source_alpha) * len(data.train)
    xt, yt, wt = torch.from_numpy(X), torch.from_numpy(y), torch.from_numpy(w.astype(np.float32))
    params = list(model.style_head.parameters())
    opt = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    gen = torch.Generator().manual_seed(cfg.seed)
    model.style_head.train()
    for _ in range(cfg.style_pretrain_epochs):
        perm = torch.randperm(len(xt), generator=gen)
        for s in range(0, len(perm), 256):
            idx = perm[s : s + 256]
            logit = model.style_logit(xt[idx])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logit, yt[idx], weight=wt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.style_head.eval()
    with torch.no_grad():
        dev_x = torch.from_numpy(style_feature_matrix(data.dev_full))
        p = torch.sigmoid(model.style_logit(dev_x)).numpy()
    labels = np.array([e.label for e in data.dev_full])
    report.update({
        "style_prior_dev_roc_auc": safe_auc(labels, p),
        "style_prior_dev_tpr_at_1fpr": tpr_at_fpr(p, labels, 0.01),
        "style_prior_seconds": round(time.time() - t0, 1),
    })
    log(f"Style prior (stylometric path alone, {len(xt)} files, {cfg.style_pretrain_epochs} epochs): "
        f"dev ROC-AUC: {report['style_prior_dev_roc_auc']:.3f}, TPR@1%FPR: {report['style_prior_dev_tpr_at_1fpr']:.3f}")
    return report


# ------------------------------------------------------------------------------------ trainer
class Trainer:
    def __init__(
        self,
        cfg: TrainConfig,
        model: DualHeadCodeModel | None = None,
        tokenizer: Any = None,
        data: TrainingData | None = None,
        command: str = "",
    ) -> None:
        self.cfg = cfg
        self.t_start = time.time()
        self.elapsed_before = 0.0  # wall time of the run segments before a --resume
        # How the run was started, for the model card; training_history.json has the full config.
        self.command = command or "ml.train.Trainer(config in training_history.json)"
        seed_everything(cfg.seed)
        from accelerate import Accelerator
        from accelerate.utils import DistributedDataParallelKwargs

        device = pick_device(cfg.device)
        self.accelerator = Accelerator(
            cpu=device == "cpu",
            kwargs_handlers=[DistributedDataParallelKwargs(find_unused_parameters=True)],
        )
        self.device = self.accelerator.device
        self.is_main = self.accelerator.is_main_process
        self.data = data if data is not None else TrainingData(cfg)
        style_names: list[str] = []
        if cfg.style_features:
            from ml.stylometry import FEATURE_NAMES

            style_names = list(FEATURE_NAMES)
        self.tokenizer = tokenizer if tokenizer is not None else load_tokenizer(cfg.model_name)
        self.style_report: dict[str, float] = {}
        self.evidence: FileEvidence | None = None
        self.evidence_report: dict[str, Any] = {}
        if cfg.file_evidence:
            self.evidence, self.evidence_report = attach_file_evidence(self.data, cfg, log)
        if model is None:
            model = DualHeadCodeModel(model_config_from_train(cfg, style_names))
            if model.evidence_head is not None and not cfg.resume:
                w = stacking_weights(
                    np.array([e.evidence for e in self.data.train]),
                    [e.label for e in self.data.train],
                    sampling_weights(self.data.train, cfg.source_alpha) * len(self.data.train),
                )
                with torch.no_grad():
                    model.evidence_head.weight.copy_(torch.from_numpy(w).unsqueeze(0))
                self.evidence_report["initial_weights"] = dict(zip(cfg.file_evidence, w.tolist(), strict=True))
                log(f"File evidence weights start at {self.evidence_report['initial_weights']}")
            if model.config.n_style and not cfg.resume:
                self.style_report = fit_style_path(model, self.data, cfg)
        if list(model.config.evidence) != list(cfg.file_evidence):
            raise ConfigError(
                f"the model's classifier reads file evidence {model.config.evidence}, the config says "
                f"{cfg.file_evidence}: they must match"
            )
        self.model = model
        if cfg.gradient_checkpointing:
            model.enable_gradient_checkpointing()
        self.encoder = Encoder(self.tokenizer, cfg.max_length, bool(model.config.n_style))
        self.batches = MixedBatches(
            self.data.train,
            self.data.plag,
            self.data.rosetta,
            batch_size=cfg.batch_size,
            contrastive_pairs=cfg.contrastive_pairs,
            pair_mix=cfg.pair_mix,
            max_length=cfg.max_length,
            epoch_size=cfg.train_limit,
            source_alpha=cfg.source_alpha,
            augment_prob=cfg.augment_prob,
            random_window=cfg.random_window,
            seed=cfg.seed,
        )
        # Every parameter that will ever train is in the optimizer from the start (so DDP and
        # the checkpoint see one fixed set); the frozen stage simply gives the encoder no grads.
        model.set_backbone_trainable(True)
        for p in model.head_parameters():
            p.requires_grad_(True)
        groups = [
            {"params": model.head_parameters(), "lr": cfg.learning_rate, "name": "heads"},
            {
                "params": model.backbone_parameters(),
                "lr": cfg.learning_rate * cfg.unfreeze_lr_factor,
                "name": "backbone",
            },
        ]
        self.optimizer = torch.optim.AdamW(groups, weight_decay=cfg.weight_decay)
        n_proc = self.accelerator.num_processes
        self.steps_per_epoch = max(1, math.ceil(len(self.batches) / n_proc))
        total = self.steps_per_epoch * cfg.num_epochs
        if cfg.max_steps:
            total = min(total, cfg.max_steps)
        self.total_steps = total
        warm = min(cfg.warmup_steps, max(1, total // 5))

        def lr_lambda(step: int) -> float:
            if step < warm:
                return (step + 1) / warm
            return max(0.0, (total - step) / max(1, total - warm))

        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lr_lambda)
        self.use_amp = cfg.amp and self.device.type == "cuda"
        self.amp_dtype = torch.bfloat16 if self.use_amp and torch.cuda.is_bf16_supported() else torch.float16
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp and self.amp_dtype == torch.float16)
        self.model, self.optimizer = self.accelerator.prepare(self.model, self.optimizer)
        self.history: list[dict[str, Any]] = []
        self.best_auc = -1.0
        self.best_epoch = -1
        self.global_step = 0
        self.start_epoch = cfg.start_epoch
        self.wandb = WandbLogger(cfg.use_wandb and self.is_main, cfg.wandb_project, cfg.to_dict())
        if cfg.resume:
            self.load_checkpoint(cfg.resume)
            if cfg.start_epoch:
                self.start_epoch = cfg.start_epoch

    @property
    def raw_model(self) -> DualHeadCodeModel:
        m = self.accelerator.unwrap_model(self.model)
        assert isinstance(m, DualHeadCodeModel)
        return m

    # --------------------------------------------------------------------------- forward
    def _inputs(
        self, items: Sequence[TrainItem]
    ) -> tuple[dict[str, torch.Tensor], torch.Tensor | None, torch.Tensor | None]:
        """Tokens, stylometric features and file evidence of a batch (None where the model has none)."""
        enc = self.encoder.tokens([it.code for it in items])
        enc = {k: v.to(self.device) for k, v in enc.items()}
        style = None
        sm = self.encoder.style_matrix(
            [it.style_code or it.code for it in items], [it.language for it in items]
        )
        if sm is not None:
            style = torch.from_numpy(sm).to(self.device)
        evidence = None
        k = len(self.raw_model.config.evidence)
        if k:
            # Contrastive-only views carry no label and no evidence: zeros (their logits are unused).
            rows = [it.evidence if len(it.evidence) == k else (0.0,) * k for it in items]
            evidence = torch.tensor(rows, dtype=torch.float32, device=self.device)
        return enc, style, evidence

    def _autocast(self) -> Any:
        if self.use_amp:
            return torch.autocast("cuda", dtype=self.amp_dtype)
        return nullcontext()

    def train_step(self, batch: Any) -> dict[str, float]:
        """One optimizer step on a mixed batch; returns the loss parts."""
        items: list[TrainItem] = list(batch.singles)
        index = {id(it): i for i, it in enumerate(items)}
        a_idx: list[int] = []
        b_idx: list[int] = []
        for a, b in zip(batch.pairs_a, batch.pairs_b, strict=True):
            for it, target in ((a, a_idx), (b, b_idx)):
                if id(it) not in index:
                    index[id(it)] = len(items)
                    items.append(it)
                target.append(index[id(it)])
        labels = torch.tensor([it.label for it in items], dtype=torch.long, device=self.device)
        enc, style, evidence = self._inputs(items)
        self.model.train()
        with self._autocast():
            emb, logits = self.model(enc["input_ids"], enc["attention_mask"], style, evidence)
        paired = set(a_idx) | set(b_idx)
        extra = [i for i in range(len(items)) if i not in paired]
        ai = torch.tensor(a_idx, dtype=torch.long, device=self.device)
        bi = torch.tensor(b_idx, dtype=torch.long, device=self.device)
        ei = torch.tensor(extra, dtype=torch.long, device=self.device)
        emb = emb.float()
        parts = combined_loss(
            emb[ai],
            emb[bi],
            logits.float(),
            labels,
            lambda_contrastive=self.cfg.lambda_contrastive,
            lambda_classification=self.cfg.lambda_classification,
            temperature=self.cfg.temperature,
            extra_negatives=emb[ei] if len(extra) else None,
        )
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler.is_enabled():
            self.scaler.scale(parts.total).backward()
            self.scaler.unscale_(self.optimizer)
        else:
            self.accelerator.backward(parts.total)
        if self.cfg.gradient_clip > 0:
            params = [p for g in self.optimizer.param_groups for p in g["params"] if p.grad is not None]
            torch.nn.utils.clip_grad_norm_(params, self.cfg.gradient_clip)
        if self.scaler.is_enabled():
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.scheduler.step()
        self.global_step += 1
        return {
            "loss": float(parts.total.detach()),
            "contrastive": float(parts.contrastive.detach()),
            "classification": float(parts.classification.detach()),
        }

    # ------------------------------------------------------------------------ validation
    @torch.no_grad()
    def predict(
        self, examples: Sequence[CodeExample], desc: str = "Validation"
    ) -> tuple[np.ndarray, np.ndarray]:
        """AI probabilities and embeddings for whole files (their first window)."""
        model = self.raw_model
        model.eval()
        probs, embs = [], []
        bs = self.cfg.eval_batch_size
        for s in tqdm(range(0, len(examples), bs), desc=desc, leave=False, disable=not self.is_main):
            chunk = examples[s : s + bs]
            items = [TrainItem(e.code, e.language, e.label, e.code, e.evidence) for e in chunk]
            enc, style, evidence = self._inputs(items)
            with self._autocast():
                emb, logits = model(enc["input_ids"], enc["attention_mask"], style, evidence)
            probs.append(torch.sigmoid(logits.float()).cpu().numpy())
            embs.append(emb.float().cpu().numpy())
        return np.concatenate(probs), np.concatenate(embs)

    def validate(self) -> dict[str, Any]:
        """Per-epoch selection metrics: first window of each file of the (sub)set dev."""
        dev = self.data.dev
        probs, _ = self.predict(dev)
        labels = np.array([e.label for e in dev])
        logits = torch.logit(torch.from_numpy(probs).double().clamp(1e-7, 1 - 1e-7))
        l_cls = float(classification_loss(logits, torch.from_numpy(labels)))
        out: dict[str, Any] = {"val_classification": l_cls, **classification_metrics(probs, labels, dev)}
        l_con = 0.0
        if self.data.val_pairs:
            pairs = self.data.val_pairs
            a = [p.a for p, _ in pairs]
            b = [p.b for p, _ in pairs]
            _, ea = self.predict(a, desc="Val pairs a")
            _, eb = self.predict(b, desc="Val pairs b")
            sims = (ea * eb).sum(axis=1)
            plabels = np.array([lab for _, lab in pairs])
            out["val_pair_roc_auc"] = safe_auc(plabels, sims)
            pos = plabels == 1
            if pos.sum() >= 2:
                za, zb = torch.from_numpy(ea[pos]), torch.from_numpy(eb[pos])
                n = self.cfg.contrastive_pairs or 8
                losses = [
                    float(info_nce(za[i : i + n], zb[i : i + n], self.cfg.temperature))
                    for i in range(0, len(za), n)
                    if len(za[i : i + n]) >= 2
                ]
                l_con = float(np.mean(losses)) if losses else 0.0
        out["val_contrastive"] = l_con
        out["val_loss"] = self.cfg.lambda_classification * l_cls + self.cfg.lambda_contrastive * l_con
        out["_scores"] = probs
        out["_labels"] = labels
        out["_groups"] = [e.source for e in dev]
        if self.data.heldout:
            hp, _ = self.predict(self.data.heldout, desc="Held-out sources")
            hl = np.array([e.label for e in self.data.heldout])
            out["heldout_roc_auc"] = safe_auc(hl, hp)
            out["heldout_tpr_at_1fpr"] = tpr_at_fpr(hp, hl, 0.01)
        return out

    def fit_head_mix(self) -> dict[str, Any]:
        """Refit the saved best model's head mix on the stacking slice, scored as served (windowed)."""
        return head_mix_on_slice(
            Path(self.cfg.output_dir), self.data.stack, self.cfg.source_alpha, str(self.device),
            self.cfg.eval_batch_size, self.tokenizer, log, use_encoder=self.cfg.head_mix_encoder,
            fallback=self.data.train,
        )

    def served_dev_metrics(self) -> dict[str, Any]:
        """Score the whole dev set with the saved best model exactly as it will be served
        (ml.inference: every window of a long file, aggregated), and calibrate the risk
        thresholds on those scores; per-epoch selection used first windows only (CPU time)."""
        from ml.author_baseline import calibrate_relative
        from ml.calibration import calibrate, save_thresholds
        from ml.inference import CodeDetectorInference

        out = Path(self.cfg.output_dir)
        dev = self.data.dev_full
        log(f"Scoring the best epoch ({self.best_epoch}) on all {len(dev)} dev files as served (windowed)")
        det = CodeDetectorInference(out, device=str(self.device), batch_size=self.cfg.eval_batch_size)
        logits, term = det.logit_parts([e.code for e in dev], [e.language for e in dev])
        probs = 1.0 / (1.0 + np.exp(-logits))
        labels = np.array([e.label for e in dev])
        metrics = classification_metrics(probs, labels, dev)
        metrics.update(dev_uncertainty(logits, term, labels, [group_key(e) for e in dev], det.evidence is not None))
        scored_with = f"ml.inference (torch), windows of {det.max_length} tokens, aggregation {det.aggregation}"
        metrics.update({"epoch": self.best_epoch, "scored_with": scored_with, "dev_files": len(dev)})
        if self.data.val_pairs:
            ea = det.embed([p.a.code for p, _ in self.data.val_pairs], [p.a.language for p, _ in self.data.val_pairs])
            eb = det.embed([p.b.code for p, _ in self.data.val_pairs], [p.b.language for p, _ in self.data.val_pairs])
            metrics["val_pair_roc_auc"] = safe_auc(np.array([lab for _, lab in self.data.val_pairs]), (ea * eb).sum(axis=1))
        cal = calibrate(probs, labels, groups=[e.source for e in dev], rule=self.cfg.calibration_rule)
        relative = calibrate_relative(probs, labels, [e.author for e in dev], [e.work for e in dev],
                                      [e.source for e in dev], rule=self.cfg.calibration_rule)
        if relative is not None:  # levels for `codeguard detect --history` (ml/author_baseline.py)
            cal["relative"] = relative
        calibrated_on = self.cfg.aigen_dev
        if self.cfg.holdout_sources:
            calibrated_on += f" without {', '.join(self.cfg.holdout_sources)}"
        save_thresholds(out, cal, extra={"calibrated_on": calibrated_on, "scored_with": scored_with,
                                         "epoch": self.best_epoch})
        if self.data.heldout:
            metrics["heldout"] = self.served_heldout_metrics(det, cal)
        log(f"Dev (all {len(dev)}, served): ROC-AUC: {metrics['val_roc_auc']:.4f}, "
            f"Accuracy: {metrics['val_accuracy']:.4f}, TPR@1%FPR: {metrics['val_tpr_at_1fpr']:.4f}, "
            f"TPR@5%FPR: {metrics['val_tpr_at_5fpr']:.4f}")
        return metrics

    def served_heldout_metrics(self, det: Any, cal: dict[str, Any]) -> dict[str, Any]:
        """The held-out sources scored as served: ranking (AUC, TPR at 1% FPR re-thresholded on
        their own humans) and what the deployed `high` threshold, calibrated without them, does."""
        from ml.calibration import rates_at_threshold

        rows = self.data.heldout
        log(f"Scoring the {len(rows)} files of held-out {', '.join(self.cfg.holdout_sources)} as served")
        logits, term = det.logit_parts([e.code for e in rows], [e.language for e in rows])
        probs = 1.0 / (1.0 + np.exp(-logits))  # as the dev scores `high` was calibrated on
        labels = np.array([e.label for e in rows])
        out: dict[str, Any] = {
            "sources": list(self.cfg.holdout_sources),
            "files": len(rows),
            "of_files": self.data.heldout_total,
            "human": int((labels == 0).sum()),
            "roc_auc": safe_auc(labels, probs),
            "tpr_at_1fpr": tpr_at_fpr(probs, labels, 0.01),
        }
        high = cal["levels"]["high"]["threshold"]
        out["deployed_fpr"], out["deployed_tpr"] = rates_at_threshold(probs, labels, high)
        if det.evidence is not None:
            out.update(logit_part_metrics(logits, term, labels))
        log(
            f"Held-out (served): ROC-AUC {out['roc_auc']:.4f}, TPR@1%FPR {out['tpr_at_1fpr']:.4f}; "
            f"at the deployed high threshold FPR {out['deployed_fpr']:.3f}, TPR {out['deployed_tpr']:.3f}"
        )
        return out

    # ------------------------------------------------------------------------ checkpoints
    def save_checkpoint(self, epoch: int) -> Path | None:
        if not self.is_main:
            return None
        d = Path(self.cfg.checkpoint_dir)
        d.mkdir(parents=True, exist_ok=True)
        model = self.raw_model
        trainable = {
            k: v.detach().cpu()
            for k, v in model.state_dict().items()
            if not k.startswith("backbone.") or "lora_" in k or not model.config.lora
        }
        state = {
            "epoch": epoch,
            "global_step": self.global_step,
            "model": trainable,
            "model_config": model.config.to_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "history": self.history,
            "best_auc": self.best_auc,
            "best_epoch": self.best_epoch,
            "style_prior": self.style_report,
            "file_evidence": self.evidence_report,
            "elapsed_seconds": time.time() - self.t_start + self.elapsed_before,
            "config": self.cfg.to_dict(),
        }
        path = d / CHECKPOINT_FILE
        tmp = path.with_suffix(".tmp")
        torch.save(state, tmp)
        os.replace(tmp, path)
        return path

    def load_checkpoint(self, path_or_dir: str) -> None:
        p = Path(path_or_dir)
        if p.is_dir():
            p = p / CHECKPOINT_FILE
        if not p.is_file():
            raise ConfigError(f"--resume: no checkpoint at {p}")
        state = torch.load(p, map_location="cpu", weights_only=False)
        missing, unexpected = self.raw_model.load_state_dict(state["model"], strict=False)
        if unexpected:
            raise ConfigError(f"--resume: checkpoint {p} does not match this model ({unexpected[:3]})")
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        self.history = list(state.get("history", []))
        self.best_auc = float(state.get("best_auc", -1.0))
        self.best_epoch = int(state.get("best_epoch", -1))
        self.global_step = int(state.get("global_step", 0))
        self.style_report = dict(state.get("style_prior", {})) or self.style_report
        self.evidence_report = {**dict(state.get("file_evidence", {})), **self.evidence_report}
        self.elapsed_before = float(state.get("elapsed_seconds", 0.0))
        self.start_epoch = int(state["epoch"]) + 1
        log(f"Resumed from {p} (epoch {state['epoch'] + 1} done); continuing at epoch {self.start_epoch + 1}")

    def save_best(self, metrics: dict[str, Any]) -> None:
        if not self.is_main:
            return
        from ml.calibration import calibrate, save_thresholds

        out = Path(self.cfg.output_dir)
        self.raw_model.save_pretrained(out, tokenizer=self.tokenizer)
        if self.evidence is not None:
            self.evidence.save(out)
        cal = calibrate(metrics["_scores"], metrics["_labels"], groups=metrics["_groups"],
                        rule=self.cfg.calibration_rule)
        save_thresholds(out, cal, extra={"calibrated_on": self.cfg.aigen_dev, "epoch": metrics["epoch"]})

    # ------------------------------------------------------------------------------ loop
    def set_stage(self, epoch: int) -> str:
        frozen = epoch < self.cfg.freeze_epochs
        self.raw_model.set_backbone_trainable(not frozen)
        return (
            "heads only (encoder frozen)"
            if frozen
            else "heads + encoder" + (" adapters" if self.raw_model.config.lora else "")
        )

    def train(self) -> dict[str, Any]:
        cfg = self.cfg
        if self.is_main:
            log(
                f"Training on {self.device} ({self.accelerator.num_processes} process(es)); "
                f"{len(self.data.train)} classification examples, {len(self.data.plag)} plagiarism pairs, "
                f"{len(self.data.rosetta)} Rosetta tasks; {self.steps_per_epoch} steps/epoch"
            )
        stale = 0
        for epoch in range(self.start_epoch, cfg.num_epochs):
            stage = self.set_stage(epoch)
            if self.is_main:
                log(f"Epoch {epoch + 1}/{cfg.num_epochs} [{stage}]")
            sums: dict[str, float] = defaultdict(float)
            n = 0
            te = time.time()
            bar = tqdm(total=self.steps_per_epoch, desc="Training", disable=not self.is_main)
            rank, world = self.accelerator.process_index, self.accelerator.num_processes
            for i, batch in enumerate(self.batches.epoch(epoch)):
                if i % world != rank:
                    continue
                if cfg.max_steps and self.global_step >= cfg.max_steps:
                    break
                parts = self.train_step(batch)
                for k, v in parts.items():
                    sums[k] += v
                n += 1
                bar.update(1)
                bar.set_postfix(loss=f"{sums['loss'] / n:.3f}")
                if self.global_step % cfg.log_every == 0:
                    self.wandb.log(
                        {f"train/{k}": v for k, v in parts.items()} | {"lr": self.scheduler.get_last_lr()[0]},
                        self.global_step,
                    )
            bar.close()
            n = max(n, 1)
            train_time = time.time() - te
            if self.is_main:
                log(
                    f"Train Loss: {sums['loss'] / n:.3f}, Contrastive: {sums['contrastive'] / n:.3f}, "
                    f"Classification: {sums['classification'] / n:.3f}"
                )
            self.accelerator.wait_for_everyone()
            metrics = self.validate() if self.is_main else {}
            record: dict[str, Any] = {
                "epoch": epoch + 1,
                "stage": stage,
                "train_loss": sums["loss"] / n,
                "train_contrastive": sums["contrastive"] / n,
                "train_classification": sums["classification"] / n,
                "train_seconds": round(train_time, 1),
                "steps": self.global_step,
            }
            improved = False
            if self.is_main:
                record.update({k: v for k, v in metrics.items() if not k.startswith("_")})
                pair = (
                    f", Val Pair ROC-AUC: {metrics['val_pair_roc_auc']:.3f}"
                    if "val_pair_roc_auc" in metrics
                    else ""
                )
                log(
                    f"Val Loss: {metrics['val_loss']:.3f}, Val ROC-AUC: {metrics['val_roc_auc']:.3f}, "
                    f"Val Accuracy: {metrics['val_accuracy']:.3f}, Val TPR@1%FPR: {metrics['val_tpr_at_1fpr']:.3f}{pair}"
                )
                auc = metrics["val_roc_auc"]
                improved = not math.isnan(auc) and auc > self.best_auc
                if improved:
                    self.best_auc, self.best_epoch = auc, epoch + 1
                    metrics["epoch"] = epoch + 1
                    self.save_best(metrics)
                    self.best_metrics = {k: v for k, v in metrics.items() if not k.startswith("_")}
                    log(f"✓ Best model saved (ROC-AUC: {auc:.3f})")
                self.history.append(record)
                self.wandb.log(
                    {f"val/{k}": v for k, v in record.items() if isinstance(v, int | float)}, self.global_step
                )
                self._write_history()
                self.save_checkpoint(epoch)
            stale = 0 if improved else stale + 1
            if cfg.max_steps and self.global_step >= cfg.max_steps:
                break
            if epoch >= cfg.freeze_epochs and stale >= cfg.patience:
                if self.is_main:
                    log(f"Early stopping: no ROC-AUC gain for {stale} epoch(s)")
                break
        # includes data loading, the style prior and, after --resume, the earlier segments
        wall = time.time() - self.t_start + self.elapsed_before
        result: dict[str, Any] = {
            "best_epoch": self.best_epoch,
            "best_val_roc_auc": self.best_auc,
            "wall_seconds": round(wall, 1),
        }
        # An evidence-only AI score is refitted even where no slice was drawn (a small data set).
        if self.is_main and self.best_epoch > 0 and (self.data.stack or not self.cfg.head_mix_encoder):
            self.evidence_report["head_mix"] = self.fit_head_mix()
        if self.is_main and self.best_epoch > 0:
            metrics = self.served_dev_metrics()
            self.best_metrics = {k: v for k, v in metrics.items() if not k.startswith("_")}
            result["dev_roc_auc"] = metrics["val_roc_auc"]
            result["dev_tpr_at_1fpr"] = metrics["val_tpr_at_1fpr"]
            result["dev_scored_with"] = metrics["scored_with"]
            for key in ("val_roc_auc_ci95", "val_tpr_at_1fpr_ci95", "encoder_path", "evidence_term"):
                if key in metrics:
                    result["dev_" + key.removeprefix("val_")] = metrics[key]
            if "heldout" in metrics:
                result["heldout_served"] = metrics["heldout"]
        if self.is_main:
            self._write_history(extra=result)
            if self.best_epoch > 0:
                from ml.model_card import write_model_card

                write_model_card(
                    Path(cfg.output_dir),
                    cfg,
                    self.history,
                    {**getattr(self, "best_metrics", {}), "style_prior": self.style_report,
                     "file_evidence": self.evidence_report},
                    self.data.summary(),
                    wall,
                    command=self.command,
                )
        self.wandb.finish()
        return result

    def _write_history(self, extra: dict[str, Any] | None = None) -> None:
        out = Path(self.cfg.output_dir)
        out.mkdir(parents=True, exist_ok=True)
        data: dict[str, Any] = {
            "epochs": self.history,
            "config": self.cfg.to_dict(),
            "style_prior": self.style_report,
            "file_evidence": self.evidence_report,
        }
        if extra:
            data.update(extra)
        (out / HISTORY_FILE).write_text(
            json.dumps(data, indent=2, default=_json_default) + "\n", encoding="utf-8"
        )


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(type(o).__name__)


def train(cfg: TrainConfig, command: str = "") -> dict[str, Any]:
    """Train with `cfg`; `command` is how the run was invoked, recorded in the model card."""
    cfg.validate()
    return Trainer(cfg, command=command).train()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ml.train", description="Train the dual-head CodeGuard model.")
    add_config_arguments(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        cfg = config_from_args(args)
        result = train(cfg, command=shlex.join(["python", "-m", "ml.train", *(argv if argv is not None else sys.argv[1:])]))
    except (ConfigError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
