"""`codeguard export --onnx [--int8]`: the trained model as ONNX graphs for CPU workers.

Workers use them with `--backend onnx` (or CODEGUARD_BACKEND=onnx); see ml/export.py for what
the graph contains and docs/BENCHMARKS.md ("Model throughput") for what it buys.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    from bot.cli import add_model_argument

    p = subparsers.add_parser(
        "export",
        help="export the model to ONNX (optionally int8-quantised) for ONNX Runtime",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--onnx", action="store_true", help="export to ONNX (the only format so far)")
    p.add_argument("--int8", action="store_true", help="also write an int8 dynamically quantised graph")
    add_model_argument(p)
    p.add_argument(
        "--out", metavar="DIR", help="output directory (default: MODEL/onnx, where --backend onnx looks)"
    )
    p.add_argument("--no-optimize", action="store_true", help="skip ONNX Runtime's transformer graph fusions")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.cli import UsageError

    if not args.onnx:
        raise UsageError("choose an export format: --onnx")
    from ml.export import ExportError, export_onnx
    from ml.inference import InferenceError, default_model_dir

    model_dir = Path(args.model) if args.model else default_model_dir()
    if not (model_dir / "config.json").is_file():
        raise UsageError(f"{model_dir} holds no trained model (no config.json)")
    try:
        from bot.cli import quiet_libraries

        quiet_libraries()
        info = export_onnx(model_dir, args.out, int8=args.int8, optimize=not args.no_optimize)
    except (ExportError, InferenceError) as exc:
        raise UsageError(str(exc)) from None
    out = Path(args.out) if args.out else model_dir / "onnx"
    for name, g in info["graphs"].items():
        print(
            f"{out / name}: {g['bytes'] / 1e6:.1f} MB, max |logit - PyTorch| {g['max_abs_diff_logits']:.2e}, "
            f"max |embedding - PyTorch| {g['max_abs_diff_embeddings']:.2e}"
        )
    print(
        f"inputs {', '.join(info['inputs'])}; use it with --backend onnx"
        + (f" --model {model_dir}" if args.model else "")
    )
    return 0
