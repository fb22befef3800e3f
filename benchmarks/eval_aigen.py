"""AI-generated code detection on ../shared/data/aigen: our model against two cheap baselines
(and against its own file-evidence paths without the encoder).

Why the baselines stay here: in-distribution, a character n-gram model and a stylometric
model are already strong on this data, so a neural detector only earns its cost if it beats
them, and above all at the low-false-positive end and on sources it never saw.

Reported, each pooled, per source, per language and per length bucket:
  ROC-AUC, and TPR / FPR at the threshold where 1% of the *pooled* dev human files score
  higher (one global threshold is what a user gets; per-source FPR shows who pays for it).
Leave-one-source-out (baselines): train without
source S, test on all of S (train + dev rows), threshold calibrated on the other sources' dev
humans, so the numbers show both ranking (AUC) and what a deployed threshold does on S.

All three see text with leading tabs expanded to 4 spaces and `package` headers
removed (training and evaluation alike): the data README shows tabs alone separate classes in
one source, which is an artefact, not an AI signal.

Usage:
  python -m benchmarks.eval_aigen                      # baselines + models/default, writes docs
  python -m benchmarks.eval_aigen --skip-model --no-loso
  python -m benchmarks.eval_aigen --model DIR --backend onnx
  python -m benchmarks.eval_aigen --skip-baselines --no-write   # a retrained model's rows alone (minutes)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import permutation_importance
from sklearn.metrics import roc_auc_score

from ml.calibration import rates_at_threshold, target_intervals, threshold_at_fpr, tpr_at_fpr
from ml.charngrams import CharNgramModel, ngram_counts
from ml.codetext import plain_layout
from ml.evidence import PATHS, EvidenceInputs, fit_evidence, stacking_weights
from ml.stylometry import FEATURE_NAMES, style_matrix

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "aigen"
DOC = ROOT / "docs" / "BENCHMARKS.md"
BEGIN = "<!-- BEGIN aigen (benchmarks/eval_aigen.py) -->"
END = "<!-- END aigen (benchmarks/eval_aigen.py) -->"
# Punctuation whose per-character frequency completes the ~90 stylometric features.
EXTRA_CHARS = ";{}()[]=.,:_\"'<>+-*/!&|#@"
LENGTH_BUCKETS = ((0, 1000, "<1k chars"), (1000, 3000, "1k-3k chars"), (3000, 10**9, ">=3k chars"))


# ---------------------------------------------------------------------------- data


def load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


# ---------------------------------------------------------------------------- metrics


def auc(y: np.ndarray, s: np.ndarray) -> float:
    return float(roc_auc_score(y, s)) if len(set(y.tolist())) == 2 else float("nan")


def fmt(x: float, digits: int = 3) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def breakdown(
    rows: list[dict[str, Any]],
    y: np.ndarray,
    s: np.ndarray,
    threshold: float,
    key: Callable[[dict[str, Any]], str],
) -> list[tuple[str, int, int, float, float, float, float]]:
    """Per group: (name, n_human, n_ai, AUC, TPR@1%FPR within group, FPR and TPR at the global threshold)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        groups[key(r)].append(i)
    out = []
    for name in sorted(groups, key=lambda g: -len(groups[g])):
        idx = np.array(groups[name])
        yy, ss = y[idx], s[idx]
        fpr, tpr = rates_at_threshold(ss, yy, threshold)
        own = tpr_at_fpr(ss, yy, 0.01) if (yy == 0).sum() >= 20 else float("nan")
        out.append((name, int((yy == 0).sum()), int((yy == 1).sum()), auc(yy, ss), own, fpr, tpr))
    return out


def length_bucket(r: dict[str, Any]) -> str:
    n = len(r["code"])
    return next(name for lo, hi, name in LENGTH_BUCKETS if lo <= n < hi)


# ---------------------------------------------------------------------------- baselines


class CharTfidf:
    """Character 2-5-gram TF-IDF + logistic regression (ml.charngrams, 2**20 hashed columns: the
    same reader as the model's n-gram evidence path, with more columns); hashing so LOSO never
    refits a vocabulary."""

    name = "char 2-5-gram TF-IDF + LR"
    bits = 20

    def featurise(self, codes: list[str], langs: list[str], groups: list[str]) -> Any:
        return ngram_counts(codes, bits=self.bits)

    def fit_predict(self, xtr: Any, ytr: np.ndarray, xte: Any) -> np.ndarray:
        return CharNgramModel.fit(xtr, ytr, bits=self.bits).decision_counts(xte)


def extra_char_features(codes: list[str]) -> np.ndarray:
    out = np.zeros((len(codes), len(EXTRA_CHARS)), dtype=np.float32)
    for i, c in enumerate(codes):
        n = max(len(c), 1)
        for j, ch in enumerate(EXTRA_CHARS):
            out[i, j] = 20.0 * c.count(ch) / n
    return out


class StyleGB:
    """~90 stylometric features (ml.stylometry + punctuation frequencies) + gradient boosting."""

    name = "stylometry + gradient boosting"
    feature_names = [*FEATURE_NAMES, *(f"char_freq[{c}]" for c in EXTRA_CHARS)]

    def featurise(self, codes: list[str], langs: list[str], groups: list[str]) -> np.ndarray:
        return np.hstack([style_matrix(codes, langs), extra_char_features(codes)])

    def model(self) -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(
            max_iter=400, learning_rate=0.05, max_leaf_nodes=31, random_state=0
        )

    def fit_predict(self, xtr: np.ndarray, ytr: np.ndarray, xte: np.ndarray) -> np.ndarray:
        clf = self.model().fit(xtr, ytr)
        return clf.decision_function(xte)


@dataclass(frozen=True)
class GroupedInputs:
    """Evidence inputs with each file's group, indexable by rows like the other featurisations."""

    inputs: EvidenceInputs
    groups: np.ndarray

    def __getitem__(self, idx: np.ndarray) -> GroupedInputs:
        return GroupedInputs(self.inputs.rows(idx), self.groups[idx])


class EvidenceStack:
    """The model's file evidence without its encoder (ml.evidence): stylometric trees and character
    n-grams fitted out of fold by group, mixed by logistic regression on those out-of-fold scores.
    Shown so the encoder's share of the model's numbers is visible."""

    name = "file evidence alone (trees + n-grams, stacked)"

    def featurise(self, codes: list[str], langs: list[str], groups: list[str]) -> GroupedInputs:
        return GroupedInputs(EvidenceInputs.of(codes, langs, PATHS), np.array(groups))

    def fit_predict(self, xtr: GroupedInputs, ytr: np.ndarray, xte: GroupedInputs) -> np.ndarray:
        fitted, oof, _ = fit_evidence(xtr.inputs, ytr, xtr.groups.tolist(), PATHS, log=lambda _: None)
        return fitted.matrix_of(xte.inputs) @ stacking_weights(oof, ytr)


# ---------------------------------------------------------------------------- model


def model_window_logits(
    model_dir: str, backend: str, rows: list[dict[str, Any]], batch: int
) -> tuple[Any, list[tuple[np.ndarray, list[int]]]]:
    """The detector and, per file, its windows' logits and weights (aggregated by the caller)."""
    from ml.inference import CodeDetectorInference

    det = CodeDetectorInference(model_dir, backend=backend)  # type: ignore[arg-type]
    out: list[tuple[np.ndarray, list[int]]] = []
    t0 = time.time()
    for i in range(0, len(rows), batch):
        chunk = rows[i : i + batch]
        out.extend(det.window_logits([r["code"] for r in chunk], [r["language"] for r in chunk]))
        if (i // batch) % 10 == 0:
            print(
                f"  model: {i + len(chunk)}/{len(rows)} files, {time.time() - t0:.0f}s",
                file=sys.stderr,
                flush=True,
            )
    return det, out


def aggregate_all(per_file: list[tuple[np.ndarray, list[int]]], how: str) -> np.ndarray:
    from ml.windows import aggregate_logits

    return np.array([aggregate_logits(z, w, how) for z, w in per_file])  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- report


def table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    h = list(header)
    lines = [
        "| " + " | ".join(h) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(h))) + "|",
    ]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


def section(results: dict[str, Any]) -> str:
    dev = results["dev"]
    lines = ["## AI-generated code detection", ""]
    lines.append(
        "Data: `../shared/data/aigen` (train 15,371 / dev 1,410 files, 9 sources). Scores are evidence for "
        "human review, never proof. `TPR@1%FPR` uses the threshold above which 1% of the pooled dev human "
        "files lie; per-group `FPR`/`TPR` columns apply that one global threshold to the group, and "
        "`own TPR@1%` re-thresholds inside the group (shown when it has at least 20 human files). "
        "Baselines see tab-expanded text without `package` headers (training and test)."
    )
    lines.append("")
    lines.append(f"Command: `{results['command']}` ({results['when']}, {results['seconds']:.0f} s).")
    lines.append("")
    lines.append("### Pooled dev")
    lines.append("")
    pooled = {**dev, **results.get("model_parts", {})}
    lines += table(
        ["detector", "ROC-AUC", "95% interval", "TPR@1%FPR", "95% interval", "TPR@5%FPR"],
        [[name, fmt(v["auc"]), interval(v.get("auc_ci")), fmt(v["tpr1"]), interval(v.get("tpr1_ci")), fmt(v["tpr5"])]
         for name, v in pooled.items()],
    )
    lines += ["", "Intervals: 2.5th-97.5th percentiles over 1000 resamples of whole dev tasks (ml.calibration."
              "bootstrap_interval); at 1% FPR about 7 dev human files set the threshold, so two detectors whose "
              "intervals overlap this much are not told apart by this dev set."]
    if results.get("encoder_free_bias") is not None:
        lines += ["", "The model's head gives the encoder path weight 0 (`head_mix_encoder: false`): the served logit "
                  f"is the constant {results['encoder_free_bias']:.3f} plus the file-evidence term w . evidence "
                  "(ml.inference `logit_parts`), so the `part` row is the model's own score before the sigmoid."]
    elif results.get("model_parts"):
        lines += ["", "The model's served logit is the encoder path (pooled windows through the classifier) plus the "
                  "file-evidence term w . evidence (ml.inference `logit_parts`); the two `part` rows score each "
                  "alone on dev: how much the trained encoder adds to the whole-file readers it is mixed with."]
    for title, key in (("source", "by_source"), ("language", "by_language"), ("length", "by_length")):
        lines += ["", f"### Per {title} (dev)", ""]
        names = list(dev)
        groups = [g[0] for g in dev[names[0]][key]]
        header = [title, "human", "AI"]
        for n in names:
            short = results["short"][n]
            header += [f"{short} AUC", f"{short} own TPR@1%", f"{short} FPR", f"{short} TPR"]
        body = []
        for gi, g in enumerate(groups):
            first = dev[names[0]][key][gi]
            row = [g, str(first[1]), str(first[2])]
            for n in names:
                _, _, _, a, own, fpr, tpr = dev[n][key][gi]
                row += [fmt(a), fmt(own), fmt(fpr), fmt(tpr)]
            body.append(row)
        lines += table(header, body)
    if results.get("aggregation"):
        lines += ["", "### Window aggregation (model)", ""]
        w = results["windows"]
        lines.append(
            f"Files longer than one window ({w['max_length']} tokens; {w['multi_window_files']} of the dev files) "
            "are split into windows overlapping by a quarter; these are the ways to turn window logits "
            f"into one file score (ml/windows.py); the detector uses `{w['default']}`."
        )
        lines.append("")
        lines += table(
            ["aggregation", "ROC-AUC", "TPR@1%FPR", "ROC-AUC on multi-window files"],
            [[h, fmt(a), fmt(t), fmt(m)] for h, a, t, m in results["aggregation"]],
        )
    if results.get("loso"):
        lines += ["", "### Leave one source out", ""]
        lines.append(
            "Train on every other source's train rows; test on all rows (train + dev) of the held-out "
            "source. `TPR@1%` re-thresholds on the held-out source's own humans (ranking quality); `FPR`/`TPR` "
            "use the threshold calibrated at 1% FPR on the other sources' dev humans — what a deployed "
            "detector would do on a source it never saw."
        )
        lines.append("")
        header = ["held-out source", "human", "AI"]
        names = list(results["loso"])
        for n in names:
            short = results["short"][n]
            header += [f"{short} AUC", f"{short} TPR@1%", f"{short} FPR", f"{short} TPR"]
        held = results.get("loso_model", {})
        if held:
            header += ["model AUC", "model TPR@1%", "model FPR", "model TPR"]
        sources = [r[0] for r in results["loso"][names[0]]]
        body = []
        for si, src in enumerate(sources):
            first = results["loso"][names[0]][si]
            row = [src, str(first[1]), str(first[2])]
            for n in names:
                _, _, _, a, own, fpr, tpr = results["loso"][n][si]
                row += [fmt(a), fmt(own), fmt(fpr), fmt(tpr)]
            if held:
                h = held.get(src)
                row += [fmt(h[k]) for k in ("roc_auc", "tpr_at_1fpr", "deployed_fpr", "deployed_tpr")] if h else ["–"] * 4
            body.append(row)
        mean_row = ["mean over sources", "", ""]
        for n in names:
            vals = np.array([r[3:] for r in results["loso"][n]], dtype=float)
            mean_row += [fmt(float(np.nanmean(vals[:, k]))) for k in range(4)]
        if held:
            mean_row += [""] * 4
        body.append(mean_row)
        lines += table(header, body)
        for src, h in held.items():
            lines.append(
                f"\nModel columns for {src}: `codeguard train --config configs/default.yaml --holdout-sources {src} "
                f"--output-dir {h['model']}` (the shipped recipe with {src} kept out of training, epoch "
                f"selection and threshold calibration; all {h['files']} of its files, {h['human']} human, "
                "scored as served). Its FPR/TPR are at the run's own `high`, set on the other sources' dev "
                f"humans by its calibration rule (`{h.get('rule', 'pooled')}`; the baseline columns use the pooled 1%)."
            )
        if held:
            lines.append("\nSources without a held-out model run show –.")
    if results.get("importance"):
        lines += ["", "### Which stylometric features matter", ""]
        lines.append(
            "Permutation importance on dev (drop in ROC-AUC when one feature is shuffled, mean of 5 "
            "repeats) for the gradient-boosting baseline, top 15; `AUC alone` is the feature's own "
            "dev ROC-AUC as a score (below 0.5: higher means human)."
        )
        lines.append("")
        lines += table(
            ["feature", "AUC drop", "AUC alone"],
            [[n, fmt(d, 4), fmt(a)] for n, d, a in results["importance"]],
        )
    if results.get("notes"):
        lines += ["", *results["notes"]]
    return "\n".join(lines) + "\n"


def write_section(text: str, doc: Path = DOC, begin: str = BEGIN, end: str = END) -> None:
    """Replace only our marked section; create the file or append the section if absent."""
    block = f"{begin}\n{text}{end}\n"
    if not doc.exists():
        doc.parent.mkdir(parents=True, exist_ok=True)
        doc.write_text("# Benchmarks and evaluations\n\n" + block, encoding="utf-8")
        return
    cur = doc.read_text(encoding="utf-8")
    if begin in cur and end in cur:
        pre, rest = cur.split(begin, 1)
        _, post = rest.split(end, 1)
        doc.write_text(pre + block.rstrip("\n") + post, encoding="utf-8")
    else:
        doc.write_text(cur.rstrip("\n") + "\n\n" + block, encoding="utf-8")


# ---------------------------------------------------------------------------- main


def interval(ci: Any) -> str:
    return f"{fmt(ci[0])}-{fmt(ci[1])}" if ci else "–"


def add_intervals(entry: dict[str, Any], y: np.ndarray, s: np.ndarray, groups: list[str]) -> None:
    """Bootstrap intervals (whole dev tasks resampled) of a pooled row's ROC-AUC and TPR@1%FPR."""
    ci = target_intervals(s, y, groups)
    entry["auc_ci"], entry["tpr1_ci"] = ci["roc_auc"], ci["tpr_at_1fpr"]


def evaluate(rows: list[dict[str, Any]], y: np.ndarray, s: np.ndarray) -> dict[str, Any]:
    t1 = threshold_at_fpr(s[y == 0], 0.01)
    return {
        "auc": auc(y, s),
        "tpr1": tpr_at_fpr(s, y, 0.01),
        "tpr5": tpr_at_fpr(s, y, 0.05),
        "by_source": breakdown(rows, y, s, t1, lambda r: r["source"]),
        "by_language": breakdown(rows, y, s, t1, lambda r: r["language"]),
        "by_length": breakdown(rows, y, s, t1, length_bucket),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--model", default=None, help="model dir (default: models/default)")
    ap.add_argument("--backend", default="torch", choices=["torch", "onnx"])
    ap.add_argument("--skip-model", action="store_true")
    ap.add_argument(
        "--skip-baselines", action="store_true",
        help="score only the model (no baseline rows, importance or leave-one-source-out baselines)",
    )
    ap.add_argument("--no-loso", action="store_true", help="skip the leave-one-source-out baselines")
    ap.add_argument(
        "--baselines-json", default=None, help="reuse baseline results from an earlier --json-out"
    )
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--no-write", action="store_true", help="print the section instead of writing docs")
    ap.add_argument(
        "--heldout-model",
        action="append",
        default=[],
        metavar="DIR",
        help="a model trained with --holdout-sources S: its served numbers on S join the leave-one-source-out "
        "table (read from DIR/training_history.json; repeatable)",
    )
    ap.add_argument("--json-out", default=None, help="also dump raw results (and dev scores) here")
    ap.add_argument(
        "--write-thresholds",
        action="store_true",
        help="recalibrate the model's thresholds.json on dev with the inference path's (windowed) scores",
    )
    args = ap.parse_args(argv)

    t_start = time.time()
    data = Path(args.data)
    train, dev = load(data / "train.jsonl"), load(data / "dev.jsonl")
    ytr = np.array([r["label"] for r in train])
    ydev = np.array([r["label"] for r in dev])
    norm_tr = [plain_layout(r["code"]) for r in train]
    norm_dev = [plain_layout(r["code"]) for r in dev]
    ltr = [r["language"] for r in train]
    ldev = [r["language"] for r in dev]

    results: dict[str, Any] = {"dev": {}, "loso": {}, "short": {}, "notes": []}
    dev_scores: dict[str, list[float]] = {}
    baselines: list[Any] = [CharTfidf(), StyleGB(), EvidenceStack()]
    gtr = [r["group"] for r in train]
    gdev = [r["group"] for r in dev]
    task_keys = [f"{r['source']}:{r['group']}" for r in dev]  # the unit the intervals resample
    feats: dict[str, tuple[Any, Any]] = {}
    loaded = bool(args.baselines_json)
    if args.skip_baselines:
        if loaded or args.skip_model:
            ap.error("--skip-baselines leaves only the model: drop --baselines-json / --skip-model")
        baselines = []
        results["notes"] = ["Baselines not run (--skip-baselines): the model's rows alone."]
    elif loaded:
        # Reuse a previous run's baseline numbers (they do not depend on the model): saves ~30 CPU-minutes.
        prev = json.loads(Path(args.baselines_json).read_text(encoding="utf-8"))
        for b in baselines:
            results["dev"][b.name] = prev["dev"][b.name]
            results["short"][b.name] = prev["short"][b.name]
            dev_scores[b.name] = prev["dev_scores"][b.name]
            if b.name in prev.get("loso", {}):
                results["loso"][b.name] = prev["loso"][b.name]
        results["importance"] = prev.get("importance")
        results["notes"] = [
            f"Baseline rows reused from `{prev['command']}` ({prev['when']}, {prev['seconds']:.0f} s)."
        ]
        print(f"baselines loaded from {args.baselines_json}", flush=True)
    else:
        for b, short in zip(baselines, ["TF-IDF", "style-GB", "evidence"], strict=True):
            t0 = time.time()
            xtr, xdev = b.featurise(norm_tr, ltr, gtr), b.featurise(norm_dev, ldev, gdev)
            feats[b.name] = (xtr, xdev)
            s = b.fit_predict(xtr, ytr, xdev)
            results["dev"][b.name] = evaluate(dev, ydev, s)
            results["short"][b.name] = short
            dev_scores[b.name] = s.tolist()
            r = results["dev"][b.name]
            print(
                f"{b.name}: AUC {r['auc']:.4f} TPR@1% {r['tpr1']:.3f} ({time.time() - t0:.0f}s)", flush=True
            )

        # Which stylometric features matter.
        sg = baselines[1]
        assert isinstance(sg, StyleGB)
        xtr, xdev = feats[sg.name]
        clf = sg.model().fit(xtr, ytr)
        imp = permutation_importance(
            clf, xdev, ydev, scoring="roc_auc", n_repeats=5, random_state=0, n_jobs=1
        )
        order = np.argsort(-imp.importances_mean)[:15]
        results["importance"] = [
            (sg.feature_names[i], float(imp.importances_mean[i]), auc(ydev, xdev[:, i])) for i in order
        ]
        for n, d, a in results["importance"]:
            print(f"  importance {n:28s} {d:.4f} (alone {a:.3f})")

    if not args.skip_model:
        from ml.calibration import calibrate, save_thresholds

        model_dir = args.model or str(ROOT / "models" / "default")
        t0 = time.time()
        det, per_file = model_window_logits(model_dir, args.backend, dev, args.batch)
        results["windows"] = {
            "multi_window_files": int(sum(len(w) > 1 for _, w in per_file)),
            "max_length": det.max_length,
            "default": det.aggregation,
        }
        agg_rows = []
        for how in ("weighted_mean", "mean", "max"):
            s_how = aggregate_all(per_file, how)
            agg_rows.append((how, auc(ydev, s_how), tpr_at_fpr(s_how, ydev, 0.01)))
            if how == det.aggregation:
                s = s_how
        # Long files only: where the aggregation choice actually matters.
        multi = np.array([len(w) > 1 for _, w in per_file])
        results["aggregation"] = [
            (
                how,
                a,
                t,
                auc(ydev[multi], aggregate_all([p for p, m in zip(per_file, multi, strict=True) if m], how)),
            )
            for how, a, t in agg_rows
        ]
        name = f"CodeGuard model ({Path(model_dir).name}, {args.backend})"
        results["dev"][name] = evaluate(dev, ydev, s)
        results["short"][name] = "model"
        dev_scores[name] = s.tolist()
        r = results["dev"][name]
        print(f"{name}: AUC {r['auc']:.4f} TPR@1% {r['tpr1']:.3f} ({time.time() - t0:.0f}s)", flush=True)
        for row in results["aggregation"]:
            print(
                f"  aggregation {row[0]}: AUC {row[1]:.4f} TPR@1% {row[2]:.3f} (multi-window files AUC {row[3]:.4f})"
            )
        if det.evidence is not None:
            # The served logit's two parts (ml.inference.logit_parts): encoder path and evidence term.
            logit = np.log(np.clip(s, 1e-12, 1)) - np.log1p(-np.clip(s, 0, 1 - 1e-12))
            term = det.evidence.matrix([r["code"] for r in dev], ldev).astype(np.float64) @ det.evidence_weights()
            results["model_parts"] = {}
            parts = [("encoder path alone", logit - term), ("file-evidence term alone", term)]
            if det.encoder_free_bias is not None:  # weight 0: the encoder path is one constant, nothing to rank
                results["encoder_free_bias"] = det.encoder_free_bias
                parts = parts[1:]
            for part, v in parts:
                results["model_parts"][f"{name}: {part} (part)"] = {
                    "auc": auc(ydev, v), "tpr1": tpr_at_fpr(v, ydev, 0.01), "tpr5": tpr_at_fpr(v, ydev, 0.05)}
                add_intervals(results["model_parts"][f"{name}: {part} (part)"], ydev, v, task_keys)
                print(f"  {part}: AUC {auc(ydev, v):.4f} TPR@1% {tpr_at_fpr(v, ydev, 0.01):.3f}", flush=True)
        if args.write_thresholds:
            cal = calibrate(s, ydev)
            save_thresholds(
                model_dir,
                cal,
                extra={
                    "calibrated_on": "aigen/dev.jsonl",
                    "scored_with": f"ml.inference ({args.backend}), windows of {det.max_length} tokens, "
                    f"aggregation {det.aggregation}",
                },
            )
            print(f"  wrote thresholds to {model_dir}: {cal['levels']}")

    if not args.no_loso and not loaded:
        src_all = np.array([r["source"] for r in train] + [r["source"] for r in dev])
        split_all = np.array([0] * len(train) + [1] * len(dev))
        y_all = np.concatenate([ytr, ydev])
        sources = sorted(set(src_all.tolist()), key=lambda x: -(src_all == x).sum())
        for b in baselines:
            xtr, xdev = feats[b.name]
            x_all = _vstack(xtr, xdev)
            out = []
            for src in sources:
                test = src_all == src
                if len(set(y_all[test].tolist())) < 2:
                    continue
                trn = (~test) & (split_all == 0)
                cal = (~test) & (split_all == 1)
                t0 = time.time()
                sc = b.fit_predict(x_all[np.flatnonzero(trn)], y_all[trn], x_all[np.flatnonzero(test | cal)])
                idx_test = np.flatnonzero(test | cal)
                is_test = test[idx_test]
                s_test, y_test = sc[is_test], y_all[idx_test][is_test]
                s_cal, y_cal = sc[~is_test], y_all[idx_test][~is_test]
                thr = threshold_at_fpr(s_cal[y_cal == 0], 0.01)
                fpr, tpr = rates_at_threshold(s_test, y_test, thr)
                own = tpr_at_fpr(s_test, y_test, 0.01) if (y_test == 0).sum() >= 20 else float("nan")
                row = (
                    src,
                    int((y_test == 0).sum()),
                    int((y_test == 1).sum()),
                    auc(y_test, s_test),
                    own,
                    fpr,
                    tpr,
                )
                out.append(row)
                print(
                    f"  LOSO {b.name} {src}: AUC {row[3]:.3f} own {row[4]:.3f} FPR {fpr:.3f} TPR {tpr:.3f} "
                    f"({time.time() - t0:.0f}s)",
                    flush=True,
                )
            results["loso"][b.name] = out

    for held_dir in args.heldout_model:
        hist = json.loads((Path(held_dir) / "training_history.json").read_text(encoding="utf-8"))
        h = hist.get("heldout_served")
        if not h:
            raise SystemExit(f"{held_dir}: training_history.json has no heldout_served (train with --holdout-sources)")
        rule = hist.get("config", {}).get("calibration_rule", "pooled")
        for src in h["sources"]:
            results.setdefault("loso_model", {})[src] = {**h, "model": held_dir, "rule": rule}

    for name, scores in dev_scores.items():
        add_intervals(results["dev"][name], ydev, np.asarray(scores, dtype=np.float64), task_keys)

    results["command"] = (
        "python -m benchmarks.eval_aigen"
        + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    )
    results["when"] = time.strftime("%Y-%m-%d")
    results["seconds"] = time.time() - t_start
    text = section(results)
    if args.json_out:
        Path(args.json_out).write_text(
            json.dumps({**results, "dev_scores": dev_scores}, indent=1), encoding="utf-8"
        )
    if args.no_write:
        print(text)
    else:
        write_section(text)
        print(f"wrote section to {DOC}")
    return 0


def _vstack(a: Any, b: Any) -> Any:
    if isinstance(a, np.ndarray):
        return np.vstack([a, b])
    if isinstance(a, GroupedInputs):
        style = np.vstack([a.inputs.style, b.inputs.style]) if a.inputs.style is not None else None
        counts = _vstack(a.inputs.counts, b.inputs.counts) if a.inputs.counts is not None else None
        return GroupedInputs(EvidenceInputs(style, counts), np.concatenate([a.groups, b.groups]))
    import scipy.sparse as sp

    return sp.vstack([a, b]).tocsr()


if __name__ == "__main__":
    sys.exit(main())
