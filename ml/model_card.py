"""The model card (README.md) written next to a trained model: what it was trained on, what it
measured on dev, how to use it, and where it must not be trusted."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def _fmt(x: Any, digits: int = 3) -> str:
    if isinstance(x, float):
        return "n/a" if math.isnan(x) else f"{x:.{digits}f}"
    return str(x)


def _parts_line(where: str, m: Mapping[str, Any]) -> str:
    enc, term = m["encoder_path"], m["evidence_term"]
    ev = f"the file-evidence term alone ROC-AUC {_fmt(term['roc_auc'])}, TPR at 1% FPR {_fmt(term['tpr_at_1fpr'])}"
    if "constant" in enc:
        return (f"- The two parts of the served logit on {where}: the encoder path adds the constant "
                f"{_fmt(enc['constant'])} (weight 0 in the head mix), so the AI score is the file evidence: {ev}")
    return (f"- The two parts of the served logit on {where}: the encoder path alone (logit minus the evidence "
            f"term) ROC-AUC {_fmt(enc['roc_auc'])}, TPR at 1% FPR {_fmt(enc['tpr_at_1fpr'])}; {ev}")


def write_model_card(
    out_dir: Path,
    cfg: Any,
    history: Sequence[Mapping[str, Any]],
    best: Mapping[str, Any],
    data_summary: Mapping[str, Any],
    wall_seconds: float,
    command: str = "",
) -> Path:
    thresholds: dict[str, Any] = {}
    tpath = out_dir / "thresholds.json"
    if tpath.is_file():
        thresholds = json.loads(tpath.read_text(encoding="utf-8"))
    lines: list[str] = []
    add = lines.append
    add("# CodeGuard Nexus dual-head code model\n")
    add(
        "One encoder with two heads: a projection head (256-d, L2-normalised) whose cosine similarity "
        "is a semantic code-similarity score, and a classifier head whose sigmoid is an AI-generated-code "
        "score. Trained by this repository's `ml/train.py`.\n"
    )
    add("## Architecture\n")
    add(
        f"- Backbone: `{cfg.model_name}` (loaded from the installed package; this folder stores only what "
        f"differs from it{': LoRA adapters r=' + str(cfg.lora_r) + ' on layers ' + str(list(cfg.lora_layers)) if cfg.lora else ''}, "
        "the heads and the stylometric scaler"
        + ("; evidence.safetensors holds the file-evidence arrays, style_reference.json the median style "
           "of the human training files that `codeguard detect --explain` compares a file with"
           if cfg.file_evidence else "")
        + ")."
    )
    add(
        "- Input: code rewritten by `ml.codetext.prepare` (line breaks and relative indentation as marker "
        "tokens; tabs expanded; leading `package` lines dropped), max "
        f"{cfg.max_length} tokens per window; mean pooling."
    )
    add(
        f"- Classifier input: pooled embedding{' + standardised stylometric features (ml.stylometry)' if cfg.style_features else ''}"
        + (
            f"; plus file evidence {', '.join(cfg.file_evidence)} (ml.evidence: log-odds of whole-file readers, "
            "each times a learned weight, fitted out of fold on the training files so the weights learn how far "
            "to trust them; stored in evidence.safetensors).\n"
            if cfg.file_evidence
            else ".\n"
        )
    )
    if cfg.file_evidence and not getattr(cfg, "head_mix_encoder", True):
        add("- Served AI score: the file evidence alone. After training the head's mix is refitted with the "
            "encoder path at weight 0 (`head_mix_encoder: false`): on dev and on sources held out of training it "
            "ranked the low-false-positive end no better than the evidence (docs/BENCHMARKS.md). The encoder "
            "still trains on both losses and serves the similarity head; scoring AI risk alone needs no "
            "encoder pass.\n")
    add("## Training data (../shared/data only)\n")
    add(
        f"- Classification: aigen/train.jsonl ({data_summary.get('train_examples')} examples incl. Rosetta "
        "human rows), sampled per epoch with weight ~ count^"
        f"{cfg.source_alpha} per (source, label)"
        + (
            f"; the file-evidence paths fitted on every file, weighted ~ count^{cfg.evidence_source_alpha} per "
            "(source, label) so the largest sources do not set them alone."
            if cfg.file_evidence and cfg.evidence_source_alpha != 1.0
            else "."
        )
        + (
            " The file evidence was also fitted on a formatting-edited copy of every training file (re-layout, "
            "squeezed spaces, stripped comments: ml.augment.formatting_edit), so that such edits move the score less."
            if cfg.file_evidence and getattr(cfg, "evidence_edited_copies", False)
            else ""
        )
    )
    for src, c in data_summary.get("train_by_source", {}).items():
        add(f"  - {src}: {c['human']} human, {c['ai']} AI")
    add(
        f"- Contrastive positives: {data_summary.get('plagiarism_positive_pairs')} plagiarism train pairs, "
        f"{data_summary.get('rosetta_train_tasks')} Rosetta tasks (task-disjoint from the Rosetta dev slice), "
        "and rewritten views (ml.augment) of training files."
    )
    add(
        "- Dataset artefacts countered: Python signature type hints stripped from training code "
        f"({'on' if getattr(cfg, 'strip_type_hints', False) else 'off'}; one source's human files keep a "
        "course template's hinted signature), leading `package` lines dropped (`package ch_NN;` in one "
        "source's human files), tabs and indent width invisible to the encoder (tabs alone to the file evidence), Rosetta human code in languages whose "
        "training files were almost all AI, (source, label) re-weighting so the largest source does not dominate."
    )
    if data_summary.get("holdout_sources"):
        add(f"- Held out of training: {', '.join(data_summary['holdout_sources'])}")
    add(
        f"\nReproduce: `{command or 'python -m ml.train (config: training_history.json)'}` (wall time of this run: {wall_seconds / 60:.1f} min on the machine that "
        "trained it).\n"
    )
    scored = best.get("scored_with") if best else None
    add(f"## Metrics on dev (aigen/dev.jsonl, {best.get('dev_files', '') if best else ''} files"
        f"{', scored as served: ' + scored if scored else ', first window of each file'})\n")
    prior = best.get("style_prior") if best else None
    if prior and "style_prior_dev_roc_auc" in prior:
        add(f"- Stylometric path alone after its pre-fit (before any encoder training): ROC-AUC "
            f"{_fmt(prior['style_prior_dev_roc_auc'])}, TPR at 1% FPR {_fmt(prior['style_prior_dev_tpr_at_1fpr'])}")
    ev = best.get("file_evidence") if best else None
    for name in cfg.file_evidence:
        if ev and f"{name}_dev_roc_auc" in ev:
            oof = ev.get(f"{name}_oof_roc_auc")
            add(f"- File evidence `{name}` alone: dev ROC-AUC {_fmt(ev[f'{name}_dev_roc_auc'])}, TPR at 1% FPR "
                f"{_fmt(ev[f'{name}_dev_tpr_at_1fpr'])}" + (f" (out-of-fold on train: ROC-AUC {_fmt(oof)})" if oof else ""))
    mix = ev.get("head_mix") if ev else None
    if mix and "encoder_weight" in mix:
        where = ("training files (whole tasks) kept out of encoder training" if mix.get("before")
                 else "training files (no held-back slice had both classes; the encoder path is not in this fit)")
        add(f"- Head mix, refitted on {mix['files']} {where} "
            f"({mix['human']} human; their evidence out of fold): encoder path x{_fmt(mix['encoder_weight'])}, "
            + ", ".join(f"`{k}` x{_fmt(v)}" for k, v in mix["evidence_weights"].items())
            + "; ROC-AUC on those files "
            + (f"{_fmt(mix['before']['roc_auc'])} with the mix training learned, " if mix.get("before") else "")
            + f"{_fmt(mix['after']['roc_auc'])} refitted"
            + (" (the encoder path was left out of the AI score by the recipe, `head_mix_encoder: false`; "
               "it still serves similarity)" if mix.get("encoder_excluded") else ""))
    if best:
        add(f"- Best epoch: {best.get('epoch')}")
        add(
            f"- ROC-AUC {_fmt(best.get('val_roc_auc'))}, accuracy@0.5 {_fmt(best.get('val_accuracy'))}, "
            f"TPR at 1% FPR {_fmt(best.get('val_tpr_at_1fpr'))}, TPR at 5% FPR {_fmt(best.get('val_tpr_at_5fpr'))}"
        )
        ci_auc, ci_tpr = best.get("val_roc_auc_ci95"), best.get("val_tpr_at_1fpr_ci95")
        if ci_auc and ci_tpr:
            add(f"- 95% intervals over dev tasks (bootstrap, whole tasks resampled): ROC-AUC {_fmt(ci_auc[0])}-"
                f"{_fmt(ci_auc[1])}, TPR at 1% FPR {_fmt(ci_tpr[0])}-{_fmt(ci_tpr[1])}")
        if best.get("encoder_path") and best.get("evidence_term"):
            add(_parts_line("dev", best))
        if "val_pair_roc_auc" in best:
            add(
                f"- Plagiarism dev pairs (cosine of the projection): ROC-AUC {_fmt(best['val_pair_roc_auc'])}"
            )
        held = best.get("heldout")
        if held:
            files = held.get("of_files", held["files"])
            which = (f"all {files}" if held["files"] == files
                     else f"a random {held['files']} of the {files}")
            add(
                f"- Held-out sources ({', '.join(held['sources'])}: {which} train and dev files, "
                f"{held['human']} human; scored as served): ROC-AUC {_fmt(held['roc_auc'])}, TPR at 1% FPR "
                f"{_fmt(held['tpr_at_1fpr'])} (re-thresholded on their own humans); at the deployed `high` "
                f"threshold, calibrated without them: FPR {_fmt(held['deployed_fpr'])}, TPR {_fmt(held['deployed_tpr'])}"
            )
            if held.get("encoder_path") and held.get("evidence_term"):
                add(_parts_line("the held-out sources", held))
        elif "heldout_roc_auc" in best:
            add(
                f"- Held-out sources (first window): ROC-AUC {_fmt(best['heldout_roc_auc'])}, "
                f"TPR at 1% FPR {_fmt(best['heldout_tpr_at_1fpr'])}"
            )
        ps = best.get("per_source", {})
        if ps:
            add("\n| source | n | human | ROC-AUC | TPR@1%FPR | accuracy |\n|---|---:|---:|---:|---:|---:|")
            for src, m in ps.items():
                add(f"| {src} | {m['n']} | {m.get('n_human', '')} | {_fmt(m['roc_auc'])} | "
                    f"{_fmt(m.get('tpr_at_1fpr', float('nan')))} | {_fmt(m['accuracy'])} |")
    pl = best.get("per_language", {}) if best else {}
    if pl:
        add("\n| language | n | human | ROC-AUC | accuracy |\n|---|---:|---:|---:|---:|")
        for lang, m in pl.items():
            add(f"| {lang} | {m['n']} | {m['n_human']} | {_fmt(m['roc_auc'])} | {_fmt(m['accuracy'])} |")
        add("\n(ROC-AUC is n/a where dev has only one class for that language.)")
    lines.extend(risk_level_lines(thresholds))
    add("\n## Training history\n")
    add("Per-epoch validation (model selection) used the first window of each file of a fixed dev subset "
        "(`dev_limit`), to save CPU time; the numbers above are the selected epoch on all of dev.\n")
    add(
        "| epoch | stage | train loss | contrastive | classification | val ROC-AUC | val TPR@1%FPR |\n|---:|---|---:|---:|---:|---:|---:|"
    )
    for h in history:
        add(
            f"| {h['epoch']} | {h['stage']} | {_fmt(h['train_loss'])} | {_fmt(h['train_contrastive'])} | "
            f"{_fmt(h['train_classification'])} | {_fmt(h.get('val_roc_auc', float('nan')))} | "
            f"{_fmt(h.get('val_tpr_at_1fpr', float('nan')))} |"
        )
    add("\n## Intended use and limits\n")
    add(
        "- Scores are **evidence for a human reviewer, never proof** of AI use or plagiarism. Do not grade, "
        "sanction or accuse on a score alone; read the code and talk to its author."
    )
    add(
        "- The dev set comes from the same sources as training. Detectors of this kind lose much of their "
        "low-false-positive power on unseen sources and newer generators; expect more false positives and "
        "fewer detections there than the table says."
    )
    add(
        "- Languages other than Java and Python are rare in training (and were almost all AI there); scores "
        "for them are weak evidence. Very short files carry little signal."
    )
    add(
        "- Human code written with full-sentence comments looks more like AI to it: on a held-out source of "
        "short Python exercises, the human files above `high` had about twice the comment lines of the other "
        "human files, in longer, capitalised sentences. Commenting is a habit of careful students "
        "as well as of generators."
    )
    add(
        "- Layout: the encoder's input hides tabs, indent width and brace placement, but the AI score is the "
        "file evidence, whose style trees read indent width, blank lines and brace placement (only tabs are "
        "expanded away): re-indenting, re-spacing blank lines or moving braces of the dev AI files lowered the "
        "share at `high` from 63% to 49-55%. Spacing inside lines matters more: generators space operators, "
        "commas and `if (` the way auto-formatters do, and squeezing those spaces out of the dev AI files "
        "(`if(a+b){`) left 10% of them at `high`, with comments stripped as well none "
        "(docs/BENCHMARKS.md, \"Light edits\"). So a low score is not evidence that a person wrote a file, and "
        "human code laid out like a formatter's reads as more AI: on a held-out source of contest Java, the human files "
        "above `high` were those spaced canonically; re-spacing dev Java human files canonically raised their "
        "file-evidence log-odds by about 2 on average, though the share above the 1% point did not change. "
        "Making the readers blind to that spacing was tried and flagged more humans of unseen sources, "
        "not fewer."
    )
    add(
        "- A flag can rest on little: on dev, one habit (`if (` spaced like a formatter) tops the explanation "
        "(`codeguard detect --explain`) of most flagged files, human and AI, and deleting the three lines "
        "an explanation names takes about a third of the flagged AI files below `high`."
    )
    path = out_dir / "README.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


RISK_HEADING = "## Risk levels"


def risk_level_lines(thresholds: Mapping[str, Any]) -> list[str]:
    """The card's risk-level section; its own function so that recalibrating a model
    (`codeguard calibrate`) can rewrite this section without retraining."""
    lines: list[str] = []
    add = lines.append
    where = thresholds.get("calibrated_on", "dev human code")
    add(f"\n{RISK_HEADING} (calibrated on {where})\n")
    levels = thresholds.get("levels", {})
    if levels:
        add("| level | score above | target FPR | measured FPR | measured TPR | expected FPR on new files |\n"
            "|---|---:|---:|---:|---:|---:|")
        for name, v in sorted(levels.items(), key=lambda kv: -kv[1]["threshold"]):
            bound = f"{v['expected_fpr_bound']:.4f}" if "expected_fpr_bound" in v else "n/a"
            add(
                f"| {name} | {v['threshold']:.4f} | {v['target_fpr']:.2f} | {v['fpr']:.4f} | {v['tpr']:.3f} | "
                f"{bound} |"
            )
        add("\nExpected FPR on new files: (k+1)/(n+1) for k of n calibration humans above the threshold -- "
            "the average rate on new human files exchangeable with them (conformal; not a promise for code "
            "from other sources).")
        add(
            "\nBelow the lowest threshold the level is `low`. Rates were measured on the calibration data "
            "itself (for a trained model: the dev set that also selected the epoch), so they are optimistic for "
            "new data."
        )
        rule = thresholds.get("rule", "pooled")
        add(f"\nCalibration rule: `{rule}` (ml/calibration.py: `pooled` = the rate over all dev humans; "
            "`balanced` = the mean of the per-source rates; `worst-source` = every source's rate).")
        by_group = {name: v["fpr_by_group"] for name, v in levels.items() if v.get("fpr_by_group")}
        if by_group:
            names = sorted(by_group, key=lambda n: -levels[n]["threshold"])
            add("\n| source (dev humans) | " + " | ".join(f"FPR at {n}" for n in names) + " |\n|---|"
                + "---:|" * len(names))
            counts = thresholds.get("n_human_by_group", {})
            for g in sorted(next(iter(by_group.values()))):
                n_g = f" ({counts[g]})" if g in counts else ""
                add(f"| {g}{n_g} | " + " | ".join(f"{by_group[n][g]:.4f}" for n in names) + " |")
    rel = thresholds.get("relative") or {}
    if rel.get("levels"):
        add(f"\nRelative to the author's own work (`codeguard detect --history`; ml/author_baseline.py, alpha "
            f"{rel['alpha']}), calibrated on the {rel['n_human']} human and {rel['n_ai']} AI files whose author has "
            "other human files in the calibration data:\n")
        add("| level | relative score above | target FPR | measured FPR | measured TPR |\n|---|---:|---:|---:|---:|")
        for name, v in sorted(rel["levels"].items(), key=lambda kv: -kv[1]["threshold"]):
            add(f"| {name} | {v['threshold']:.4f} | {v['target_fpr']:.2f} | {v['fpr']:.4f} | {v['tpr']:.3f} |")
    return lines


def update_risk_levels(model_dir: Path) -> Path | None:
    """Rewrite the risk-level section of MODEL/README.md from MODEL/thresholds.json (None if no card)."""
    card = Path(model_dir) / "README.md"
    tpath = Path(model_dir) / "thresholds.json"
    if not card.is_file() or not tpath.is_file():
        return None
    text = card.read_text(encoding="utf-8").split("\n")
    starts = [i for i, line in enumerate(text) if line.startswith(RISK_HEADING)]
    new = "\n".join(risk_level_lines(json.loads(tpath.read_text(encoding="utf-8")))).strip("\n").split("\n")
    if not starts:
        text += [""] + new
    else:
        i = starts[0]
        j = next((k for k in range(i + 1, len(text)) if text[k].startswith("## ")), len(text))
        text = text[:i] + new + [""] + text[j:]
    card.write_text("\n".join(text), encoding="utf-8")
    return card
