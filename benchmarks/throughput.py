"""Encoder throughput on this CPU: PyTorch fp32 vs ONNX Runtime fp32 and int8, at 512 (and 256) tokens.

Why: the CPU workers must keep up with a class's submissions; ONNX Runtime with fused
attention and int8 dynamic quantisation is the serving path (`--backend onnx`), and it is only
worth it if it is clearly faster (target >= 2x over PyTorch fp32) and loses almost nothing
(target <= 0.01 ROC-AUC on aigen dev).

Inputs are real code: windows of aigen dev files that fill the whole 512 tokens. Each
configuration runs one warm-up batch, then the backends take turns for --seconds each (in
rounds, so that background load hits all alike); we report sequences per second. The AUC part scores aigen dev through the full inference path
(windows of the model's own max_length, aggregation, stylometry) with each backend.

  python -m benchmarks.throughput                    # models/default, writes docs/BENCHMARKS.md
  python -m benchmarks.throughput --model DIR --auc-rows 0 --no-write
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "aigen" / "dev.jsonl"
DOC = ROOT / "docs" / "BENCHMARKS.md"
BEGIN = "<!-- BEGIN throughput (benchmarks/throughput.py) -->"
END = "<!-- END throughput (benchmarks/throughput.py) -->"


def full_windows(
    det: Any, rows: list[dict[str, Any]], n: int, length: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n real windows of exactly `length` tokens (ids, style, file evidence) from the longest dev files."""
    from ml.codetext import prepare
    from ml.stylometry import FEATURE_NAMES, style_features

    idx = [FEATURE_NAMES.index(name) for name in det.style_names]
    ids_out, style_out, used = [], [], []
    for r in sorted(rows, key=lambda r: -len(r["code"])):
        toks = det.tokenizer(prepare(r["code"]), add_special_tokens=False)["input_ids"]
        if len(toks) < length - 2:
            continue
        ids_out.append([det.tokenizer.cls_token_id, *toks[: length - 2], det.tokenizer.sep_token_id])
        style_out.append(style_features(r["code"], r["language"])[idx] if idx else np.zeros(0, np.float32))
        used.append(r)
        if len(ids_out) == n:
            break
    if len(ids_out) < n:
        raise SystemExit(f"only {len(ids_out)} dev files fill {length} tokens; lower --max-length")
    evidence = (
        det.evidence.matrix([r["code"] for r in used], [r["language"] for r in used])
        if det.evidence is not None
        else np.zeros((n, 0), np.float32)
    )
    return np.array(ids_out, dtype=np.int64), np.array(style_out, dtype=np.float32), evidence


def measure_interleaved(
    dets: dict[str, Any],
    ids: np.ndarray,
    style: np.ndarray,
    evidence: np.ndarray,
    batch: int,
    seconds: float,
    rounds: int = 5,
) -> dict[str, float]:
    """Sequences/s per backend, timed in alternating rounds so that every backend sees the same
    background load (this machine is shared; a sequential A-then-B timing would compare loads)."""
    mask = np.ones_like(ids)
    done = dict.fromkeys(dets, 0)
    spent = dict.fromkeys(dets, 0.0)
    pos = dict.fromkeys(dets, 0)

    def run(name: str) -> None:
        det = dets[name]
        k = pos[name]
        pos[name] += 1
        sl = slice((k * batch) % len(ids), (k * batch) % len(ids) + batch)
        det._forward(
            ids[sl], mask[sl], style[sl] if det.style_names else None, evidence[sl] if det.evidence_names else None
        )

    for name in dets:
        run(name)  # warm-up: allocations, ORT graph specialisation
    for _ in range(rounds):
        for name in dets:
            t0 = time.perf_counter()
            while True:
                run(name)
                done[name] += batch
                el = time.perf_counter() - t0
                if el >= seconds / rounds:
                    break
            spent[name] += el
    return {name: done[name] / spent[name] for name in dets}


def ensure_model(model: str | None) -> tuple[Path, str]:
    """The trained model, or (when none exists yet) an untrained one with the same architecture."""
    d = Path(model) if model else ROOT / "models" / "default"
    if (d / "config.json").is_file():
        return d, d.name
    from ml.config import PACKAGED_MINILM
    from ml.model import DualHeadCodeModel, ModelConfig, load_tokenizer
    from ml.stylometry import FEATURE_NAMES

    tmp = Path(tempfile.mkdtemp(prefix="codeguard-bench-")) / "untrained"
    m = DualHeadCodeModel(
        ModelConfig(backbone=PACKAGED_MINILM, style_features=True, style_feature_names=FEATURE_NAMES)
    )
    m.save_pretrained(tmp, tokenizer=load_tokenizer(PACKAGED_MINILM))
    print(f"no trained model at {d}; timing an untrained model of the same architecture", file=sys.stderr)
    return tmp, "untrained MiniLM dual-head (same architecture)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None)
    ap.add_argument(
        "--lengths",
        "--max-length",
        dest="lengths",
        default="512,256",
        help="window lengths in tokens to time (comma-separated; 512 is the target's, 256 what the shipped "
        "model serves)",
    )
    ap.add_argument("--batches", default="1,4,16", help="batch sizes to time (comma-separated)")
    ap.add_argument("--seconds", type=float, default=20.0, help="timing budget per configuration")
    ap.add_argument(
        "--auc-rows", type=int, default=-1, help="aigen dev rows for the AUC check (-1 all, 0 skip)"
    )
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)

    import torch

    from ml.export import export_onnx
    from ml.inference import ONNX_DIR, ONNX_FP32, ONNX_INT8, CodeDetectorInference

    t_start = time.time()
    load_before = os.getloadavg()
    model_dir, model_name = ensure_model(args.model)
    work = Path(tempfile.mkdtemp(prefix="codeguard-onnx-"))
    export_info = export_onnx(model_dir, work / ONNX_DIR, int8=True)
    rows = [json.loads(line) for line in DATA.open(encoding="utf-8")]
    lengths = [int(n) for n in args.lengths.split(",") if n.strip()]
    dets = {
        "PyTorch fp32": CodeDetectorInference(model_dir, device="cpu"),
        "ONNX Runtime fp32": CodeDetectorInference(model_dir, backend="onnx", onnx_file=work / ONNX_DIR / ONNX_FP32),
        "ONNX Runtime int8": CodeDetectorInference(model_dir, backend="onnx", onnx_file=work / ONNX_DIR / ONNX_INT8),
    }
    batches = [int(b) for b in args.batches.split(",") if b.strip()]
    # speed[length][backend][batch] in sequences per second
    speed: dict[int, dict[str, dict[int, float]]] = {n: {name: {} for name in dets} for n in lengths}
    for length in lengths:
        ids, style, evidence = full_windows(dets["PyTorch fp32"], rows, max(32, max(batches) * 4), length)
        for b in batches:
            for name, v in measure_interleaved(dets, ids, style, evidence, b, args.seconds).items():
                speed[length][name][b] = v
                print(f"{name:20s} batch {b:2d}: {v:6.2f} seq/s @ {length}", flush=True)

    evidence_rate = None
    det0 = dets["PyTorch fp32"]
    if det0.evidence is not None:
        # Per file, not per window: trees over the stylometric features and the n-gram dot product.
        sample = rows[:300]
        t0 = time.perf_counter()
        det0.evidence.matrix([r["code"] for r in sample], [r["language"] for r in sample])
        evidence_rate = len(sample) / (time.perf_counter() - t0)
        print(f"file evidence: {evidence_rate:.0f} files/s", flush=True)

    aucs: dict[str, float] = {}
    n_auc = 0
    if args.auc_rows != 0:
        sub = rows if args.auc_rows < 0 else rows[: args.auc_rows]
        n_auc = len(sub)
        y = np.array([r["label"] for r in sub])
        for name in ("PyTorch fp32", "ONNX Runtime int8"):
            # The model's own window length here: this is about what int8 does to scores.
            det = CodeDetectorInference(
                model_dir,
                backend="torch" if name.startswith("PyTorch") else "onnx",
                onnx_file=None if name.startswith("PyTorch") else work / ONNX_DIR / ONNX_INT8,
            )
            t0 = time.time()
            s = det.score([r["code"] for r in sub], [r["language"] for r in sub])
            aucs[name] = float(roc_auc_score(y, s))
            print(f"{name}: dev AUC {aucs[name]:.4f} ({time.time() - t0:.0f}s)", flush=True)

    shutil.rmtree(work, ignore_errors=True)
    lines = [
        "## Model throughput",
        "",
        "Command: `" + f"python -m benchmarks.throughput {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip()
        + f"` ({time.strftime('%Y-%m-%d')}, {time.time() - t_start:.0f} s). Model: {model_name}. "
        f"Encoder forward passes over real aigen dev windows that fill exactly the given length; "
        f"{torch.get_num_threads()} torch threads on {os.cpu_count()} CPU cores; load average "
        f"{load_before[0]:.1f} when it started (backends are timed in alternating rounds so the ratios "
        "compare like with like). `best` compares each backend at its own fastest batch size, which is "
        "what a worker would run (the ONNX backend's default batch is 4 for that reason).",
        "",
        "| tokens | backend | "
        + " | ".join(f"seq/s (batch {b})" for b in batches)
        + " | speed-up vs PyTorch (per batch) | speed-up, best vs best | graph size |",
        "|---:|---|" + "---:|" * (len(batches) + 3),
    ]
    sizes = {
        "PyTorch fp32": "–",
        "ONNX Runtime fp32": f"{export_info['graphs'][ONNX_FP32]['bytes'] / 1e6:.1f} MB",
        "ONNX Runtime int8": f"{export_info['graphs'][ONNX_INT8]['bytes'] / 1e6:.1f} MB",
    }
    for length in lengths:
        ref = speed[length]["PyTorch fp32"]
        for name, sp in speed[length].items():
            ups = "/".join(f"{sp[b] / ref[b]:.2f}x" for b in batches)
            best = max(sp.values()) / max(ref.values())
            lines.append(
                f"| {length} | {name} | " + " | ".join(f"{sp[b]:.2f}" for b in batches)
                + f" | {ups} | {best:.2f}x | {sizes[name]} |"
            )
    if aucs:
        lost = aucs["PyTorch fp32"] - aucs["ONNX Runtime int8"]
        lines += [
            "",
            f"ROC-AUC on aigen dev ({n_auc} files, full inference path): PyTorch fp32 "
            f"{aucs['PyTorch fp32']:.4f}, ONNX Runtime int8 {aucs['ONNX Runtime int8']:.4f} "
            f"(lost: {lost:+.4f}; target <= 0.01).",
        ]
        if det0.encoder_free_bias is not None:
            lines[-1] += (" The head mix gives this model's encoder path weight 0, so its AI score is the file "
                          "evidence for both backends and int8 changes only the embeddings (export check below).")
    if evidence_rate is not None:
        lines += [
            "",
            f"File evidence ({', '.join(det0.evidence_names)}; computed once per file, outside the graph, for "
            f"every backend): {evidence_rate:.0f} files/s over the first 300 dev files (mean "
            f"{np.mean([len(r['code']) for r in rows[:300]]):.0f} characters).",
        ]
        if det0.encoder_free_bias is not None:
            lines[-1] += (" That is the rate of the AI score alone (`codeguard detect`, `CodeDetectorInference.score`: "
                          "no encoder pass); the encoder rows above are what the embeddings for similarity cost.")
    g8 = export_info["graphs"][ONNX_INT8]
    lines += [
        "",
        f"Export check on a probe input: fp32 graph max |Δlogit| {export_info['graphs'][ONNX_FP32]['max_abs_diff_logits']:.1e}; "
        f"int8 max |Δlogit| {g8['max_abs_diff_logits']:.3f}, min cosine of embeddings to PyTorch {g8['cosine_to_fp32_min']:.4f}.",
    ]
    text = "\n".join(lines) + "\n"
    if args.no_write:
        print(text)
    else:
        from benchmarks.eval_aigen import write_section

        write_section(text, DOC, BEGIN, END)
        print(f"wrote section to {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
