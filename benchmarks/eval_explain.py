"""Are the explanations of `codeguard detect --explain` faithful, and what do they say about the
files the model flags? On ../shared/data/aigen dev, the files at risk level `high`.

Why: an explanation a reviewer acts on must point at what actually drives the score. Two checks
that could fail:

1. Lines (character n-grams): delete the 3 lines the explanation names as most generator-like and
   rescore the file as served; compare with deleting 3 random lines that carry n-grams (5 seeded
   draws, averaged). Faithful lines lower the served logit more than random ones.
2. Style habits: set the top habit alone to its typical-human value (the occlusion the explanation
   reports) and count how many flagged files would then fall below `high`.

And one reading: which habit tops the explanation of flagged human files (false alarms) and of
flagged AI files. Numbers only; no code is printed.

Usage:
  python -m benchmarks.eval_explain              # writes docs/BENCHMARKS.md (~5 min on 2 cores)
  python -m benchmarks.eval_explain --no-write
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.report import markdown_table, publish
from benchmarks.served import BATCH, load, logit, parser, scores
from ml.codetext import split_lines
from ml.style_terms import FEATURE_TERMS

SECTION = "Explanations (aigen dev)"
DELETE = 3
DRAWS = 5


def drop_lines(code: str, lines: Sequence[int]) -> str:
    """`code` without the given 1-based lines (numbered as ml.codetext numbers them)."""
    gone = set(lines)
    return "\n".join(t for i, t in enumerate(split_lines(code), 1) if i not in gone)


_COMMENT_STARTS = ("//", "#", "/*", "*", '"""', "'''", "--")


def comment_share(code: str, lines: Sequence[int]) -> float:
    """Share of the given 1-based lines that hold only a comment (a rough, language-blind test)."""
    raw = split_lines(code)
    picked = [raw[n - 1].strip() for n in lines if 0 < n <= len(raw)]
    return float(np.mean([t.startswith(_COMMENT_STARTS) for t in picked])) if picked else 0.0


def deletion_test(det: Any, rows: Sequence[Any], explanations: Sequence[dict[str, Any]], high: float,
                  seed: int = 0) -> dict[str, Any]:
    """Served logit drop when the named lines go, against random lines of the same files."""
    from ml.charngrams import ngram_lines

    rng = np.random.default_rng(seed)
    named, random_sets, keep = [], [[] for _ in range(DRAWS)], []
    named_comments, all_comments = [], []
    for i, (e, ex) in enumerate(zip(rows, explanations, strict=True)):
        top = [x["line"] for x in ex["lines"][:DELETE]]
        carriers = sorted(set(ngram_lines(e.code)[1].tolist()))
        if len(top) < DELETE or len(carriers) < 2 * DELETE:
            continue  # too short to tell named lines from random ones
        keep.append(i)
        named.append(drop_lines(e.code, top))
        named_comments.append(comment_share(e.code, top))
        all_comments.append(comment_share(e.code, carriers))
        for d in range(DRAWS):
            random_sets[d].append(drop_lines(e.code, rng.choice(carriers, DELETE, replace=False).tolist()))
    if not keep:
        return {"files": 0}
    langs = [rows[i].language for i in keep]
    before = np.array([explanations[i]["logit"] for i in keep])
    after_named = logit(scores(det, named, langs))
    after_random = np.stack([logit(scores(det, codes, langs)) for codes in random_sets])
    cut = logit(high)
    return {
        "files": len(keep),
        "named_drop": float(np.mean(before - after_named)),
        "random_drop": float(np.mean(before - after_random)),
        "named_wins": float(np.mean(after_named < after_random.mean(axis=0))),
        "named_below_high": float(np.mean(after_named < cut)),
        "random_below_high": float(np.mean(after_random < cut)),
        "named_comments": float(np.mean(named_comments)),
        "all_comments": float(np.mean(all_comments)),
    }


def style_test(explanations: Sequence[dict[str, Any]], high: float) -> dict[str, Any]:
    """How many flagged files the top habit alone, made typical, would take below `high`."""
    cut = logit(high)
    tops = [ex["style"][0] for ex in explanations if ex.get("style")]
    below = [ex["logit"] - ex["style"][0]["effect"] < cut for ex in explanations if ex.get("style")]
    return {
        "files": len(tops),
        "median_top_effect": float(np.median([t["effect"] for t in tops])) if tops else 0.0,
        "below_high": float(np.mean(below)) if below else 0.0,
    }


def top_habits(explanations: Sequence[dict[str, Any]], k: int = 6) -> list[tuple[str, int]]:
    """The features that most often top a flagged file's style explanation (towards AI)."""
    c = Counter(ex["style"][0]["feature"] for ex in explanations if ex.get("style") and ex["style"][0]["effect"] > 0)
    return c.most_common(k)


def render(results: dict[str, Any], command: str, when: str) -> list[str]:
    out = [
        f"Command: `{command}` ({when}). Model `{results['model']}`; dev files at `high` (threshold "
        f"{results['high']:.4f}): {results['flagged_ai']} AI, {results['flagged_human']} human.",
        "",
        f"Lines: served logit before minus after deleting the {DELETE} lines the explanation names, against "
        f"{DELETE} random lines that carry n-grams ({DRAWS} draws); files with at least {2 * DELETE} such lines.",
        "",
    ]
    rows = []
    for who in ("ai", "human"):
        d = results["deletion"][who]
        if not d["files"]:
            continue
        rows.append([who, d["files"], f"{d['named_drop']:+.2f}", f"{d['random_drop']:+.2f}", f"{d['named_wins']:.3f}",
                     f"{d['named_below_high']:.3f}", f"{d['random_below_high']:.3f}",
                     f"{d['named_comments']:.3f}", f"{d['all_comments']:.3f}"])
    out.append(markdown_table(["flagged", "files", "logit drop, named lines", "logit drop, random lines",
                               "named drop > random", "below `high` after named", "below `high` after random",
                               "named lines that are comments", "all lines that are comments"], rows))
    out += ["", "Style: the top habit alone set to its typical-human value (the explanation's own occlusion).", ""]
    rows = [[who, s["files"], f"{s['median_top_effect']:+.2f}", f"{s['below_high']:.3f}"]
            for who, s in results["style"].items() if s["files"]]
    out.append(markdown_table(["flagged", "files", "median top effect (logits)", "below `high` with it typical"], rows))
    out += ["", "Which habit tops the explanation (files whose top habit pushes towards AI):", ""]
    rows = []
    for who in ("human", "ai"):
        rows += [[who, f, FEATURE_TERMS.get(f, (f, "level"))[0], n] for f, n in results["habits"][who]]
    out.append(markdown_table(["flagged", "top habit", "in the comment's words", "files"], rows))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = parser(__doc__)
    args = ap.parse_args(argv)
    t0 = time.time()
    rows, det, levels = load(ap, args, ["high"])
    high = levels["high"]
    scored = scores(det, [e.code for e in rows], [e.language for e in rows])
    flagged = [e for e, s in zip(rows, scored, strict=True) if s >= high]
    explanations = []
    for i in range(0, len(flagged), BATCH):
        chunk = flagged[i : i + BATCH]
        explanations += det.explain([e.code for e in chunk], [e.language for e in chunk])
        print(f"explained {len(explanations)}/{len(flagged)} ({time.time() - t0:.0f}s)", file=sys.stderr, flush=True)
    results: dict[str, Any] = {"model": Path(args.model).name, "high": high, "deletion": {}, "style": {}, "habits": {}}
    for who, label in (("ai", 1), ("human", 0)):
        idx = [i for i, e in enumerate(flagged) if e.label == label]
        sub_rows, sub_ex = [flagged[i] for i in idx], [explanations[i] for i in idx]
        results[f"flagged_{who}"] = len(idx)
        results["deletion"][who] = deletion_test(det, sub_rows, sub_ex, high)
        results["style"][who] = style_test(sub_ex, high)
        results["habits"][who] = top_habits(sub_ex)
    command = "python -m benchmarks.eval_explain"
    body = render(results, command, time.strftime("%Y-%m-%d") + f", {time.time() - t0:.0f} s")
    publish(SECTION, "eval_explain", body, write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
