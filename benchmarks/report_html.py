"""Size and speed of the HTML report for a class of 500 synthetic submissions.

Writes the `## Reports` section of docs/BENCHMARKS.md. The class is synthetic on purpose:
what is measured is the renderer and the page (how big, how fast to build, open, sort,
filter, lay out), which depend on counts and text sizes, not on whether the code is real.
Every pair of the class is listed (124,750 pairs, as with `--min-similarity 0`), with a few
planted clusters of near-copies that carry matched fragments.

    .venv/bin/python benchmarks/report_html.py            # measure and write the doc section
    .venv/bin/python benchmarks/report_html.py --no-doc   # measure only
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.report import markdown_table, write_block  # noqa: E402
from bot.reports.html import render_html  # noqa: E402
from bot.reports.view import build_view  # noqa: E402
from ml.submission import FileRisk, Fragment, PairMatch, Report, SourceFile, Submission  # noqa: E402

WORDS = "total count index value items result buffer node left right data key acc limit step".split()


def _function(rng: random.Random, name: str) -> str:
    a, b, c = rng.sample(WORDS, 3)
    body = [f"def {name}({a}, {b}):", f'    """Compute {name} from {a} and {b}."""', f"    {c} = 0"]
    for _ in range(rng.randint(4, 12)):
        body.append(
            rng.choice(
                [
                    f"    for i in range(len({a})):\n        {c} += {a}[i] * {b}",
                    f"    if {c} > {rng.randint(1, 99)}:\n        {c} -= {b}",
                    f"    {c} = max({c}, {a}[-1] if {a} else 0)",
                    f'    print("{name}", {c})',
                ]
            )
        )
    body.append(f"    return {c}\n")
    return "\n".join(body)


def synthetic_class(n: int = 500, seed: int = 7) -> tuple[Report, list[Submission], dict[str, float]]:
    rng = random.Random(seed)
    subs = []
    for i in range(n):
        main = "\n\n".join(_function(rng, f"task_{j}") for j in range(rng.randint(5, 9)))
        helper = "\n\n".join(_function(rng, f"helper_{j}") for j in range(rng.randint(2, 4)))
        subs.append(
            Submission(
                f"s{1000 + i}",
                [
                    SourceFile("main.py", "python", main + "\n"),
                    SourceFile("lib/helpers.py", "python", helper + "\n"),
                ],
            )
        )
    clusters = [rng.sample(range(n), rng.randint(2, 6)) for _ in range(25)]
    in_cluster = {frozenset((a, b)) for c in clusters for a in c for b in c if a != b}
    pairs = []
    for a in range(n):
        for b in range(a + 1, n):
            if frozenset((a, b)) in in_cluster:
                sim = rng.uniform(0.65, 0.97)
                frags = []
                for _ in range(rng.randint(2, 6)):
                    s1, s2, ln = rng.randint(1, 80), rng.randint(1, 80), rng.randint(4, 30)
                    frags.append(Fragment("main.py", (s1, s1 + ln), "main.py", (s2, s2 + ln), ln * 7))
            else:
                sim, frags = rng.betavariate(1.3, 9.0), []
            pairs.append(PairMatch(subs[a].name, subs[b].name, sim, sim * 0.95, min(1.0, sim * 1.1), frags))
    thresholds = {"high": 0.62, "medium": 0.41}
    files = []
    for s in subs:
        for f in s.files:
            score = rng.betavariate(2, 5)
            level = "high" if score > 0.62 else "medium" if score > 0.41 else "low"
            files.append(FileRisk(f"{s.name}/{f.path}", f.language, score, level))
    report = Report(files, pairs, [], "synthetic", {"k": 5, "window": 4, "min_similarity": 0.0})
    return report, subs, thresholds


def measure_render(
    report, subs, thr, detail_pairs: int, max_rows: int, repeat: int = 3
) -> tuple[float, int, str]:
    times, html = [], ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        view = build_view(report, subs, thr)
        html = render_html(view, detail_pairs=detail_pairs, max_rows=max_rows)
        times.append(time.perf_counter() - t0)
    return min(times), len(html.encode("utf-8")), html


def measure_browser(path: Path) -> dict[str, float] | None:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        return None
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--window-size=1400,1000",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ):
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={tempfile.mkdtemp()}")
    drv = webdriver.Chrome(service=Service(driver), options=opts)
    try:
        drv.get(path.as_uri())
        load = drv.execute_script(
            "var t = performance.getEntriesByType('navigation')[0]; return t.loadEventEnd - t.startTime;"
        )

        def timed(js: str) -> float:
            return float(
                drv.execute_script("var t0 = performance.now();" + js + "; return performance.now() - t0;")
            )

        pair_view = timed(
            "location.hash = '#pair-1'; window.dispatchEvent(new HashChangeEvent('hashchange'))"
        )
        drv.execute_script("location.hash = '#pairs'")
        sort = timed("document.querySelectorAll('#pair-table th')[3].click()")
        filt = timed(
            "var i = document.getElementById('pf-name'); i.value = 's12'; i.dispatchEvent(new Event('input'));"
            "document.getElementById('pf-detail').dispatchEvent(new Event('change'))"
        )
        # The longest gap between animation frames while the graph lays out: what a user
        # scrolling or clicking at that moment would wait for.
        drv.execute_script(
            "window.__gap = 0; var last = performance.now(); (function tick(t) {"
            " window.__gap = Math.max(window.__gap, t - last); last = t;"
            " if (document.getElementById('g-canvas').dataset.settled !== '1') requestAnimationFrame(tick); })(last);"
        )
        t0 = time.perf_counter()
        drv.execute_script("location.hash = '#graph'")
        while drv.execute_script("return document.getElementById('g-canvas').dataset.settled") != "1":
            if time.perf_counter() - t0 > 60:
                break
            time.sleep(0.05)
        graph = (time.perf_counter() - t0) * 1000
        longest = float(drv.execute_script("return window.__gap"))
        heap = drv.execute_script("return performance.memory ? performance.memory.usedJSHeapSize : 0")
        return {
            "load_ms": load,
            "pair_view_ms": pair_view,
            "sort_ms": sort,
            "filter_ms": filt,
            "graph_settle_ms": graph,
            "longest_frame_gap_ms": longest,
            "heap_mb": heap / 2**20,
            "graph_stats": drv.find_element("id", "g-stats").text,
        }
    finally:
        drv.quit()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=500)
    ap.add_argument("--no-doc", action="store_true")
    args = ap.parse_args()

    report, subs, thr = synthetic_class(args.students)
    src_bytes = sum(len(f.text) for s in subs for f in s.files)
    rows = []
    results = {}
    for detail, max_rows in ((50, 10_000), (200, 10_000), (50, len(report.pairs))):
        secs, size, html = measure_render(report, subs, thr, detail, max_rows)
        out = Path(tempfile.mkdtemp()) / "report.html"
        out.write_text(html, encoding="utf-8")
        browser = measure_browser(out)
        results[(detail, max_rows)] = (secs, size, browser)
        b = browser or {}
        rows.append(
            [
                detail,
                f"{min(max_rows, len(report.pairs)):,}",
                f"{size / 2**20:.2f} MB",
                f"{secs:.2f} s",
                *(
                    f"{b[k]:.0f} ms" if k in b else "n/a"
                    for k in (
                        "load_ms",
                        "pair_view_ms",
                        "sort_ms",
                        "filter_ms",
                        "graph_settle_ms",
                        "longest_frame_gap_ms",
                    )
                ),
            ]
        )
        print(
            json.dumps(
                {
                    "detail_pairs": detail,
                    "max_rows": max_rows,
                    "render_s": secs,
                    "bytes": size,
                    "browser": browser,
                }
            )
        )
    table = markdown_table(
        [
            "pairs with sources",
            "pair rows",
            "file size",
            "render",
            "open (load)",
            "open pair view",
            "sort",
            "filter",
            "graph layout settles",
            "longest frame gap during layout",
        ],
        rows,
    )
    small, full = results[(50, 10_000)], results[(50, len(report.pairs))]
    per_row = (full[1] - small[1]) / max(1, len(report.pairs) - 10_000)
    default_mb = small[1] / 2**20
    hl_ms = _highlight_ms(subs)
    body = f"""Command: `.venv/bin/python benchmarks/report_html.py` (2-core development machine; browser
figures from headless Debian Chromium {_chromium_version()}; load average {_load()} while measuring, as the
machine is shared).

Class: {args.students} synthetic submissions (2 Python files each, {src_bytes / 2**20:.1f} MB of source), every pair
listed ({len(report.pairs):,} pairs, as with `--min-similarity 0`), 25 planted clusters of near-copies with 2-6
matched fragments each, AI scores for all {len(report.files):,} files. "render" is `build_view` + `render_html`
(fastest of 3 runs, Pygments highlighting included; the machine is shared, so slower runs measure the neighbours). Browser timings are one run: load = navigation start to the load
event (the page's script, which builds the pair list, runs before it); sort and filter re-render the pair table;
the graph lays out its visible nodes in animation frames of at most ~14 ms, so the page stays responsive while
it settles. Browser figures are single runs on a shared 2-core machine and vary between runs
(the frame gap most: one run in three shows a slow first frame).

{table}

The file grows with what is shown, not with the number of pairs: sources only for the matched files of
the pairs with sources (each file embedded once, so pairs within a cluster share them), about
{per_row:.0f} bytes per further pair row; the defaults (`--report-pairs 50`, `--report-rows 10000`) keep this
class at {default_mb:.1f} MB, and the JSON output still lists every pair. Render time is mostly Pygments
(the Python lexer, ~{hl_ms:.0f} ms per file here) and ranking the 124,750 pairs.
"""
    if not args.no_doc:
        write_block("Reports", "reports", body)
    return 0


def _highlight_ms(subs: list[Submission]) -> float:
    from bot.reports.highlight import highlight_lines

    files = [f for s in subs[:40] for f in s.files if f.path == "main.py"]
    t0 = time.perf_counter()
    for f in files:
        highlight_lines(f.text, f.language, f.path)
    return (time.perf_counter() - t0) * 1000 / max(1, len(files))


def _load() -> str:
    import os

    return f"{os.getloadavg()[0]:.1f}"


def _chromium_version() -> str:
    import subprocess

    exe = shutil.which("chromium")
    if not exe:
        return "(not installed)"
    out = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.strip()
    return out.split()[1] if len(out.split()) > 1 else out


if __name__ == "__main__":
    raise SystemExit(main())
