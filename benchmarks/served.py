"""What the benchmarks of the model as served share (eval_explain, eval_edits): their command
line, the labelled files and the model with its calibrated levels, and batched scoring."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "aigen"
BATCH = 64


def parser(doc: str | None) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(DATA / "dev.jsonl"), help="labelled JSONL (default: aigen dev)")
    ap.add_argument("--model", default=str(ROOT / "models" / "default"), help="model directory")
    ap.add_argument("--no-write", action="store_true", help="print the section instead of writing docs")
    return ap


def load(ap: argparse.ArgumentParser, args: argparse.Namespace, levels: Sequence[str]) -> tuple[list[Any], Any, dict[str, float]]:
    """(labelled rows, the served detector, {level: threshold}); a usage error when the model lacks
    one of the calibrated `levels` a benchmark reads."""
    from ml.data import load_aigen
    from ml.inference import CodeDetectorInference

    rows = load_aigen(args.data)
    det = CodeDetectorInference(args.model)
    saved = det.thresholds.get("levels", {})
    missing = [lv for lv in levels if lv not in saved]
    if missing:
        ap.error(f"model {args.model} has no calibrated level {', '.join(missing)}")
    return rows, det, {lv: float(saved[lv]["threshold"]) for lv in levels}


def scores(det: Any, codes: Sequence[str], languages: Sequence[str]) -> np.ndarray:
    """AI scores as served, in batches."""
    if not codes:
        return np.zeros(0)
    return np.concatenate([det.score(list(codes[i : i + BATCH]), list(languages[i : i + BATCH]))
                           for i in range(0, len(codes), BATCH)]).astype(np.float64)


def logit(p: np.ndarray | float) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1 - 1e-12)
    return np.log(q) - np.log1p(-q)
