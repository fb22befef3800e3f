"""Plagiarism-detection quality: pooled ROC-AUC of our structural engine, copydetect and Dolos on the
labelled pairs of ../shared/data/plagiarism, per source and per plagiarism level / disguise kind.

Two evaluations, both on the same data for every tool:

* `pairs`: every labelled pair of `<split>.jsonl` scored on its own (a two-submission scan), so no
  collection statistic (fingerprint share cuts, template detection) helps or hurts. Our engine uses
  its in-process API here when `ml.structural.compare` exists, else one CLI scan per pair; the peers
  run one driver process that loops over the pairs.
* `collections`: every folder of `collections_<split>.jsonl` scanned as one class
  (`codeguard scan DIR --format json --out FILE --min-similarity 0`), and each labelled pair scored
  with the tool's pair score from that whole-class scan. Collections mixing languages
  (cf-synthetic holds C, C++ and Python of one problem) are scanned per language because Dolos
  analyses one language per run; only same-language pairs are labelled anyway.

Each unit becomes one file `sNNNN.<ext>` holding the unit's `code` (hjc851 multi-file projects are
already joined by the data, with `// ===== FILE: ... =====` separator comments), so file names give
no label away. Scores: ours = the `structural` field of the JSON (and `similarity` when it differs),
copydetect = max of its two directed overlaps, Dolos = its pair `similarity`. A pair a tool does not
list scores 0.

    .venv/bin/python benchmarks/eval_plagiarism.py                    # dev split, all tools
    .venv/bin/python benchmarks/eval_plagiarism.py --split train --no-doc
    .venv/bin/python benchmarks/eval_plagiarism.py --setup-peers       # install peers first

Writes the raw scores and metrics to scratch/benchmarks/eval_plagiarism_<split>.json and the
tables into docs/BENCHMARKS.md (section "Structural similarity", between markers).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import bootstrap_auc_diff, markdown_table, roc_auc, write_block  # noqa: E402
from tools import (  # noqa: E402
    BENCH_DIR,
    DEFAULT_PEERS,
    EXTENSIONS,
    REPO,
    Ours,
    PairJob,
    Tool,
    ToolError,
    all_tools,
    pair_key,
)

DATA = REPO.parent / "shared" / "data" / "plagiarism"
MODES = ("pairs", "collections")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open() as fh:
        return [json.loads(line) for line in fh if line.strip()]


def level_kind(source: str, level: str | None) -> str | None:
    """Coarser disguise kind for sources whose level strings combine Faidhi-Robinson levels
    (L1 layout/comments, L2 identifiers, L3 declarations, L4 methods, L5 statement order,
    L6 control logic): the highest level applied, so sparse combinations still give a readable row."""
    if level is None or not (source.startswith("conplag") or level.startswith("spplagiarise-random")):
        return None
    nums = [int(part[1:]) for part in level.split(":")[-1].split("+") if part[:1] == "L" and part[1:].isdigit()]
    return f"highest L{max(nums)}" if nums else None


# ------------------------------------------------------------------------------------ evaluations


def eval_pairs(split: str, tools: list[Tool], timeout: float) -> list[dict[str, Any]]:
    rows = read_jsonl(DATA / f"{split}.jsonl")
    jobs = [PairJob(r["id"], r["a"]["language"], r["a"]["code"], r["b"]["code"]) for r in rows]
    out = [
        {"mode": "pairs", "id": r["id"], "source": r["source"], "group": r["group"], "language": r["a"]["language"],
         "label": int(r["label"]), "level": r["level"], "scores": {}}
        for r in rows
    ]
    for tool in tools:
        if isinstance(tool, Ours) and tool.extra_args:
            continue  # scan options are a collection-level matter; the isolated pair is the same
        t0 = time.perf_counter()
        try:
            got = tool.score_pairs(jobs, timeout=timeout)
        except ToolError as exc:
            log(f"  {tool.name}: pairs FAILED: {exc}")
            continue
        for row in out:
            row["scores"][tool.name] = got.get(row["id"])
        log(f"  {tool.name}: {len(jobs)} pairs in {time.perf_counter() - t0:.1f}s")
    return out


def write_collection(folder: Path, files: Iterable[dict[str, Any]], ext: str) -> dict[str, str]:
    """Write the units as sNNNN.<ext>; returns unit id -> file stem."""
    folder.mkdir(parents=True)
    stems: dict[str, str] = {}
    for i, f in enumerate(files):
        stem = f"s{i:04d}"
        (folder / f"{stem}.{ext}").write_text(f["code"], encoding="utf-8")
        stems[f["id"]] = stem
    return stems


def eval_collections(split: str, tools: list[Tool], timeout: float) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for coll in read_jsonl(DATA / f"collections_{split}.jsonl"):
        by_lang: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for f in coll["files"]:
            by_lang[f["language"]].append(f)
        lang_of = {f["id"]: f["language"] for f in coll["files"]}
        for language, files in sorted(by_lang.items()):
            labelled = [p for p in coll["pairs"] if lang_of.get(p[0]) == language and lang_of.get(p[1]) == language]
            if not labelled:
                continue
            with tempfile.TemporaryDirectory(prefix="cg-coll-") as tmp:
                folder = Path(tmp) / "subs"
                stems = write_collection(folder, files, EXTENSIONS.get(language, "txt"))
                rows = [
                    {"mode": "collections", "id": f"{a}|{b}", "source": coll["source"], "group": coll["group"],
                     "language": language, "label": int(label), "level": level, "scores": {}}
                    for a, b, label, level in labelled
                ]
                for tool in tools:
                    t0 = time.perf_counter()
                    try:
                        scores = tool.scan_collection(folder, language, 0.0, timeout)
                    except ToolError as exc:
                        log(f"  {tool.name}: {coll['source']}/{coll['group']}/{language} FAILED: {exc}")
                        continue
                    for row, (a, b, _, _) in zip(rows, labelled, strict=True):
                        row["scores"][tool.name] = scores.get(pair_key(stems[a], stems[b]), 0.0)
                    log(f"  {tool.name}: {coll['source']}/{coll['group']}/{language}: {len(files)} files, "
                        f"{time.perf_counter() - t0:.1f}s")
                out.extend(rows)
    return out


# ---------------------------------------------------------------------------------------- metrics


def _auc_of(rows: list[dict[str, Any]], tool: str) -> float | None:
    usable = [r for r in rows if r["scores"].get(tool) is not None]
    if len(usable) < len(rows):
        return None
    return roc_auc([r["label"] for r in usable], [r["scores"][tool] for r in usable])


def _mean_of(rows: list[dict[str, Any]], tool: str) -> float | None:
    vals = [r["scores"][tool] for r in rows if r["scores"].get(tool) is not None]
    return sum(vals) / len(vals) if vals and len(vals) == len(rows) else None


def metrics(rows: list[dict[str, Any]], tools: list[str]) -> dict[str, Any]:
    """Pooled, per-source and per-level AUC. A level's AUC = its positives against the negatives of
    the same source, or, when the source has none (hjc851 dev), against all negatives of the
    evaluation in the same language(s) (marked `pooled_negatives`)."""
    res: dict[str, Any] = {"pooled": {}, "sources": {}, "levels": []}
    negatives = [r for r in rows if r["label"] == 0]
    res["pooled"] = {
        "n_pos": len(rows) - len(negatives), "n_neg": len(negatives),
        "auc": {t: _auc_of(rows, t) for t in tools},
    }
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_source[r["source"]].append(r)
    for source, srows in sorted(by_source.items()):
        s_neg = [r for r in srows if r["label"] == 0]
        languages = {r["language"] for r in srows}
        negs, pooled_neg = (s_neg, False) if s_neg else ([r for r in negatives if r["language"] in languages], True)
        s_pos = [r for r in srows if r["label"] == 1]
        res["sources"][source] = {
            "n_pos": len(s_pos), "n_neg": len(negs), "pooled_negatives": pooled_neg,
            "auc": {t: _auc_of(s_pos + negs, t) for t in tools},
        }
        levels: dict[str, list[dict[str, Any]]] = defaultdict(list)
        kinds: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in srows:
            if r["label"] == 1:
                levels[r["level"] or "(none)"].append(r)
                kind = level_kind(source, r["level"])
                if kind:
                    kinds[kind].append(r)
        # a kind row only where it pools several level strings (else it repeats a level row)
        levels.update({k: v for k, v in kinds.items() if len({r["level"] for r in v}) > 1})
        for level, pos in sorted(levels.items()):
            res["levels"].append({
                "source": source, "level": level, "n_pos": len(pos), "n_neg": len(negs),
                "pooled_negatives": pooled_neg,
                "auc": {t: _auc_of(pos + negs, t) for t in tools},
                "mean_pos": {t: _mean_of(pos, t) for t in tools},
            })
    if "ours" in tools:
        res["diff_vs_peers"] = {}
        for peer in tools:
            if peer not in ("copydetect", "dolos") or any(r["scores"].get(peer) is None or r["scores"].get("ours") is None for r in rows):
                continue
            lo, hi = bootstrap_auc_diff(
                [r["label"] for r in rows], [r["scores"]["ours"] for r in rows], [r["scores"][peer] for r in rows]
            )
            a, b = res["pooled"]["auc"]["ours"], res["pooled"]["auc"][peer]
            res["diff_vs_peers"][peer] = {"diff": a - b, "ci95": [lo, hi]}
    return res


# --------------------------------------------------------------------------------------- markdown


def _f(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def weakest(m: dict[str, Any], tool: str, n: int = 3) -> list[str]:
    rows = [lv for lv in m["levels"] if lv["auc"].get(tool) is not None and not lv["level"].startswith("highest")]
    rows.sort(key=lambda lv: (lv["auc"][tool], lv["mean_pos"][tool] or 0))
    return [f"{lv['source']} {lv['level']} (AUC {lv['auc'][tool]:.3f}, mean positive score "
            f"{_f(lv['mean_pos'][tool])})" for lv in rows[:n]]


def render(split: str, results: dict[str, Any], tools: list[str], command: str) -> str:
    out = [f"### Plagiarism pairs, {split} split: pooled ROC-AUC", "",
           f"Command: `{command}` ({results['meta']['date']}, {results['meta']['wall_s']:.0f} s). Tools: "
           + ", ".join(f"{t} {results['meta']['versions'].get(t, '?')}" for t in tools)
           + ". Raw scores: `scratch/benchmarks/eval_plagiarism_" + split + ".json`.", ""]
    if results["meta"].get("unavailable"):
        out += ["Not run: " + "; ".join(f"{k}: {v}" for k, v in results["meta"]["unavailable"].items()), ""]
    head = ["evaluation", "source", "pos", "neg", *tools]
    rows = []
    for mode in MODES:
        m = results["metrics"].get(mode)
        if not m:
            continue
        rows.append([f"**{mode}**", "**pooled**", m["pooled"]["n_pos"], m["pooled"]["n_neg"],
                     *(f"**{_f(m['pooled']['auc'][t])}**" for t in tools)])
        for source, s in m["sources"].items():
            mark = " †" if s["pooled_negatives"] else ""
            rows.append([mode, source + mark, s["n_pos"], s["n_neg"], *(_f(s["auc"][t]) for t in tools)])
    out += [markdown_table(head, rows), ""]
    if any(s["pooled_negatives"] for m in results["metrics"].values() for s in m["sources"].values()):
        out += ["† the source has positives only in this split (hjc851 dev): its rows use the evaluation's "
                "negatives of the same language (for hjc851, ConPlag's Java negatives).", ""]
    for mode in MODES:
        m = results["metrics"].get(mode)
        if m and m.get("diff_vs_peers"):
            parts = [f"{p}: {d['diff']:+.3f} (95% paired-bootstrap interval {d['ci95'][0]:+.3f} .. {d['ci95'][1]:+.3f})"
                     for p, d in m["diff_vs_peers"].items()]
            out.append(f"- {mode}: ours minus " + "; ".join(parts))
    out += ["", f"### Plagiarism pairs, {split} split: by level / disguise kind", "",
            "Cell = ROC-AUC of that level's positives against the same source's negatives "
            "(†: same-language negatives of the whole evaluation, see above), "
            "then the mean score the tool gives those positives. `highest Ln` pools the level combinations "
            "by their highest Faidhi-Robinson level (L3 declarations, L4 methods, L5 statement order, "
            "L6 control logic).", ""]
    head = ["evaluation", "source", "level", "pos", *tools]
    rows = []
    # one evaluation's levels keep the table readable: collections (a class scanned as a user
    # would) when it ran; the pairs evaluation's levels are in the JSON
    level_modes = ["collections"] if results["metrics"].get("collections") else ["pairs"]
    for mode in level_modes:
        m = results["metrics"].get(mode)
        if not m:
            continue
        for lv in m["levels"]:
            mark = " †" if lv["pooled_negatives"] else ""
            rows.append([mode, lv["source"], lv["level"] + mark, lv["n_pos"],
                         *(f"{_f(lv['auc'][t])} ({_f(lv['mean_pos'][t])})" for t in tools)])
    out += [markdown_table(head, rows), ""]
    out += ["Weakest levels per tool (collections evaluation, lowest AUC first):", ""]
    m = results["metrics"].get("collections") or results["metrics"].get("pairs")
    if m:
        for t in tools:
            out.append(f"- {t}: " + "; ".join(weakest(m, t)))
    return "\n".join(out)


# ------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", choices=("dev", "train"), default="dev")
    ap.add_argument("--tools", default="ours,copydetect,dolos", help="comma list of ours, copydetect, dolos")
    ap.add_argument("--modes", default=",".join(MODES), help="comma list of pairs, collections")
    ap.add_argument("--peers", type=Path, default=DEFAULT_PEERS, help="where setup_peers.sh installed the peers")
    ap.add_argument("--setup-peers", action="store_true", help="install copydetect and Dolos first")
    ap.add_argument("--also-similarity", action="store_true",
                    help="also score ours by the combined `similarity` field (differs once `semantic` exists)")
    ap.add_argument("--ours-variant", action="append", default=[], metavar="ARGS",
                    help="also run ours with these extra scan options in the collections evaluation, "
                         "e.g. --ours-variant='--max-share 0.2' (repeatable)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per tool run")
    ap.add_argument("--out-json", type=Path, default=None)
    ap.add_argument("--no-doc", action="store_true", help="do not rewrite docs/BENCHMARKS.md")
    ap.add_argument("--from-json", type=Path, default=None,
                    help="recompute metrics and tables from an earlier run's raw scores, running no tool")
    args = ap.parse_args(argv)
    command = "python benchmarks/eval_plagiarism.py" + ("" if args.split == "dev" else f" --split {args.split}")

    if args.from_json:
        results = json.loads(args.from_json.read_text())
        names = results["meta"]["tools"]
        modes_run = sorted({r["mode"] for r in results["rows"]}, key=MODES.index)
        results["metrics"] = {m: metrics([r for r in results["rows"] if r["mode"] == m], names) for m in modes_run}
        args.from_json.write_text(json.dumps(results, indent=1))
        md = render(results["meta"]["split"], results, names, command)
        print(md)
        if not args.no_doc:
            write_block("Structural similarity", f"eval_plagiarism:{results['meta']['split']}", md)
        return 0

    if args.setup_peers:
        subprocess.run([str(BENCH_DIR / "setup_peers.sh"), str(args.peers)], check=True)
    known = all_tools(args.peers)
    if args.also_similarity:
        known["ours-similarity"] = Ours("similarity")
    wanted = [t.strip() for t in args.tools.split(",") if t.strip()] + (["ours-similarity"] if args.also_similarity else [])
    for variant in args.ours_variant:
        tool = Ours(extra_args=variant.split())
        known[tool.name] = tool
        wanted.append(tool.name)
    unknown = [t for t in wanted if t not in known]
    if unknown:
        ap.error(f"unknown tool(s): {', '.join(unknown)}")
    modes = [m for m in args.modes.split(",") if m in MODES]
    tools: list[Tool] = []
    unavailable: dict[str, str] = {}
    for name in wanted:
        tool = known[name]
        # the isolated-pair evaluation can use our in-process API before the CLI exists
        reason = tool.unavailable(need_cli=modes != ["pairs"]) if isinstance(tool, Ours) else tool.unavailable()
        if reason:
            log(f"{name}: not available: {reason}")
            unavailable[name] = reason
        else:
            tools.append(known[name])
    if not tools:
        log("no tool can run")
        return 2
    names = [t.name for t in tools]

    t0 = time.perf_counter()
    all_rows: list[dict[str, Any]] = []
    for mode in modes:
        log(f"[{mode}] {args.split}")
        all_rows += (eval_pairs if mode == "pairs" else eval_collections)(args.split, tools, args.timeout)
    results: dict[str, Any] = {
        "meta": {
            "split": args.split, "tools": names, "versions": {t.name: t.version() for t in tools},
            "unavailable": unavailable, "date": time.strftime("%Y-%m-%d"), "wall_s": time.perf_counter() - t0,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        },
        "metrics": {mode: metrics([r for r in all_rows if r["mode"] == mode], names) for mode in modes},
        "rows": all_rows,
    }
    out_json = args.out_json or REPO / "scratch" / "benchmarks" / f"eval_plagiarism_{args.split}.json"
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(results, indent=1))
    md = render(args.split, results, names, command)
    print(md)
    if not args.no_doc:
        write_block("Structural similarity", f"eval_plagiarism:{args.split}", md)
        log("tables written to docs/BENCHMARKS.md")
    log(f"raw numbers: {out_json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
