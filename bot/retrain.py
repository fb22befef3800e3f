"""The retraining job (`training` queue): feedback + base data → a new version → the promotion gate.

What one run does, and why:

1. Continues from the model being served (the registry's current version; an empty registry
   first imports the shipped model as v0001), the training guide's "continuous training":
   the saved weights are loaded and `start_epoch` continues after the epochs in the parent's
   training_history.json, so the schedule does not restart with a frozen encoder.
2. Trains on the base training data plus every labelled feedback example (bot.feedback), each
   repeated `feedback_repeat` times. Feedback is its own data source, so the sampler gives it
   a say even when it is a handful of files among thousands.
   A parent whose AI score is its file evidence alone (the shipped recipe, `head_mix_encoder:
   false`) is followed: the new version's evidence weights are refitted with the encoder path at
   weight 0 (ml.stacking), so parent and child are judged on the same kind of score.
3. Measures on a FIXED validation set that feedback never enters: the aigen dev file (or
   `retrain.validation`), split by content hash, stratified by label, into a calibration half
   (epoch selection and the risk thresholds) and an evaluation half that neither training nor
   calibration sees. A feedback file whose content is in the validation set is dropped from
   training. Both the new and the current model are scored on the evaluation half through
   the serving path, with their own thresholds.
4. Registers the result as the next version (full artifact set + model card + registry.json)
   and applies ml.registry's promotion rule; a refused version is kept, not served.
5. Comments the outcome on the PR/issue that carried the label.

Configuration: `CODEGUARD_RETRAIN_CONFIG`, a YAML file with up to three sections::

    train:      TrainConfig keys (data_dir, batch_size, learning_rate, max_steps, device, ...)
    retrain:    epochs, feedback_repeat, validation, eval_fraction, eval_limit
    promotion:  auc_tolerance, max_fpr_high, fpr_margin

Without one, the defaults of ml.config apply (the shipped model's recipe, ../shared/data).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.feedback import FeedbackExample, example_id
from ml.config import ConfigError, TrainConfig, config_from_mapping
from ml.registry import PromotionDecision, PromotionPolicy, Registry, RegistryError, decide, evaluate_model

log = logging.getLogger("codeguard.retrain")

LOCK_KEY = "codeguard:training:lock"
# Share of training files held back to refit an evidence-only parent's weights (configs/default.yaml's).
EVIDENCE_ONLY_STACK_FRACTION = 0.05


class RetrainError(RuntimeError):
    """Retraining cannot run as configured; the message is shown on the PR/issue."""


@dataclass
class RetrainOptions:
    train: TrainConfig = field(default_factory=TrainConfig)
    epochs: int = 1  # epochs added on top of the parent's
    feedback_repeat: int = 2
    validation: str = ""  # JSONL with code/language/label; default: train.aigen_dev
    eval_fraction: float = 0.5
    eval_limit: int = 0  # files per label in the evaluation half (0 = all); a fixed subset
    policy: PromotionPolicy = field(default_factory=PromotionPolicy)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> RetrainOptions:
        unknown = set(data) - {"train", "retrain", "promotion"}
        if unknown:
            raise ConfigError(f"retrain config: unknown sections {sorted(unknown)} (train, retrain, promotion)")
        train = config_from_mapping(dict(data.get("train") or {}))
        r = dict(data.get("retrain") or {})
        extra = set(r) - {"epochs", "feedback_repeat", "validation", "eval_fraction", "eval_limit"}
        if extra:
            raise ConfigError(f"retrain config: unknown retrain keys {sorted(extra)}")
        try:
            opts = cls(
                train=train,
                epochs=int(r.get("epochs", 1)),
                feedback_repeat=int(r.get("feedback_repeat", 2)),
                validation=str(r.get("validation", "")),
                eval_fraction=float(r.get("eval_fraction", 0.5)),
                eval_limit=int(r.get("eval_limit", 0)),
                policy=PromotionPolicy.from_mapping(dict(data.get("promotion") or {})),
            )
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"retrain config: {exc}") from None
        if opts.epochs < 1 or opts.feedback_repeat < 1:
            raise ConfigError("retrain config: epochs and feedback_repeat must be >= 1")
        if not 0 < opts.eval_fraction < 1:
            raise ConfigError("retrain config: eval_fraction must be between 0 and 1")
        return opts


def load_options(path: str | None = None) -> RetrainOptions:
    import yaml

    path = path if path is not None else os.environ.get("CODEGUARD_RETRAIN_CONFIG", "").strip()
    if not path:
        return RetrainOptions()
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"CODEGUARD_RETRAIN_CONFIG names {p}, which does not exist")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{p} must hold a mapping")
    return RetrainOptions.from_mapping(data)


# ------------------------------------------------------------------------- validation set
def split_validation(examples: Sequence[Any], eval_fraction: float, eval_limit: int = 0) -> tuple[list[Any], list[Any]]:
    """(calibration, evaluation): each file's side is decided by a hash of its content alone.

    So the split never moves: reordering the file, or adding rows to it, leaves every existing
    file on its side. `eval_limit` keeps, per label, the evaluation files with the lowest hash
    (again a fixed subset); the rest of the evaluation side is simply not used.
    """
    calib: list[Any] = []
    evals: dict[int, list[tuple[str, Any]]] = {}
    for e in examples:
        h = example_id(e.code, e.language)
        if int(h[:8], 16) / 16**8 < eval_fraction:
            evals.setdefault(e.label, []).append((h, e))
        else:
            calib.append(e)
    chosen: list[Any] = []
    for label in sorted(evals):
        rows = sorted(evals[label], key=lambda he: he[0])
        chosen.extend(e for _, e in (rows[:eval_limit] if eval_limit else rows))
    return calib, chosen


def _fingerprint(examples: Sequence[Any]) -> str:
    h = hashlib.sha256()
    for e in sorted(example_id(e.code, e.language) + str(e.label) for e in examples):
        h.update(e.encode())
    return h.hexdigest()[:16]


# ------------------------------------------------------------------------------ training
@dataclass
class RetrainOutcome:
    version: str
    parent: str
    promoted: bool
    decision: PromotionDecision
    metrics: dict[str, Any]
    parent_metrics: dict[str, Any]
    training: dict[str, Any]
    current: str | None  # serving after this run


def _tokenizer(model_dir: Path, backbone: str) -> Any:
    from ml.codetext import register_layout_tokens

    if (model_dir / "tokenizer.json").is_file() or (model_dir / "vocab.txt").is_file():
        from transformers import AutoTokenizer

        return register_layout_tokens(AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True))
    from ml.model import load_tokenizer

    return load_tokenizer(backbone)


def recalibrate(model_dir: Path, calib: Sequence[Any], source: str) -> dict[str, Any]:
    """Risk thresholds from the scores the served model gives the calibration half.

    ml.train calibrates on its own validation pass, which scores a file's first window;
    serving aggregates all windows of a file (ml.windows), so for files longer than one
    window the two score scales differ and a threshold from the first would not keep its
    false-positive rate in the second. The gate measures served scores, so the thresholds
    must come from them too.
    """
    from ml.calibration import calibrate, save_thresholds
    from ml.inference import CodeDetectorInference

    det = CodeDetectorInference(model_dir, device="cpu")
    scores = det.score([e.code for e in calib], [e.language for e in calib])
    cal = calibrate(scores, [e.label for e in calib])
    save_thresholds(model_dir, cal, extra={"calibrated_on": f"{source} (calibration half, served scores)"})
    return cal


def _parent_epochs(model_dir: Path) -> int:
    path = model_dir / "training_history.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    epochs = data.get("epochs") or []
    return max((int(e.get("epoch", 0)) for e in epochs), default=0)


def retrain(
    options: RetrainOptions,
    registry: Registry,
    feedback: Sequence[FeedbackExample],
    *,
    who: str,
    fallback_model: str | Path | None = None,
    command: str = "",
) -> RetrainOutcome:
    """One retraining run; raises RetrainError (or ConfigError/DataError) when it cannot run."""
    from ml.data import CodeExample, DataError, load_aigen
    from ml.model import DualHeadCodeModel, ModelLoadError
    from ml.train import Trainer, TrainingData

    if not feedback:
        raise RetrainError("no labelled feedback yet: label pull requests `codeguard:ai` or `codeguard:human` first")
    parent = registry.ensure_baseline(fallback_model, who)
    if parent is None:
        raise RetrainError("no model to continue from: the registry is empty and no trained model is configured "
                           "(train one with `codeguard train`, or set CODEGUARD_MODEL=default with models/default)")
    parent_dir = registry.path(parent)
    t0 = time.time()

    base = options.train
    val_path = Path(options.validation) if options.validation else base.data_path(base.aigen_dev)
    try:
        validation = load_aigen(val_path)
    except DataError as exc:
        raise RetrainError(f"fixed validation set: {exc}") from None
    calib, evals = split_validation(validation, options.eval_fraction, options.eval_limit)
    if len({e.label for e in evals}) < 2 or len({e.label for e in calib}) < 2 or not any(e.label == 0 for e in calib):
        raise RetrainError(f"the validation set {val_path} needs human and AI files in both halves")
    held = {example_id(e.code, e.language) for e in validation}
    usable = [f for f in feedback if f.id not in held]
    dropped = len(feedback) - len(usable)
    if not usable:
        raise RetrainError("every feedback file is part of the fixed validation set; nothing new to train on")

    try:
        model = DualHeadCodeModel.from_pretrained(parent_dir)
    except ModelLoadError as exc:
        raise RetrainError(f"current model {parent} cannot be loaded: {exc}") from None
    prev_epochs = _parent_epochs(parent_dir)
    from ml.inference import saved_encoder_free

    # A parent whose AI score is its file evidence alone (head_mix_encoder: false) is followed: the
    # new version refits its evidence weights with the encoder path at weight 0, on a held-back
    # slice, instead of learning an encoder path from the parent's zeroed layer. Its numbers are
    # then compared with the parent's on the same kind of score.
    evidence_only = bool(model.config.evidence) and saved_encoder_free(parent_dir)
    work = Path(tempfile.mkdtemp(prefix=".train-", dir=registry.root))
    try:
        cfg = dataclasses.replace(
            base,
            model_name=model.config.backbone,
            max_length=model.config.max_length,
            embedding_dim=model.config.embedding_dim,
            style_features=bool(model.config.n_style),
            lora=model.config.lora,
            # The parent's classifier reads these; they are refitted on the new training files.
            file_evidence=list(model.config.evidence),
            head_mix_encoder=base.head_mix_encoder and not evidence_only,
            stack_fraction=base.stack_fraction or (EVIDENCE_ONLY_STACK_FRACTION if evidence_only else 0.0),
            output_dir=str(work / "model"),
            checkpoint_dir=str(work / "checkpoint"),
            resume="",
            start_epoch=prev_epochs,
            num_epochs=prev_epochs + options.epochs,
            freeze_epochs=min(base.freeze_epochs, prev_epochs + options.epochs),
            dev_limit=0,
            holdout_sources=[],
        )
        cfg.validate()
        data = TrainingData(cfg)
        base_count = len(data.train)
        fb_rows = [CodeExample(f.code, f.language, 1 if f.label == "ai" else 0, "feedback", f"feedback:{f.id}")
                   for f in usable]
        if cfg.strip_type_hints:
            from ml.augment import strip_type_hints

            fb_rows = [dataclasses.replace(e, code=strip_type_hints(e.code, e.language)) if e.language == "python"
                       else e for e in fb_rows]
        data.train = [e for e in data.train if example_id(e.code, e.language) not in held]
        data.train += fb_rows * options.feedback_repeat
        data.dev = data.dev_full = list(calib)
        trainer = Trainer(cfg, model=model, tokenizer=_tokenizer(parent_dir, model.config.backbone), data=data,
                          command=command or "codeguard retrain (bot.retrain)")
        result = trainer.train()
        if int(result.get("best_epoch", -1)) <= 0:
            raise RetrainError("training produced no model (validation ROC-AUC was undefined in every epoch)")
        out = Path(cfg.output_dir)
        recalibrate(out, calib, str(val_path))
        codes = [e.code for e in evals]
        langs = [e.language for e in evals]
        labels = [e.label for e in evals]
        metrics = evaluate_model(out, codes, langs, labels)
        metrics.pop("model_version", None)  # the staging folder's name, not the version
        parent_metrics = evaluate_model(parent_dir, codes, langs, labels)
        decision = decide(metrics, parent_metrics, options.policy)
        n_ai = sum(1 for f in usable if f.label == "ai")
        training = {
            "feedback_files": len(usable),
            "feedback_ai": n_ai,
            "feedback_human": len(usable) - n_ai,
            "feedback_dropped_in_validation": dropped,
            "feedback_repeat": options.feedback_repeat,
            "base_examples": base_count,
            "epochs": [prev_epochs + 1, prev_epochs + options.epochs],
            "best_epoch": result.get("best_epoch"),
            "ai_score": "file evidence alone (as the parent)" if evidence_only else "encoder path + file evidence",
            "steps": trainer.global_step,
            "seconds": round(time.time() - t0, 1),
            "validation": {"file": str(val_path), "calibration": len(calib), "evaluation": len(evals),
                           "fingerprint": _fingerprint(evals)},
        }
        info = registry.register(out, who=who, source="retrain", parent=parent, metrics=metrics,
                                 parent_metrics=parent_metrics, decision=decision, training=training,
                                 note=f"retrained with {len(usable)} feedback files", move=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _append_card(registry.path(info.version), info.version, parent, metrics, parent_metrics, decision, training)
    promoted = registry.apply_decision(info.version, decision, who)
    log.info("retrained %s from %s: auc %.4f vs %.4f, %s", info.version, parent, metrics["roc_auc"],
             parent_metrics["roc_auc"], "promoted" if promoted else "not promoted")
    return RetrainOutcome(info.version, parent, promoted, decision, metrics, parent_metrics, training,
                          registry.current())


def _pct(x: Any) -> str:
    return "n/a" if x is None or x != x else f"{float(x):.1%}"


def _num(x: Any) -> str:
    return "n/a" if x is None or x != x else f"{float(x):.4f}"


def metrics_table(parent: str, version: str, metrics: Mapping[str, Any], parent_metrics: Mapping[str, Any]) -> str:
    rows = [
        f"| fixed validation ({metrics.get('n_human', 0)} human, {metrics.get('n_ai', 0)} AI files) "
        f"| current `{parent}` | new `{version}` |",
        "|---|---|---|",
        f"| ROC-AUC | {_num(parent_metrics.get('roc_auc'))} | {_num(metrics.get('roc_auc'))} |",
        f"| FPR at `high` | {_pct(parent_metrics.get('fpr_high'))} | {_pct(metrics.get('fpr_high'))} |",
        f"| TPR at `high` | {_pct(parent_metrics.get('tpr_high'))} | {_pct(metrics.get('tpr_high'))} |",
    ]
    return "\n".join(rows)


def _append_card(directory: Path, version: str, parent: str, metrics: Mapping[str, Any],
                 parent_metrics: Mapping[str, Any], decision: PromotionDecision, training: Mapping[str, Any]) -> None:
    card = directory / "README.md"
    text = card.read_text(encoding="utf-8") if card.is_file() else "# CodeGuard Nexus dual-head code model\n"
    text += (
        f"\n## Registry version {version}\n\n"
        f"Continued from `{parent}` with {training['feedback_files']} labelled feedback files "
        f"({training['feedback_ai']} AI, {training['feedback_human']} human) plus {training['base_examples']} base "
        f"examples; epochs {training['epochs'][0]}-{training['epochs'][1]}. Evaluated on the fixed validation set "
        f"{training['validation']['file']} (evaluation half, fingerprint {training['validation']['fingerprint']}), "
        "which feedback never enters.\n\n"
        f"{metrics_table(parent, version, metrics, parent_metrics)}\n\n"
        f"Promotion: {'promoted' if decision.promote else 'not promoted'} ({decision.summary}).\n"
    )
    card.write_text(text, encoding="utf-8")


def outcome_body(outcome: RetrainOutcome) -> str:
    """What was trained, the metrics beside the current model's, and the verdict with its reasons."""
    t = outcome.training
    head = (
        f"**Trained `{outcome.version}`** from `{outcome.parent}` with {t['feedback_files']} feedback files "
        f"({t['feedback_ai']} AI, {t['feedback_human']} human) and {t['base_examples']} base examples, "
        f"epoch{'s' if t['epochs'][0] != t['epochs'][1] else ''} "
        f"{t['epochs'][0]}{'-' + str(t['epochs'][1]) if t['epochs'][0] != t['epochs'][1] else ''}, "
        f"{t['steps']} steps, {t['seconds']:.0f} s."
    )
    if t.get("feedback_dropped_in_validation"):
        head += f" {t['feedback_dropped_in_validation']} feedback file(s) are in the validation set and were not trained on."
    if outcome.promoted:
        verdict = f"**Promoted**: `{outcome.version}` now scores new analyses. Why: {outcome.decision.summary}."
    else:
        verdict = (
            f"**Not promoted**: `{outcome.current}` keeps serving; `{outcome.version}` is kept "
            f"(`codeguard models promote {outcome.version} --force` would serve it). "
            f"Why: {outcome.decision.summary}."
        )
    return f"{head}\n\n{metrics_table(outcome.parent, outcome.version, outcome.metrics, outcome.parent_metrics)}\n\n{verdict}"


__all__ = ["RetrainError", "RetrainOptions", "RetrainOutcome", "RegistryError", "load_options", "outcome_body",
           "retrain", "split_validation"]


# ----------------------------------------------------------------------------- the RQ job
def handle(task: dict[str, Any]) -> dict[str, Any]:
    """`codeguard:retrain` label → record the request, train, gate, comment the outcome.

    One run at a time across all training workers (a Redis lock), so two labels in quick
    succession train one after the other from the then-current model instead of racing.
    Configuration problems are commented and end the job (a retry would fail the same way);
    anything unexpected is commented and re-raised for RQ's retry and failed registry.
    """
    from bot import jobs
    from bot.feedback import FeedbackStore
    from bot.queue import ChangeRef, model_version
    from ml.data import DataError
    from ml.model import ModelLoadError
    from ml.registry import registry_root

    ctx = jobs.JobContext.current()
    ref = ChangeRef.from_dict(task["ref"])
    params = task.get("params") or {}
    who = str(params.get("requested_by", "")) or "unknown"

    def run() -> dict[str, Any]:
        settings = ctx.settings
        store = FeedbackStore(ctx.conn, jobs.feedback_dir_for(settings))
        counts = store.counts()
        record = {
            "ref": ref.to_dict(),
            "head_sha": task.get("head_sha"),
            "requested_by": who,
            "requested_at": time.time(),
            "model_version": model_version(settings),
            "feedback_examples": counts,
        }
        position = int(ctx.conn.rpush(jobs.TRAINING_REQUESTS, json.dumps(record)))
        requested = (f"Requested by @{who}; retraining request recorded as #{position} on the `training` queue "
                     f"({counts['ai']} AI- and {counts['human']} human-labelled files collected so far).")
        client = jobs._client(ctx, ref)

        def say(body: str) -> None:
            try:
                client.upsert_comment(jobs.RETRAIN_MARKER, f"### CodeGuard retraining\n\n{requested}\n\n{body}\n")
            except Exception as exc:  # the outcome is in the registry and audit log either way
                log.warning("could not comment on %s: %s", ref.label, type(exc).__name__)

        fallback = settings.model_dir()
        if fallback is None:
            say("Not run: this bot serves no model (`CODEGUARD_MODEL=none`), so there is nothing to retrain.")
            return {"status": "skipped", "reason": "no model configured"}
        say(f"Training from the current model (`{record['model_version']}`) is running; "
            "this comment will show the outcome.")
        lock = ctx.conn.lock(LOCK_KEY, timeout=settings.job_timeout_s + 60, blocking_timeout=settings.job_timeout_s)
        if not lock.acquire():
            say("Not run: another retraining held the lock for the whole job timeout.")
            return {"status": "skipped", "reason": "training lock busy"}
        try:
            options = load_options()
            registry = Registry(registry_root(settings.models_dir))
            outcome = retrain(options, registry, store.examples(), who=who, fallback_model=fallback,
                              command=f"codeguard:retrain label on {ref.label} by {who}")
        except (RetrainError, ConfigError, DataError, ModelLoadError, RegistryError) as exc:
            say(f"Not trained: {exc}")
            log.warning("retraining for %s not run: %s", ref.label, exc)
            return {"status": "failed", "reason": str(exc)}
        except Exception as exc:
            say(f"Retraining failed ({type(exc).__name__}); the current model keeps serving. "
                "The training worker's log has the details.")
            raise
        finally:
            try:
                lock.release()
            except Exception:  # expired: nothing to release
                pass
        say(outcome_body(outcome))
        return {"status": "done", "version": outcome.version, "promoted": outcome.promoted,
                "current": outcome.current, "roc_auc": outcome.metrics.get("roc_auc"),
                "parent_roc_auc": outcome.parent_metrics.get("roc_auc")}

    return jobs._timed("retrain", ctx, run)  # type: ignore[no-any-return]
