"""GPU check: mixed-precision training steps of the real trainer on CUDA, and GPU throughput.

Why: CI and the development machines have no GPU, so the CUDA path of `ml.train` (autocast,
the GradScaler for fp16 cards, the frozen-then-unfrozen stages) is otherwise never run. A session
that can borrow a GPU runs this once and records the numbers in docs/BENCHMARKS.md.

What it does, in order (each part writes its results to --json-out as soon as it ends, so a
run cut short still reports what it measured):

1. `amp_training`: builds `ml.train.Trainer` from a config (default configs/default.yaml) on
   CUDA with AMP, runs --steps optimizer steps with the encoder frozen and --steps with it
   unfrozen, and checks what the schedule promises: the frozen stage leaves every backbone
   weight (LoRA included) unchanged and moves the heads; the unfrozen stage moves the LoRA
   weights; all losses are finite. It then forces the fp16 + GradScaler path that cards without
   bf16 take and runs a few more steps. Step times include the CPU data pipeline (augmentation,
   tokenisation, stylometry), as in a real run.
2. `train_compute`: forward + backward + optimizer step on one fixed batch of full 512-token
   windows, fp32 against bf16 autocast: what the GPU itself does per second, without the data
   pipeline.
3. `inference`: the shipped model's served forward pass on full 512-token windows of aigen dev
   at several batch sizes, fp32 against bf16 autocast (sequences/s, copies back included), and
   aigen dev ROC-AUC through the full inference path with each.

  python -m benchmarks.gpu_check --json-out gpu_check.json
  python -m benchmarks.gpu_check --data-dir ../shared/data --steps 20 --batches 1,16,64,256
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# "cpu" only to try the script out on a machine without a GPU (--device cpu): no AMP then.
DEVICE = "cuda"


class Report:
    """Results so far, rewritten to disk after every part."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.data: dict[str, Any] = {}

    def add(self, part: str, value: Any) -> None:
        self.data[part] = value
        print(f"[gpu_check] {part}: {json.dumps(value, default=float)}", flush=True)
        if self.path is not None:
            self.path.write_text(json.dumps(self.data, indent=2, default=float) + "\n", encoding="utf-8")


def environment() -> dict[str, Any]:
    import torch
    import transformers

    if DEVICE == "cpu":
        return {"device": "cpu (dry run)", "torch": torch.__version__, "transformers": transformers.__version__}
    if not torch.cuda.is_available():
        raise SystemExit("gpu_check: no CUDA device is visible to torch; this script is for a GPU machine")
    p = torch.cuda.get_device_properties(0)
    return {
        "device": torch.cuda.get_device_name(0),
        "memory_gib": round(p.total_memory / 2**30, 1),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "transformers": transformers.__version__,
        "bf16_supported": torch.cuda.is_bf16_supported(),
    }


def synced(fn: Callable[[], Any]) -> tuple[Any, float]:
    """fn() and its wall time, with the GPU's queue drained on both sides."""
    import torch

    sync = torch.cuda.synchronize if DEVICE != "cpu" else (lambda: None)
    sync()
    t0 = time.perf_counter()
    out = fn()
    sync()
    return out, time.perf_counter() - t0


def snapshot(model: Any, pick: Callable[[str], bool]) -> dict[str, Any]:
    return {k: v.detach().clone() for k, v in model.named_parameters() if pick(k)}


def moved(before: dict[str, Any], model: Any) -> int:
    """How many of the snapshotted tensors changed."""
    now = dict(model.named_parameters())
    return sum(int(not bool((now[k].detach() == v).all())) for k, v in before.items())


def run_steps(trainer: Any, batches: Iterator[Any], n: int) -> dict[str, Any]:
    losses, times = [], []
    for _ in range(n):
        batch = next(batches)
        parts, dt = synced(lambda b=batch: trainer.train_step(b))
        losses.append(parts["loss"])
        times.append(dt)
    steady = times[1:] or times  # the first step pays for cuBLAS/kernel selection
    return {
        "steps": n,
        "loss_first": losses[0],
        "loss_last": losses[-1],
        "all_finite": all(math.isfinite(v) for v in losses),
        "median_step_s": float(np.median(steady)),
    }


def amp_training(config: str, data_dir: str | None, steps: int, max_length: int) -> dict[str, Any]:
    import torch

    from ml.config import config_from_mapping, load_yaml
    from ml.train import Trainer

    tmp = Path(tempfile.mkdtemp(prefix="codeguard-gpu-"))
    base = load_yaml(config)
    # File evidence is a CPU fit over all training files (minutes), not part of what is checked here.
    values: dict[str, Any] = dict(
        device=DEVICE, amp=True, max_length=max_length, train_limit=steps * 4 * base.batch_size,
        dev_limit=64, file_evidence=[], stack_fraction=0.0, head_mix_encoder=True, output_dir=str(tmp / "model"),
        checkpoint_dir=str(tmp / "ckpt"), use_wandb=False,
    )
    if data_dir:
        values["data_dir"] = data_dir
    cfg = config_from_mapping(values, base)
    trainer, setup_s = synced(lambda: Trainer(cfg, command="benchmarks.gpu_check"))
    model = trainer.raw_model
    out: dict[str, Any] = {
        "config": config,
        "setup_seconds": round(setup_s, 1),
        "amp": trainer.use_amp,
        "amp_dtype": str(trainer.amp_dtype),
        "grad_scaler": trainer.scaler.is_enabled(),
        "batch_size": cfg.batch_size,
        "contrastive_pairs": cfg.contrastive_pairs,
        "max_length": cfg.max_length,
    }
    batches = iter(trainer.batches.epoch(0))
    gpu = DEVICE != "cpu"
    if gpu:
        torch.cuda.reset_peak_memory_stats()

    trainer.set_stage(0)  # heads only
    backbone = snapshot(model, lambda k: k.startswith("backbone."))
    heads = snapshot(model, lambda k: not k.startswith("backbone."))
    frozen = run_steps(trainer, batches, steps)
    frozen["backbone_tensors_changed"] = moved(backbone, model)
    frozen["head_tensors_changed"] = f"{moved(heads, model)}/{len(heads)}"
    out["frozen_stage"] = frozen

    trainer.set_stage(1)  # heads + encoder adapters
    lora = snapshot(model, lambda k: "lora_" in k)
    unfrozen = run_steps(trainer, batches, steps)
    unfrozen["lora_tensors_changed"] = f"{moved(lora, model)}/{len(lora)}"
    out["unfrozen_stage"] = unfrozen

    # The path of cards without bf16 (V100, T4): fp16 autocast with loss scaling.
    fp16: dict[str, Any] = {"all_finite": True}
    if gpu:
        trainer.amp_dtype = torch.float16
        trainer.scaler = torch.amp.GradScaler("cuda", enabled=True)
        fp16 = run_steps(trainer, batches, max(3, steps // 2))
        fp16["loss_scale"] = float(trainer.scaler.get_scale())
        out["fp16_grad_scaler"] = fp16
        out["peak_memory_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    ok = (
        frozen["all_finite"] and unfrozen["all_finite"] and fp16["all_finite"]
        and frozen["backbone_tensors_changed"] == 0
        and not unfrozen["lora_tensors_changed"].startswith("0/")
        and not frozen["head_tensors_changed"].startswith("0/")
    )
    out["checks_passed"] = bool(ok)
    return out


def autocast(dtype: Any | None) -> contextlib.AbstractContextManager[Any]:
    import torch

    return torch.autocast(DEVICE.split(":")[0], dtype=dtype) if dtype is not None else contextlib.nullcontext()


def train_compute(model_dir: Path, batch: int, length: int, seconds: float) -> dict[str, Any]:
    """Optimizer steps per second on one fixed batch (no data pipeline), fp32 vs bf16 autocast."""
    import torch

    out: dict[str, Any] = {"batch": batch, "max_length": length}
    for name, dtype in (("fp32", None), ("bf16_autocast", torch.bfloat16)):
        out[name] = compute_rate(model_dir, dtype, batch, length, seconds)
        if DEVICE != "cpu":
            torch.cuda.empty_cache()
    out["bf16_speedup"] = out["bf16_autocast"]["sequences_per_s"] / out["fp32"]["sequences_per_s"]
    return out


def compute_rate(model_dir: Path, dtype: Any | None, batch: int, length: int, seconds: float) -> dict[str, float]:
    import torch

    from ml.model import DualHeadCodeModel

    model = DualHeadCodeModel.from_pretrained(model_dir).to(DEVICE).train()
    model.set_backbone_trainable(True)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(1000, 20000, (batch, length), generator=g).to(DEVICE)
    mask = torch.ones_like(ids)
    n_style = model.config.n_style
    style = torch.rand(batch, n_style, generator=g).to(DEVICE) if n_style else None
    k = len(model.config.evidence)
    evidence = torch.zeros(batch, k).to(DEVICE) if k else None
    labels = (torch.rand(batch, generator=g) > 0.5).float().to(DEVICE)

    def step() -> None:
        with autocast(dtype):
            logit = model.classify(model.pool(ids, mask), style, evidence)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logit.float(), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    n, spent = 0, 0.0
    while spent < seconds:
        _, dt = synced(step)
        n, spent = n + 1, spent + dt
    return {"steps_per_s": n / spent, "sequences_per_s": n * batch / spent}


class Autocast:
    """A detector whose forward pass runs under autocast (same attributes as the detector)."""

    def __init__(self, det: Any, dtype: Any) -> None:
        self.det, self.dtype = det, dtype
        self.style_names, self.evidence_names = det.style_names, det.evidence_names

    def _forward(self, *args: Any) -> Any:
        with autocast(self.dtype):
            return self.det._forward(*args)


def inference(
    model_dir: Path, dev_path: Path, batches: list[int], seconds: float, n_windows: int, dev_rows: int = 0,
    length: int = 512,
) -> dict[str, Any]:
    import torch
    from sklearn.metrics import roc_auc_score

    from benchmarks.throughput import full_windows, measure_interleaved
    from ml.inference import CodeDetectorInference

    rows = [json.loads(line) for line in dev_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    det = CodeDetectorInference(model_dir, device=DEVICE, max_length=length)
    ids, style, evidence = full_windows(det, rows, n_windows, length)
    dets = {"fp32": det, "bf16_autocast": Autocast(det, torch.bfloat16)}
    out: dict[str, Any] = {"model": str(model_dir), "max_length": length, "windows": n_windows}
    for b in batches:
        reps = max(1, -(-b // n_windows))  # tile the windows when a batch is larger than the pool
        tiled = (np.tile(ids, (reps, 1)), np.tile(style, (reps, 1)), np.tile(evidence, (reps, 1)))
        rates = measure_interleaved(dets, *tiled, batch=b, seconds=seconds, rounds=3)
        out[f"batch_{b}"] = {k: round(v, 1) for k, v in rates.items()}
        print(f"[gpu_check] inference batch {b}: {out[f'batch_{b}']}", flush=True)
    scored = rows[:dev_rows] if dev_rows else rows
    codes, langs = [r["code"] for r in scored], [r["language"] for r in scored]
    labels = np.array([int(r["label"]) for r in scored])
    served_det = CodeDetectorInference(model_dir, device=DEVICE)  # the model's own max_length, as served
    for name, dtype in (("fp32", None), ("bf16_autocast", torch.bfloat16)):
        with autocast(dtype):
            scores, dt = synced(lambda: served_det.score(codes, langs))
        out[f"dev_{name}"] = {
            "roc_auc": float(roc_auc_score(labels, np.asarray(scores, dtype=np.float64))),
            "files_per_s": len(codes) / dt,
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default=str(ROOT / "configs" / "default.yaml"), help="training config to check")
    ap.add_argument("--data-dir", default=None, help="data folder (default: the config's data_dir)")
    ap.add_argument("--model", default=str(ROOT / "models" / "default"), help="model to time for inference")
    ap.add_argument("--steps", type=int, default=12, help="optimizer steps per training stage")
    ap.add_argument("--train-batch", type=int, default=64, help="batch of the fixed-batch compute timing")
    ap.add_argument("--batches", default="1,16,64,256", help="inference batch sizes (comma-separated)")
    ap.add_argument("--seconds", type=float, default=6.0, help="timing budget per configuration")
    ap.add_argument("--windows", type=int, default=256, help="distinct full-length dev windows to time on")
    ap.add_argument("--max-length", type=int, default=512, help="tokens per sequence in every part")
    ap.add_argument("--skip", default="", help="parts to skip: amp_training,train_compute,inference")
    ap.add_argument("--json-out", type=Path, default=None)
    ap.add_argument("--dev-rows", type=int, default=0, help="score only the first N dev files (0 = all)")
    ap.add_argument("--device", default="cuda", help="cuda (default); cpu only to try the script out")
    args = ap.parse_args(argv)
    global DEVICE
    DEVICE = args.device
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    report = Report(args.json_out)
    report.add("environment", environment())
    data_dir = Path(args.data_dir) if args.data_dir else ROOT.parent / "shared" / "data"
    t0 = time.time()
    if "amp_training" not in skip:
        report.add("amp_training", amp_training(args.config, args.data_dir, args.steps, args.max_length))
    if "train_compute" not in skip:
        report.add("train_compute", train_compute(Path(args.model), args.train_batch, args.max_length, args.seconds))
    if "inference" not in skip:
        batches = [int(b) for b in args.batches.split(",") if b.strip()]
        report.add(
            "inference",
            inference(Path(args.model), data_dir / "aigen" / "dev.jsonl", batches, args.seconds, args.windows,
                      args.dev_rows, args.max_length),
        )
    report.add("seconds", round(time.time() - t0, 1))
    ok = report.data.get("amp_training", {}).get("checks_passed", True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
