"""Export the dual-head model to ONNX (fp32, and int8 by dynamic quantisation) for CPU workers.

Why: PyTorch on a 2-core worker is slow at 512 tokens; ONNX Runtime with fused attention and
int8 weight matrices is faster (measured: benchmarks/throughput.py) and needs neither torch nor
peft at serving time. LoRA adapters are merged into the base weights before export, so the graph is a
plain BERT plus the two heads.

The graph: inputs input_ids [batch, seq] int64, attention_mask [batch, seq] int64 and, when
the classifier reads stylometric features, style [batch, n_style] float32, and when it adds file
evidence, evidence [batch, n_evidence] float32 (ml.evidence, computed per file outside the
graph: the graph holds only its learned weights); outputs
embeddings [batch, D] (unit norm) and logits [batch]. Batch and sequence axes are dynamic.
Every export is checked against PyTorch on a real input and the differences are written to
export.json next to the graphs.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from ml.inference import ONNX_DIR, ONNX_FP32, ONNX_INT8

OPSET = 17
EXPORT_INFO = "export.json"
_PROBE = '''def fibonacci(n):
    """Return the n-th Fibonacci number."""
    if n <= 1:
        return n
    return fibonacci(n - 1) + fibonacci(n - 2)
'''


class ExportError(RuntimeError):
    """The model could not be exported or the exported graph disagrees with PyTorch."""


def _merged_model(model_dir: Path) -> Any:
    from ml.model import DualHeadCodeModel

    model = DualHeadCodeModel.from_pretrained(model_dir, map_location="cpu")
    if model.config.lora:
        # peft's merge folds B @ A * scale into each adapted weight: same function, plain Linear layers.
        peft_model: Any = model.backbone
        model.backbone = peft_model.merge_and_unload()
    # Eager attention exports as the plain MatMul/Softmax pattern that ONNX Runtime's transformer
    # optimizer fuses into one Attention (QAttention after int8) op; the SDPA path exports with
    # mask ops the fusion does not recognise, which left int8 slower than PyTorch fp32 here.
    if hasattr(model.backbone, "set_attn_implementation"):
        model.backbone.set_attn_implementation("eager")
    model.eval()
    return model


def _wrapper(model: Any, with_style: bool, with_evidence: bool) -> Any:
    import torch

    class Exported(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, *extra: Any) -> Any:
            rest = iter(extra)
            style = next(rest) if with_style else None
            evidence = next(rest) if with_evidence else None
            return self.model(input_ids, attention_mask, style, evidence)

    return Exported().eval()


def _probe_inputs(model_dir: Path, n_style: int, evidence: list[str]) -> dict[str, np.ndarray]:
    """Two real windows of different lengths (padding exercised) through the real tokenizer."""
    from ml.inference import _load_tokenizer, _read_config

    cfg = _read_config(model_dir)
    tok = _load_tokenizer(model_dir, str(cfg.get("backbone", "")))
    from ml.codetext import prepare

    codes, langs = [_PROBE, "int main() { return 0; }\n"], ["python", "cpp"]
    texts = [prepare(c) for c in codes]
    enc = tok(
        texts, padding=True, truncation=True, max_length=int(cfg.get("max_length", 256)), return_tensors="np"
    )
    feeds = {
        "input_ids": enc["input_ids"].astype(np.int64),
        "attention_mask": enc["attention_mask"].astype(np.int64),
    }
    if n_style:
        from ml.stylometry import FEATURE_NAMES, style_features

        names = list(cfg.get("style_feature_names") or [])
        idx = [FEATURE_NAMES.index(n) for n in names]
        feeds["style"] = np.stack([style_features(c, lang)[idx] for c, lang in zip(codes, langs, strict=True)]).astype(
            np.float32
        )
    if evidence:
        from ml.evidence import FileEvidence

        feeds["evidence"] = FileEvidence.load(model_dir, evidence).matrix(codes, langs).astype(np.float32)
    return feeds


def _ort_outputs(path: Path, feeds: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    emb, logits = sess.run(["embeddings", "logits"], feeds)
    return np.asarray(emb), np.asarray(logits).reshape(-1)


def export_onnx(
    model_dir: str | Path,
    out_dir: str | Path | None = None,
    *,
    int8: bool = True,
    optimize: bool = True,
    opset: int = OPSET,
) -> dict[str, Any]:
    """Write model.onnx (and model.int8.onnx) under out_dir (default MODEL_DIR/onnx).

    Returns what export.json records: paths, sizes, and the largest difference from PyTorch.
    """
    import torch

    mdir = Path(model_dir)
    out = Path(out_dir) if out_dir is not None else mdir / ONNX_DIR
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    model = _merged_model(mdir)
    n_style = int(model.config.n_style)
    evidence = list(model.config.evidence)
    feeds = _probe_inputs(mdir, n_style, evidence)
    args: tuple[Any, ...] = (torch.from_numpy(feeds["input_ids"]), torch.from_numpy(feeds["attention_mask"]))
    names = ["input_ids", "attention_mask"]
    axes: dict[str, dict[int, str]] = {
        "input_ids": {0: "batch", 1: "sequence"},
        "attention_mask": {0: "batch", 1: "sequence"},
        "embeddings": {0: "batch"},
        "logits": {0: "batch"},
    }
    for extra in ("style", "evidence"):
        if extra in feeds:
            args = (*args, torch.from_numpy(feeds[extra]))
            names.append(extra)
            axes[extra] = {0: "batch"}
    wrapper = _wrapper(model, bool(n_style), bool(evidence))
    with torch.no_grad():
        ref_emb, ref_logits = (t.numpy() for t in wrapper(*args))
    raw = out / "model.raw.onnx"
    fp32 = out / ONNX_FP32
    try:
        torch.onnx.export(
            wrapper,
            args,
            str(raw),
            dynamo=False,  # the TorchScript exporter needs no onnxscript and handles BERT well
            input_names=names,
            output_names=["embeddings", "logits"],
            dynamic_axes=axes,
            opset_version=opset,
            do_constant_folding=True,
        )
    except Exception as exc:  # the exporter raises many types; the user needs one message
        raise ExportError(f"torch.onnx.export failed: {exc}") from exc
    if optimize:
        # Fuse attention / layer norm / GELU for BERT-like graphs (ORT's transformer optimizer).
        from onnxruntime.transformers.optimizer import optimize_model

        bcfg = model.backbone.config
        opt = optimize_model(
            str(raw),
            model_type="bert",
            num_heads=int(getattr(bcfg, "num_attention_heads", 0)),
            hidden_size=int(getattr(bcfg, "hidden_size", 0)),
            opt_level=1,
        )
        opt.save_model_to_file(str(fp32))
        raw.unlink()
    else:
        raw.replace(fp32)
    info: dict[str, Any] = {
        "opset": opset,
        "inputs": names,
        "outputs": ["embeddings", "logits"],
        "graphs": {},
    }
    emb, logits = _ort_outputs(fp32, feeds)
    info["graphs"][ONNX_FP32] = {
        "bytes": fp32.stat().st_size,
        "max_abs_diff_embeddings": float(np.abs(emb - ref_emb).max()),
        "max_abs_diff_logits": float(np.abs(logits - ref_logits).max()),
    }
    if (
        info["graphs"][ONNX_FP32]["max_abs_diff_embeddings"] > 1e-3
        or info["graphs"][ONNX_FP32]["max_abs_diff_logits"] > 1e-3
    ):
        raise ExportError(f"ONNX fp32 graph disagrees with PyTorch: {info['graphs'][ONNX_FP32]}")
    if int8:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic

        q = out / ONNX_INT8
        # Dynamic quantisation: int8 weights, activations quantised per batch at run time — no
        # calibration data needed, and MatMul-heavy encoders gain most.
        quantize_dynamic(
            str(fp32),
            str(q),
            weight_type=QuantType.QInt8,
            per_channel=False,
            # Fused contrib ops (Attention, SkipLayerNormalization) defeat ONNX shape inference.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        emb8, logits8 = _ort_outputs(q, feeds)
        info["graphs"][ONNX_INT8] = {
            "bytes": q.stat().st_size,
            "max_abs_diff_embeddings": float(np.abs(emb8 - ref_emb).max()),
            "max_abs_diff_logits": float(np.abs(logits8 - ref_logits).max()),
            "cosine_to_fp32_min": float((emb8 * ref_emb).sum(axis=1).min()),
        }
    info["seconds"] = round(time.time() - t0, 1)
    info["model_dir"] = str(mdir)
    (out / EXPORT_INFO).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info
