"""Scale: wall time and peak memory of scanning 250, 500, 1,000 and 2,000 single-file Java
submissions, for our `codeguard scan` and the peers (copydetect, Dolos), side by side.

The class is real: human Java solutions of the largest Code Jam problem in ../shared/data/aigen
(train + dev, `gpt-java-gcj`, one file per author; exact duplicates after whitespace normalisation
dropped; further problems only if one has too few). Size N takes the first N of a fixed order, so
each size contains the smaller ones and growth measures N alone. Files are written to a temporary
folder at run time and deleted afterwards; nothing is committed.

Each tool runs as its own process, as a user would run it, and is measured from start to exit:
wall time, and peak resident memory of the whole process tree (psutil sampling every 10 ms, summed
over the process and its children), plus the largest single process's max RSS from the kernel's
rusage (what `/usr/bin/time -v` prints). Every tool lists the pairs at or above --min-similarity
(default 0.5) so output writing stays small; all of them compare all pairs internally anyway.

    .venv/bin/python benchmarks/scale.py                         # all sizes, all tools, write docs
    .venv/bin/python benchmarks/scale.py --sizes 250,500 --tools ours --no-doc
    .venv/bin/python benchmarks/scale.py --setup-peers

Raw numbers go to scratch/benchmarks/scale.json; the table goes to docs/BENCHMARKS.md ("Scale").
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import markdown_table, write_block  # noqa: E402
from tools import BENCH_DIR, DEFAULT_PEERS, REPO, Tool, all_tools  # noqa: E402

AIGEN = REPO.parent / "shared" / "data" / "aigen"
TARGET_S, TARGET_MB, TARGET_N = 10.0, 500.0, 2000


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def load_class(n: int) -> list[str]:
    """`n` distinct human Java solutions, largest Code Jam problem first."""
    by_group: dict[str, list[tuple[str, str]]] = {}
    for name in ("train.jsonl", "dev.jsonl"):
        with (AIGEN / name).open() as fh:
            for line in fh:
                row = json.loads(line)
                if row["language"] == "java" and row["label"] == 0 and row["source"] == "gpt-java-gcj":
                    by_group.setdefault(row["group"], []).append((row["id"], row["code"]))
    seen: set[str] = set()
    codes: list[str] = []
    for _, rows in sorted(by_group.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        for _, code in sorted(rows):
            key = re.sub(r"\s+", "", code)
            if key in seen or not code.strip():
                continue
            seen.add(key)
            codes.append(code)
            if len(codes) == n:
                return codes
    raise SystemExit(f"only {len(codes)} distinct Java submissions available, {n} asked")


def measure(cmd: list[str], env: dict[str, str] | None, timeout: float) -> dict[str, Any]:
    """Run `cmd` to completion; wall seconds, peak summed RSS of its process tree, and the largest
    single process's max RSS as `/usr/bin/time` reports it (the wrapper adds about 2 MB to the tree)."""
    with tempfile.NamedTemporaryFile(prefix="cg-time-", suffix=".txt", delete=False) as fh:
        time_file = Path(fh.name)
    timer = ["/usr/bin/time", "-f", "%M", "-o", str(time_file)] if Path("/usr/bin/time").exists() else []
    t0 = time.perf_counter()
    proc = subprocess.Popen([*timer, *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            text=True)
    ps = psutil.Process(proc.pid)
    peak = 0
    timed_out = False
    while proc.poll() is None:
        total = 0
        try:
            for p in [ps, *ps.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        peak = max(peak, total)
        if time.perf_counter() - t0 > timeout:
            for p in ps.children(recursive=True):
                p.kill()
            proc.kill()
            timed_out = True
            break
        time.sleep(0.01)
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    kernel_max = None
    try:
        kernel_max = int(time_file.read_text().strip().splitlines()[-1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    time_file.unlink(missing_ok=True)
    return {"wall_s": wall, "peak_tree_mb": peak / 2**20, "max_rss_mb": kernel_max, "rc": proc.returncode,
            "timed_out": timed_out, "stderr_tail": err.strip().splitlines()[-3:] if err else []}


def ours_api_command(directory: Path, out: Path, min_sim: float) -> list[str]:
    return [sys.executable, str(BENCH_DIR / "ours_api.py"), str(directory), str(out), repr(min_sim)]


def run_size(tool_name: str, tool: Tool | None, directory: Path, min_sim: float, timeout: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="cg-scale-out-") as tmp:
        out = Path(tmp) / "result.json"
        if tool is None:  # ours-api
            cmd, env = ours_api_command(directory, out, min_sim), None
        else:
            cmd, env = tool.scan_command(directory, "java", out, min_sim), tool.env()
        load = os.getloadavg()[0]
        res = measure(cmd, env, timeout)
        res["load_before"] = load
        res["command"] = " ".join(cmd)
        if out.exists() and res["rc"] in (0, 1):
            data = json.loads(out.read_text())
            res["pairs_listed"] = len(data["pairs"])
            if tool_name == "ours-api":
                res["api_s"] = data.get("api_s")
        elif not res["timed_out"]:
            res["error"] = " | ".join(res["stderr_tail"]) or f"exit {res['rc']}, no result"
    return res


def growth_exponent(points: list[tuple[int, float]]) -> float | None:
    """Least-squares slope of log(time) on log(N): 1.0 = linear, 2.0 = quadratic."""
    pts = [(math.log(n), math.log(t)) for n, t in points if t > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / den if den else None


def render(results: dict[str, Any], command: str) -> str:
    meta = results["meta"]
    tools = meta["tools"]
    lines = ["### Scan time and peak memory by class size", "",
             f"Command: `{command}` ({meta['date']}, {meta['machine']}). Class: human Java solutions of one "
             "Code Jam problem from `../shared/data/aigen` (one file per author). Wall = process start to exit; "
             "peak = summed RSS of the tool's process tree (10 ms sampling); tools: "
             + ", ".join(f"{t} {meta['versions'].get(t, '')}".strip() for t in tools)
             + ". The machine is shared, so figures carry some noise (load average before each run is in "
             "`scratch/benchmarks/scale.json`).", ""]
    if meta.get("unavailable"):
        lines += ["Not run: " + "; ".join(f"{k}: {v}" for k, v in meta["unavailable"].items()), ""]
    head = ["submissions", *(f"{t} wall s / peak MB" for t in tools)]
    rows = []
    for n in meta["sizes"]:
        cells = []
        for t in tools:
            r = results["runs"].get(t, {}).get(str(n))
            if r is None:
                cells.append("not run")
            elif r.get("timed_out"):
                cells.append(f"> {meta['timeout_s']:.0f} s (killed)")
            elif r.get("error"):
                cells.append("failed")
            else:
                extra = f" (API {r['api_s']:.1f} s)" if r.get("api_s") is not None else ""
                cells.append(f"{r['wall_s']:.1f} / {r['peak_tree_mb']:.0f}{extra}")
        rows.append([n, *cells])
    lines += [markdown_table(head, rows), ""]
    for t in tools:
        exp = results["growth"].get(t)
        if exp is not None:
            lines.append(f"- {t}: wall time grows as N^{exp:.2f} over these sizes (1.0 = linear)")
        api_pts = [(int(n), r["api_s"]) for n, r in results["runs"].get(t, {}).items() if r.get("api_s")]
        api_exp = growth_exponent(api_pts)
        if api_exp is not None:
            lines.append(f"- {t}: time inside the in-process call grows as N^{api_exp:.2f} "
                         "(the wall time adds a fixed start-up: imports, tree-sitter grammars)")
    verdict = results.get("target")
    if verdict:
        lines.append(f"- target ({TARGET_N} submissions < {TARGET_S:.0f} s and < {TARGET_MB:.0f} MB): {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="250,500,1000,2000")
    ap.add_argument("--tools", default="ours,copydetect,dolos",
                    help="comma list of ours, ours-api (in-process bot.analysis.analyze), copydetect, dolos")
    ap.add_argument("--min-similarity", type=float, default=0.5)
    ap.add_argument("--timeout", type=float, default=900, help="seconds per run before it is killed")
    ap.add_argument("--peers", type=Path, default=DEFAULT_PEERS)
    ap.add_argument("--setup-peers", action="store_true")
    ap.add_argument("--out-json", type=Path, default=REPO / "scratch" / "benchmarks" / "scale.json")
    ap.add_argument("--no-doc", action="store_true")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run each tool/size N times and keep the fastest run (less noise on a shared machine)")
    ap.add_argument("--merge", action="store_true",
                    help="keep the other tools' runs from --out-json and replace only the tools run now")
    args = ap.parse_args(argv)

    if args.setup_peers:
        subprocess.run([str(BENCH_DIR / "setup_peers.sh"), str(args.peers)], check=True)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    known = all_tools(args.peers)
    wanted = [t.strip() for t in args.tools.split(",") if t.strip()]
    runnable: dict[str, Tool | None] = {}
    unavailable: dict[str, str] = {}
    for name in wanted:
        if name == "ours-api":
            reason = None if (REPO / "ml" / "structural.py").exists() else "ml/structural.py does not exist yet"
            tool: Tool | None = None
        elif name in known:
            tool = known[name]
            reason = tool.unavailable()
        else:
            ap.error(f"unknown tool {name}")
        if reason:
            log(f"{name}: not available: {reason}")
            unavailable[name] = reason
        else:
            runnable[name] = tool

    codes = load_class(sizes[-1])
    runs: dict[str, dict[str, Any]] = {name: {} for name in runnable}
    with tempfile.TemporaryDirectory(prefix="cg-scale-") as tmp:
        for n in sizes:
            folder = Path(tmp) / f"n{n}"
            folder.mkdir()
            for i, code in enumerate(codes[:n]):
                (folder / f"s{i:04d}.java").write_text(code, encoding="utf-8")
            for name, tool in runnable.items():
                tries = [run_size(name, tool, folder, args.min_similarity, args.timeout)
                         for _ in range(max(1, args.repeat))]
                res = min(tries, key=lambda r: (bool(r.get("error")) or r["timed_out"], r["wall_s"]))
                res["all_wall_s"] = [r["wall_s"] for r in tries]
                res["all_peak_tree_mb"] = [r["peak_tree_mb"] for r in tries]
                runs[name][str(n)] = res
                state = "killed" if res["timed_out"] else res.get("error") or (
                    f"{res['wall_s']:.1f}s, peak {res['peak_tree_mb']:.0f} MB, {res.get('pairs_listed')} pairs")
                log(f"{n:5d} {name:11s} {state} (load {res['load_before']:.1f})")
    growth: dict[str, float | None] = {}
    for name in runnable:
        pts = [(n, runs[name][str(n)]["wall_s"]) for n in sizes
               if str(n) in runs[name] and not runs[name][str(n)].get("error") and not runs[name][str(n)]["timed_out"]]
        growth[name] = growth_exponent(pts)
    target = None
    best = runs.get("ours", {}).get(str(TARGET_N))
    if best and not best.get("error") and not best["timed_out"]:
        ok = best["wall_s"] < TARGET_S and best["peak_tree_mb"] < TARGET_MB
        target = f"{'met' if ok else 'NOT met'} ({best['wall_s']:.1f} s, {best['peak_tree_mb']:.0f} MB)"
    versions = {name: known[name].version() for name in runnable if name in known}
    tool_names = list(runnable)
    if args.merge and args.out_json.exists():
        old = json.loads(args.out_json.read_text())
        for name, per_size in old["runs"].items():
            if name not in runs:
                runs[name] = per_size
                growth[name] = old["growth"].get(name)
                versions.setdefault(name, old["meta"]["versions"].get(name, ""))
                tool_names.append(name)
        order = ["ours", "ours-api", "copydetect", "dolos"]
        tool_names.sort(key=lambda t: order.index(t) if t in order else len(order))
    results = {
        "meta": {"sizes": sizes, "tools": tool_names, "versions": versions, "unavailable": unavailable,
                 "min_similarity": args.min_similarity, "timeout_s": args.timeout,
                 "date": time.strftime("%Y-%m-%d"),
                 "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
                            f"{psutil.virtual_memory().total / 2**30:.0f} GB"},
        "runs": runs, "growth": growth, "target": target,
    }
    args.out_json.parent.mkdir(parents=True, exist_ok=True)
    args.out_json.write_text(json.dumps(results, indent=1))
    cmd = "python benchmarks/scale.py" + ("" if args.sizes == "250,500,1000,2000" else f" --sizes {args.sizes}")
    if args.tools != "ours,copydetect,dolos":
        cmd += f" --tools {args.tools}"
    if args.repeat > 1:
        cmd += f" --repeat {args.repeat}"
    if args.merge:
        cmd += " --merge (other tools' rows from the earlier full run)"
    md = render(results, cmd)
    print(md)
    if not args.no_doc:
        write_block("Scale", "scale", md)
        log("table written to docs/BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
