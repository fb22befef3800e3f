"""Semantic and combined pair scores next to the structural engine, and cross-language retrieval.

    python -m benchmarks.eval_similarity [--model DIR] [--fit-pairs 600] [--write-blend]

1. Plagiarism pairs (../shared/data/plagiarism): each labelled pair scored on its own by the
   structural engine (`ml.structural.compare` on the two units), by the model's projection head
   (`semantic`: cosine of the two embeddings mapped to [0, 1]) and by their logistic blend
   (`ml.blend`), fitted on a sample of the TRAIN pairs only. Pooled ROC-AUC on dev, per source and
   per level. With `--write-blend` the blend is saved beside the model (so `codeguard scan` uses it)
   only when it beats structural alone on dev pooled; otherwise any old blend is removed and the
   similarity stays structural.
2. Cross-language retrieval on the Rosetta tasks that training never saw (`ml.data.rosetta_split`
   == "dev"): for each solution, is a solution of the same task in ANOTHER language its nearest
   neighbour among all other-language solutions? Recall@1, @5 and MRR of the semantic head, beside
   chance (token tools share almost no tokens across languages, so they sit near chance here).
3. With `--int8`, the same semantic scores and retrieval through the ONNX Runtime int8 graph that CPU
   workers serve with `--backend onnx` (exported to a temporary folder unless MODEL/onnx has one), so
   that what quantisation costs the similarity head is measured, not assumed.

Results go to docs/BENCHMARKS.md ("## Semantic similarity") and scratch/benchmarks/.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.report import bootstrap_auc_diff, markdown_table, publish, roc_auc
from ml.blend import BLEND_FILE, fit_blend, save_blend, semantic_score
from ml.inference import ONNX_DIR, ONNX_INT8, CodeDetectorInference, default_model_dir, get_detector
from ml.structural import compare
from ml.submission import SourceFile, Submission

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
OUT = Path(__file__).resolve().parents[1] / "scratch" / "benchmarks"


def load_pairs(path: Path) -> list[dict[str, Any]]:
    with path.open() as handle:
        return [json.loads(line) for line in handle]


def structural_score(a: dict[str, Any], b: dict[str, Any]) -> float:
    subs = [
        Submission("a", [SourceFile("a", a["language"], a["code"])]),
        Submission("b", [SourceFile("b", b["language"], b["code"])]),
    ]
    found = compare(subs, min_similarity=0.0)
    return found[0].structural if found else 0.0


def embed_all(detector: Any, codes: list[str], languages: list[str], batch: int = 32) -> np.ndarray:
    out = []
    for i in range(0, len(codes), batch):
        out.append(detector.embed(codes[i : i + batch], languages[i : i + batch]))
        print(f"  embedded {min(i + batch, len(codes))}/{len(codes)}", flush=True)
    return np.vstack(out) if out else np.zeros((0, 0))


def score_pairs(detector: Any, pairs: list[dict[str, Any]], structural: bool = True) -> dict[str, list[float]]:
    codes: dict[str, tuple[str, str]] = {}
    for p in pairs:
        for side in ("a", "b"):
            codes[p[side]["id"]] = (p[side]["code"], p[side]["language"])
    ids = list(codes)
    emb = embed_all(detector, [codes[i][0] for i in ids], [codes[i][1] for i in ids])
    row = {i: n for n, i in enumerate(ids)}
    out: dict[str, list[float]] = {"semantic": []}
    if structural:  # the same for every backend: compute once
        out["structural"] = [structural_score(p["a"], p["b"]) for p in pairs]
    for p in pairs:
        out["semantic"].append(semantic_score(emb[row[p["a"]["id"]]], emb[row[p["b"]["id"]]]))
    return out


def int8_detector(model_dir: str) -> CodeDetectorInference:
    """The model served through ONNX Runtime int8: its own export when it has one, else a fresh one."""
    graph = Path(model_dir) / ONNX_DIR / ONNX_INT8
    if not graph.is_file():
        import tempfile

        from ml.export import export_onnx

        out = Path(tempfile.mkdtemp(prefix="codeguard-sim-int8-"))
        print(f"exporting the int8 graph to {out}", flush=True)
        export_onnx(model_dir, out, int8=True)
        graph = out / ONNX_INT8
    return CodeDetectorInference(model_dir, backend="onnx", onnx_file=graph)


def fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def retrieval(detector: Any, per_task: int, max_tasks: int, seed: int) -> dict[str, Any]:
    from ml.data import load_rosetta

    tasks = load_rosetta(DATA / "rosetta" / "rosetta.jsonl", split="dev")
    rng = random.Random(seed)
    rows: list[tuple[str, str, str]] = []  # task, language, code
    for task in sorted(tasks)[:max_tasks]:
        by_lang: dict[str, Any] = {}
        for ex in tasks[task]:
            by_lang.setdefault(ex.language, ex)
        langs = sorted(by_lang)
        if len(langs) < 2:
            continue
        for lang in rng.sample(langs, min(per_task, len(langs))):
            rows.append((task, lang, by_lang[lang].code))
    emb = embed_all(detector, [r[2] for r in rows], [r[1] for r in rows])
    sims = emb @ emb.T
    ranks: list[int] = []
    for i, (task, lang, _) in enumerate(rows):
        candidates = [j for j, r in enumerate(rows) if j != i and r[1] != lang]
        positives = {j for j in candidates if rows[j][0] == task}
        if not positives:
            continue
        order = sorted(candidates, key=lambda j: -sims[i, j])
        ranks.append(next(n for n, j in enumerate(order, 1) if j in positives))
    arr = np.asarray(ranks)
    # chance: a random ordering of the other-language candidates
    return {
        "queries": len(ranks),
        "candidates": len(rows),
        "recall@1": float((arr <= 1).mean()),
        "recall@5": float((arr <= 5).mean()),
        "mrr": float((1.0 / arr).mean()),
        "chance@1": float(np.mean([1.0 / max(1, len(rows) - per_task)])),
    }


def retrieval_cells(ret: dict[str, Any]) -> list[str]:
    return [f"{ret[k]:.3f}" for k in ("recall@1", "recall@5", "mrr", "chance@1")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(default_model_dir()))
    parser.add_argument("--fit-pairs", type=int, default=600, help="train pairs sampled to fit the blend")
    parser.add_argument("--write-blend", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/BENCHMARKS.md")
    parser.add_argument("--retrieval-tasks", type=int, default=120)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dev-limit", type=int, default=0, help="score only N dev pairs (smoke runs)")
    parser.add_argument("--int8", action="store_true",
                        help="also score semantic similarity and retrieval with the ONNX Runtime int8 graph")
    args = parser.parse_args(argv)
    started = time.time()
    detector = get_detector(args.model)
    quantised = int8_detector(args.model) if args.int8 else None
    rng = random.Random(args.seed)

    train = load_pairs(DATA / "plagiarism" / "train.jsonl")
    pos = [p for p in train if p["label"] == 1]
    neg = [p for p in train if p["label"] == 0]
    half = args.fit_pairs // 2
    fit = rng.sample(pos, min(half, len(pos))) + rng.sample(neg, min(half, len(neg)))
    print(f"scoring {len(fit)} train pairs for the blend", flush=True)
    fit_scores = score_pairs(detector, fit)
    blend = fit_blend(fit_scores["structural"], fit_scores["semantic"], [p["label"] for p in fit],
                      fitted_on=f"{len(fit)} plagiarism train pairs")

    dev = load_pairs(DATA / "plagiarism" / "dev.jsonl")
    if args.dev_limit:
        dev = rng.sample(dev, args.dev_limit)
    print(f"scoring {len(dev)} dev pairs", flush=True)
    dev_scores = score_pairs(detector, dev)
    dev_scores["combined"] = [blend.combine(s, m) for s, m in zip(dev_scores["structural"], dev_scores["semantic"],
                                                                   strict=True)]
    labels = [p["label"] for p in dev]
    kinds: tuple[str, ...] = ("structural", "semantic", "combined")
    if quantised is not None:
        print("scoring the dev pairs with the int8 graph", flush=True)
        dev_scores["semantic int8"] = score_pairs(quantised, dev, structural=False)["semantic"]
        kinds += ("semantic int8",)
    pooled = {k: roc_auc(labels, dev_scores[k]) for k in kinds}
    lo, hi = bootstrap_auc_diff(labels, dev_scores["combined"], dev_scores["structural"])

    rows: list[list[Any]] = [
        ["**pooled**", sum(labels), len(labels) - sum(labels), *(f"**{fmt(pooled[k])}**" for k in kinds)]
    ]
    by_source: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(dev):
        by_source[p["source"]].append(i)
    java_neg = [i for i, p in enumerate(dev) if p["label"] == 0 and p["a"]["language"] == "java"]
    for source, idx in sorted(by_source.items()):
        if len({labels[i] for i in idx}) < 2:  # positives only: use the Java negatives of the split
            idx = idx + java_neg
            source += " †"
        ys = [labels[i] for i in idx]
        rows.append([source, sum(ys), len(ys) - sum(ys),
                     *(fmt(roc_auc(ys, [dev_scores[k][i] for i in idx])) for k in kinds)])
    level_rows = []
    by_level: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, p in enumerate(dev):
        if p["label"] == 1 and p.get("level"):
            by_level[(p["source"], p["level"])].append(i)
    for (source, level), idx in sorted(by_level.items()):
        negs = [i for i in by_source[source] if labels[i] == 0] or java_neg
        ys = [1] * len(idx) + [0] * len(negs)
        cells = []
        for k in kinds:
            sc = [dev_scores[k][i] for i in idx + negs]
            mean_pos = float(np.mean([dev_scores[k][i] for i in idx]))
            cells.append(f"{fmt(roc_auc(ys, sc))} ({mean_pos:.2f})")
        level_rows.append([source, level, len(idx), *cells])

    wrote = "not written (run with --write-blend)"
    blend_path = Path(args.model) / BLEND_FILE
    if args.write_blend:
        # Ship the blend only for a gain the bootstrap is sure of: a point estimate a hair above
        # structural would change every user's scores for nothing measurable.
        if lo > 0:
            save_blend(blend, args.model)
            wrote = f"written to {blend_path} (combined beats structural on dev: interval above 0)"
        else:
            blend_path.unlink(missing_ok=True)
            wrote = ("not written: the combination's gain over structural alone on dev is not clearly above 0, "
                     "so similarity stays structural")

    print("cross-language retrieval on task-disjoint Rosetta", flush=True)
    ret = retrieval(detector, per_task=3, max_tasks=args.retrieval_tasks, seed=args.seed)
    ret_rows = [["semantic (projection head)", *retrieval_cells(ret)]]
    if quantised is not None:
        ret8 = retrieval(quantised, per_task=3, max_tasks=args.retrieval_tasks, seed=args.seed)
        ret_rows.append(["semantic, ONNX Runtime int8", *retrieval_cells(ret8)])
        ret["int8"] = ret8
    elapsed = time.time() - started

    body = [
        f"Command: `python -m benchmarks.eval_similarity {' '.join(argv if argv is not None else sys.argv[1:])}` "
        f"(model `{detector.model_version}`, "
        f"{time.strftime('%Y-%m-%d')}, {elapsed:.0f} s on the 2-core machine). {len(dev)} labelled pairs of "
        "`../shared/data/plagiarism/dev.jsonl`, each scored on its own. `combined` = "
        f"{blend.describe()}, fitted on {blend.fitted_on} (never on dev). Blend: {wrote}.",
        "",
        markdown_table(["source", "pos", "neg", *kinds], rows),
        "",
        f"Combined minus structural, pooled: {pooled['combined'] - pooled['structural']:+.3f} "
        f"(95% paired-bootstrap interval {lo:+.3f} .. {hi:+.3f}). † positives only: scored against the "
        "split's Java negatives."
        + (f" `semantic int8`: the same head through the ONNX Runtime int8 graph (`--backend onnx`); pooled "
           f"int8 minus PyTorch: {pooled['semantic int8'] - pooled['semantic']:+.3f}." if quantised else ""),
        "",
        "By level (AUC of the level's positives against the source's negatives; mean positive score):",
        "",
        markdown_table(["source", "level", "pos", *kinds], level_rows),
        "",
        "### Cross-language retrieval (Rosetta, tasks never used in training)",
        "",
        f"{ret['queries']} queries over {ret['candidates']} solutions ({args.retrieval_tasks} dev tasks, up to 3 "
        "languages each); candidates are the solutions in other languages than the query's; a hit is a "
        "solution of the same task.",
        "",
        markdown_table(["score", "recall@1", "recall@5", "MRR", "chance@1"], ret_rows),
    ]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "eval_similarity.json").write_text(json.dumps(
        {"pooled": pooled, "blend": blend.describe(), "retrieval": ret, "levels": level_rows, "sources": rows},
        indent=2, default=str))
    publish("Semantic similarity", "eval_similarity", body, write=not args.no_write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
