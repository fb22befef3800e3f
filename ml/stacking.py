"""How the classifier head's file evidence and its mix with the encoder path are fitted.

Stacking, in three steps (ml/evidence.py explains the evidence paths themselves):

1. `attach_file_evidence`: the paths are fitted on every training file out of fold by group, and
   each training example carries the evidence of the fold that did not see it; dev and held-out
   files get the paths fitted on everything. The encoder path and the evidence weights then
   train on values the paths never memorised.
2. A seeded share of training files (`stack_fraction`) never trains the encoder.
3. `head_mix_on_slice`, after training: those files, scored as served, set the final mix
   (`refit_head_mix`). Why: the encoder path's own training files are not out of fold for it,
   so the mix learned during training over-trusts it; on files no part of the model has seen
   with labels, the fitted mix says what each part is worth (on this data, on 2 CPU cores:
   little for the encoder path, which then gets a small or zero weight).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ml.augment import edit_each, formatting_edit
from ml.calibration import safe_auc, tpr_at_fpr
from ml.config import TrainConfig
from ml.data import CodeExample, sampling_weights
from ml.evidence import EVIDENCE_FILE, EvidenceInputs, FileEvidence, fit_evidence
from ml.explain import style_reference
from ml.model import DualHeadCodeModel
from ml.stylometry import FEATURE_NAMES

EVIDENCE_OOF_FILE = "evidence_oof.npy"
EVIDENCE_KEY_FILE = "evidence_key.json"
# Bump when the evidence features or fit change, so that no cache from before is reused.
EDIT_SEED = 7  # the edited copies' generator (as benchmarks.evidence_variants `edited-copies`)
EVIDENCE_CACHE_FORMAT = 3  # 2: style trees averaged over seeds; 3: with the style reference


def attach_file_evidence(
    data: Any, cfg: TrainConfig, log: Callable[[str], None] = print
) -> tuple[FileEvidence, dict[str, Any]]:
    """Fit the file-evidence paths (ml.evidence) and give every example its evidence: out of fold
    for training files, from the paths fitted on all of them for dev and held-out files.

    The fitted paths and out-of-fold values are kept in the checkpoint folder under a key of
    everything the fit depends on (files, labels, groups, paths, folds, seed), so a --resume trains
    on exactly the values the first segment used, and a rerun on the same data (another encoder
    schedule, another device) skips the CPU-heavy fit. `data` is an ml.train.TrainingData: its
    train, dev, dev_full, heldout and stack lists are replaced.
    """
    names = list(cfg.file_evidence)
    cache = Path(cfg.checkpoint_dir)
    train = data.train
    alpha = cfg.evidence_source_alpha
    copies = cfg.evidence_edited_copies
    key = evidence_cache_key(train, names, cfg.evidence_folds, cfg.seed, alpha, copies)
    evidence: FileEvidence | None = None
    oof: np.ndarray | None = None
    report: dict[str, Any] = {}
    saved = read_cache_key(cache)
    if saved.get("key") == key and (cache / EVIDENCE_FILE).is_file() and (cache / EVIDENCE_OOF_FILE).is_file():
        evidence = FileEvidence.load(cache, names)
        oof = np.load(cache / EVIDENCE_OOF_FILE)
        report = dict(saved.get("fit_report") or {})  # the fit's own numbers (out-of-fold AUCs) for the card
        log(f"File evidence: reusing the fitted paths and out-of-fold values in {cache}")
    if evidence is None or oof is None:
        t0 = time.time()
        rows = with_edited_copies(train) if copies else list(train)
        inputs = EvidenceInputs.of([e.code for e in rows], [e.language for e in rows], names)
        log(f"File evidence: features of {len(rows)} files in {time.time() - t0:.0f}s; {cfg.evidence_folds} group folds"
            + (f" ({len(train)} training files and an edited copy of each)" if copies else ""))
        weights = None if alpha == 1.0 else sampling_weights(train, alpha) * len(train)
        evidence, oof, report = fit_evidence(
            inputs,
            [e.label for e in rows],
            [group_key(e) for e in rows],
            names,
            folds=cfg.evidence_folds,
            seed=cfg.seed,
            sample_weight=None if weights is None else np.tile(weights, len(rows) // len(train)),
            log=log,
        )
        if copies:
            # The originals' out-of-fold values (a copy shares its original's group, so its fold);
            # the style reference describes the files as people wrote them, not their copies.
            oof = oof[: len(train)]
            evidence = dataclasses.replace(evidence, reference=style_reference(
                inputs.style[: len(train)], [e.label for e in train], inputs.languages[: len(train)], FEATURE_NAMES,
            ) if inputs.style is not None else None)
        cache.mkdir(parents=True, exist_ok=True)
        evidence.save(cache)
        np.save(cache / EVIDENCE_OOF_FILE, oof)
        (cache / EVIDENCE_KEY_FILE).write_text(
            json.dumps({"key": key, "fit_report": report}, indent=2, default=float) + "\n", encoding="utf-8"
        )
    data.train = [dataclasses.replace(e, evidence=tuple(float(v) for v in row)) for e, row in zip(train, oof, strict=True)]
    if cfg.stack_fraction > 0:
        keep = stack_groups([group_key(e) for e in data.train], cfg.seed, cfg.stack_fraction)
        data.stack = [e for e in data.train if group_key(e) in keep]
        data.train = [e for e in data.train if group_key(e) not in keep]
        log(f"File evidence: {len(data.stack)} training files ({len(keep)} whole groups) kept out of encoder "
            "training to set the head's mix")

    def annotate(rows: list[CodeExample]) -> list[CodeExample]:
        if not rows:
            return rows
        m = evidence.matrix([e.code for e in rows], [e.language for e in rows])
        return [dataclasses.replace(e, evidence=tuple(float(v) for v in row)) for e, row in zip(rows, m, strict=True)]

    positions = {id(e): i for i, e in enumerate(data.dev_full)}
    dev_full = annotate(data.dev_full)
    data.dev = [dev_full[positions[id(e)]] for e in data.dev]
    data.dev_full = dev_full
    data.heldout = annotate(data.heldout)
    labels = np.array([e.label for e in data.dev_full])
    dev_m = np.array([e.evidence for e in data.dev_full])
    for j, name in enumerate(names):
        report[f"{name}_dev_roc_auc"] = safe_auc(labels, dev_m[:, j])
        report[f"{name}_dev_tpr_at_1fpr"] = tpr_at_fpr(dev_m[:, j], labels, 0.01)
        log(f"File evidence {name} alone on dev: ROC-AUC {report[f'{name}_dev_roc_auc']:.4f}, "
            f"TPR@1%FPR {report[f'{name}_dev_tpr_at_1fpr']:.3f}")
    return evidence, report


def with_edited_copies(rows: Sequence[CodeExample]) -> list[CodeExample]:
    """`rows` followed by a formatting-edited copy of each (same label, source and group), seeded by
    position so that a rerun on the same data fits on the same copies."""
    codes = edit_each([e.code for e in rows], [e.language for e in rows], formatting_edit, EDIT_SEED)
    return [*rows, *(dataclasses.replace(e, code=c) for e, c in zip(rows, codes, strict=True))]


def read_cache_key(cache: Path) -> dict[str, Any]:
    """The cached fit's key and report; {} when there is none or it cannot be read."""
    try:
        data = json.loads((cache / EVIDENCE_KEY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def evidence_cache_key(
    train: Sequence[CodeExample], names: Sequence[str], folds: int, seed: int, source_alpha: float = 1.0,
    edited_copies: bool = False,
) -> str:
    """A digest of everything the out-of-fold fit depends on; the code enters by its own digest.
    (An unweighted fit keeps the key it had before weights existed, so old caches stay valid.)"""
    weighting = ("" if source_alpha == 1.0 else f"|alpha={source_alpha!r}") + ("|edited-copies" if edited_copies else "")
    h = hashlib.sha256(f"{EVIDENCE_CACHE_FORMAT}|{','.join(names)}|{folds}|{seed}|{len(train)}{weighting}".encode())
    for e in train:
        code = hashlib.sha256(e.code.encode("utf-8", "replace")).hexdigest()
        h.update(f"\n{e.source}|{e.group}|{e.label}|{e.language}|{code}".encode("utf-8", "replace"))
    return h.hexdigest()


def group_key(e: CodeExample) -> str:
    """The unit of splitting (a task, or an author where that is all there is): dev shares none with
    training, so folds and the stacking slice split by it too."""
    return f"{e.source}:{e.group}"


def stack_groups(keys: Sequence[str], seed: int, fraction: float) -> set[str]:
    """The groups of the stacking slice: per source (the key's part before the first ':'), whole
    groups in a seeded hash order, taken while they fit in `fraction` of that source's files (a
    group too large to fit is passed over, not split).

    Whole groups, because dev and a user's new assignments share no task with training: on files
    whose tasks the encoder trained on, its path looks better than it will be on new tasks, and
    the head's mix fitted there would trust it too much. Per source, so that the mix is fitted on
    the same blend of sources as training. Seeded by the group's name, so a --resume or a rerun
    keeps exactly the same files out of encoder training.
    """
    sizes: dict[str, int] = {}
    per_source: dict[str, int] = {}
    for k in keys:
        sizes[k] = sizes.get(k, 0) + 1
        src = k.split(":", 1)[0]
        per_source[src] = per_source.get(src, 0) + 1
    order = sorted(sizes, key=lambda k: hashlib.sha256(f"{seed}:{k}".encode("utf-8", "replace")).digest())
    picked: set[str] = set()
    taken: dict[str, int] = {}
    for k in order:
        src = k.split(":", 1)[0]
        if taken.get(src, 0) + sizes[k] <= fraction * per_source[src]:
            picked.add(k)
            taken[src] = taken.get(src, 0) + sizes[k]
    return picked


def refit_head_mix(model: DualHeadCodeModel, enc: np.ndarray, evidence: np.ndarray, labels: np.ndarray,
                   weights: np.ndarray, use_encoder: bool = True) -> dict[str, Any]:
    """Set the classifier head's mix from files neither the encoder nor the evidence saw with labels.

    The head's logit is enc + w . evidence, where enc is what the encoder path (classifier MLP,
    and the style MLP when there is one) adds. A logistic regression on [enc, evidence] gives
    a * enc + w' . evidence + b; a and b are folded into the last layer of the encoder path
    (the function is unchanged but for the scale) and w' replaces the evidence weights. A
    negative a would mean "trust the encoder path backwards": it is refitted at a = 0 instead,
    as it is whenever `use_encoder` is False (TrainConfig.head_mix_encoder).
    """
    from sklearn.linear_model import LogisticRegression

    if model.evidence_head is None:
        raise ValueError("the head's mix needs a model with file evidence")
    a = 0.0
    if use_encoder:
        x = np.column_stack([enc, evidence])
        clf = LogisticRegression(C=1.0, max_iter=1000).fit(x, labels, sample_weight=weights)
        a, w, b = float(clf.coef_[0, 0]), clf.coef_[0, 1:], float(clf.intercept_[0])
    if a <= 0:
        clf = LogisticRegression(C=1.0, max_iter=1000).fit(evidence, labels, sample_weight=weights)
        a, w, b = 0.0, clf.coef_[0], float(clf.intercept_[0])
    with torch.no_grad():
        lasts = [m[-1] for m in (model.classifier, model.style_head) if isinstance(m, torch.nn.Sequential)]
        for i, last in enumerate(lasts):
            assert isinstance(last, torch.nn.Linear)
            last.weight.mul_(a)
            last.bias.mul_(a)
            if i == 0:
                last.bias.add_(b)
        model.evidence_head.weight.copy_(torch.from_numpy(np.asarray(w, dtype=np.float32)).unsqueeze(0))
    return {"encoder_weight": a, "evidence_weights": dict(zip(model.config.evidence, map(float, w), strict=True)),
            "bias": b}


def head_mix_on_slice(
    out: Path,
    rows: list[CodeExample],
    source_alpha: float,
    device: str,
    batch_size: int,
    tokenizer: Any,
    log: Callable[[str], None] = print,
    use_encoder: bool = True,
    fallback: Sequence[CodeExample] = (),
) -> dict[str, Any]:
    """Score the stacking slice with the saved model in `out` as served (windowed), refit its head
    mix there (`refit_head_mix`) and save it back; returns what the model card reports.

    `fallback` (training files with out-of-fold evidence) is used when the slice lacks a class and
    the encoder is left out (`use_encoder` False): the AI score must then stay the evidence alone,
    and the paths never saw those files' labels, so they can set the evidence weights. Why at all:
    a small data set (a retraining config, a course's own files) may leave no usable slice, and
    keeping the mix training learned would quietly put an encoder path back into the AI score.
    """
    from ml.inference import CodeDetectorInference

    labels = np.array([e.label for e in rows])
    scored = True
    if len(set(labels.tolist())) < 2:
        if use_encoder or len({e.label for e in fallback}) < 2:
            log("Head mix: the stacking slice lacks one class; keeping the mix training learned")
            return {"skipped": "one class only", "files": len(rows)}
        log(f"Head mix: the stacking slice ({len(rows)} files) lacks one class; fitting the evidence weights "
            f"on the out-of-fold evidence of {len(fallback)} training files instead")
        rows, scored = list(fallback), False
        labels = np.array([e.label for e in rows])
    oof = np.array([e.evidence for e in rows], dtype=np.float64)
    weights = sampling_weights(rows, source_alpha) * len(rows)
    before: dict[str, float] | None = None
    if scored:
        log(f"Head mix: scoring the {len(rows)} held-back training files as served")
        det = CodeDetectorInference(out, device=device, batch_size=batch_size)
        logit, term = det.logit_parts([e.code for e in rows], [e.language for e in rows])
        w = det.evidence_weights()
        # What the encoder path added: the served logit minus the evidence term it was served with.
        enc = logit - term
        model = det.model.cpu()
        before = {"roc_auc": safe_auc(labels, enc + oof @ w), "tpr_at_1fpr": tpr_at_fpr(enc + oof @ w, labels, 0.01)}
    else:
        model = DualHeadCodeModel.from_pretrained(out, map_location="cpu")
        enc = np.zeros(len(rows))  # not used at weight 0; the encoder never scores these files
    mix = refit_head_mix(model, enc, oof, labels, weights, use_encoder=use_encoder)
    model.save_pretrained(out, tokenizer=tokenizer)
    w2 = np.array(list(mix["evidence_weights"].values()))
    after_s = mix["encoder_weight"] * enc + oof @ w2 + mix["bias"]
    report = {
        "files": len(rows),
        "human": int((labels == 0).sum()),
        "rows": "held-back slice" if scored else "training files (out-of-fold evidence)",
        **mix,
        "encoder_excluded": not use_encoder,
        "before": before,
        "after": {"roc_auc": safe_auc(labels, after_s), "tpr_at_1fpr": tpr_at_fpr(after_s, labels, 0.01)},
    }
    log(f"Head mix on {len(rows)} {report['rows']}: encoder path x{mix['encoder_weight']:.3f}, "
        f"evidence {({k: round(v, 3) for k, v in mix['evidence_weights'].items()})}; ROC-AUC there "
        + (f"{before['roc_auc']:.4f} -> " if before else "")
        + f"{report['after']['roc_auc']:.4f}")
    return report
