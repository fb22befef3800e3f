"""The scan pipeline, in one place: Submissions in, Report out.

Every entry point (the `codeguard scan` command, the demo, later the bot's jobs) calls
`analyze`, so what a report contains never depends on where the code came from.

Stages, in order:
1. structural fingerprints per submission (`ml.structural`; cacheable per submission),
2. per-file AI-generated risk from the dual-head model's classifier head, when a
   detector is given and `ai` is on (else `ai_score`/`risk_level` stay None: "not
   assessed"),
3. pairs: structural similarity and fragments; with a detector, `semantic` is the
   cosine of the two submissions' embeddings (projection head) mapped to [0, 1], and
   `similarity` blends the two only where the model directory carries a blend fitted
   on the plagiarism training pairs (`ml.blend`); otherwise it stays `structural`.
   The model runs once per file: embeddings and AI scores come from one pass.
4. optionally, `explain_files`: why the files a reviewer is pointed at scored as they did
   (ml/explain.py). Separate from `analyze` because only the caller knows which files its
   reader will see (a PR comment shows one submission's flagged files, a scan all of them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ml.blend import load_blend, semantic_score
from ml.calibration import level_thresholds
from ml.structural import (
    DEFAULT_K,
    DEFAULT_WINDOW,
    PRINT_VERSION,
    SubmissionPrint,
    compare_prints,
    file_label,
    fingerprint_many,
    fingerprint_submission,
)
from ml.submission import FileRisk, PairMatch, Report, Skipped, Submission


@dataclass(frozen=True)
class AnalysisOptions:
    k: int = DEFAULT_K
    window: int = DEFAULT_WINDOW
    max_share: float | None = None
    min_similarity: float = 0.0
    top: int | None = None
    # The loaded detector (ml.inference.CodeDetectorInference, or None for structural
    # only) and whether AI-risk scores are wanted (a repository may switch them off while
    # still using the embeddings for the semantic score).
    detector: Any | None = None
    ai: bool = False

    def __post_init__(self) -> None:
        if self.k < 1 or self.window < 1:
            raise ValueError("k and window must be at least 1")
        if self.max_share is not None and not 0 < self.max_share <= 1:
            raise ValueError("max_share must be in (0, 1]")
        if not 0 <= self.min_similarity <= 1:
            raise ValueError("min_similarity must be in [0, 1]")


def analyze(
    submissions: Sequence[Submission],
    *,
    base: Sequence[Submission] = (),
    options: AnalysisOptions | None = None,
    skipped: Sequence[Skipped] = (),
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Run the whole scan. `skipped` (e.g. from the loader) is carried into the report.

    `progress(n)` is called after each submission is fingerprinted (the slow part).
    """
    opts = options or AnalysisOptions()
    prints: list[SubmissionPrint] = []
    all_skipped = list(skipped)
    files: list[FileRisk] = []
    for sub, sub_print in zip(
        submissions,
        fingerprint_many(submissions, k=opts.k, window=opts.window, progress=progress),
        strict=True,
    ):
        all_skipped.extend(sub_print.skipped)
        # Stage 2 seam: the classifier head scores each file here (ai_score, risk_level).
        files.extend(
            FileRisk(path=file_label(sub.name, f.path), language=f.language, ai_score=None, risk_level=None)
            for f in sub_print.files
        )
        if sub_print.files:
            prints.append(sub_print)
    base_prints = []
    for b in base:
        b_print = fingerprint_submission(b, k=opts.k, window=1)
        all_skipped.extend(Skipped(f"base code: {s.path}", s.reason) for s in b_print.skipped)
        base_prints.append(b_print)
    # Stage 3 seam: the embedding head adds PairMatch.semantic and blends `similarity`.
    pairs = compare_prints(
        prints,
        base=base_prints,
        max_share=opts.max_share,
        min_similarity=opts.min_similarity,
        top=opts.top,
    )
    settings: dict[str, Any] = {
        "k": opts.k,
        "window": opts.window,
        "max_share": opts.max_share,
        "min_similarity": opts.min_similarity,
        "top": opts.top,
        "engine": "structural",
        "print_version": PRINT_VERSION,
    }
    settings["submissions"] = len(prints)
    settings["base_files"] = sum(len(b.files) for b in base_prints)
    model_version = None
    if opts.detector is not None:
        files, pairs = _model_stage(submissions, files, pairs, opts.detector, ai=opts.ai)
        model_version = str(getattr(opts.detector, "model_version", "") or "") or None
        settings["engine"] = "structural+neural"
        settings["thresholds"] = _threshold_values(opts.detector)
        blend = load_blend(getattr(opts.detector, "model_dir", None))
        settings["similarity"] = blend.describe() if blend else "structural"
        if blend:
            for pair in pairs:
                if pair.semantic is not None:
                    pair.similarity = blend.combine(pair.structural, pair.semantic)
            pairs.sort(key=lambda p: -p.similarity)
            pairs = [p for p in pairs if p.similarity >= opts.min_similarity]
    return Report(files=files, pairs=pairs, skipped=all_skipped, model_version=model_version, settings=settings)


def _threshold_values(detector: Any) -> dict[str, float]:
    """The calibrated cut-offs, for reports that draw them (numbers only)."""
    raw = getattr(detector, "thresholds", None)
    cuts = dict(level_thresholds(raw)) if raw else {}
    return {level: cuts[level] for level in ("medium", "high") if level in cuts}


def _model_stage(
    submissions: Sequence[Submission],
    files: list[FileRisk],
    pairs: list[PairMatch],
    detector: Any,
    *,
    ai: bool,
) -> tuple[list[FileRisk], list[PairMatch]]:
    """AI risk per analysed file and a semantic score per reported pair, in one model pass.

    Only files the structural stage analysed are scored (skipped files stay skipped). A
    submission's embedding is the length-weighted mean of its files' embeddings, so a
    folder submission is compared as one unit, as the structural score does.
    """
    texts: dict[str, tuple[str, str]] = {}
    owner: dict[str, str] = {}
    for sub in submissions:
        for f in sub.files:
            label = file_label(sub.name, f.path)
            texts[label] = (f.text, f.language)
            owner[label] = sub.name
    labels = [r.path for r in files if r.path in texts]
    if not labels:
        return files, pairs
    codes = [texts[label][0] for label in labels]
    languages = [texts[label][1] for label in labels]
    embeddings, scores = detector.analyse(codes, languages)
    by_label = {label: i for i, label in enumerate(labels)}
    if ai:
        scored = {label: float(scores[i]) for label, i in by_label.items()}
        files = [
            FileRisk(r.path, r.language, scored[r.path], detector.level(scored[r.path])) if r.path in scored else r
            for r in files
        ]
    sums: dict[str, np.ndarray] = {}
    for label, i in by_label.items():
        weight = max(1, len(texts[label][0]))
        sums[owner[label]] = sums.get(owner[label], 0) + weight * embeddings[i]
    unit = {name: v / (np.linalg.norm(v) or 1.0) for name, v in sums.items()}
    for pair in pairs:
        if pair.a in unit and pair.b in unit:
            pair.semantic = semantic_score(unit[pair.a], unit[pair.b])
    return files, pairs


EXPLAIN_BATCH = 16


def explain_files(
    report: Report,
    submissions: Sequence[Submission],
    detector: Any,
    wanted: Callable[[FileRisk], bool],
) -> int:
    """Attach an explanation (ml/explain.py) to each scored file of `submissions` that `wanted`
    accepts; returns how many were explained. About 0.07 s a file on a 2-core CPU, which is why
    only the files a reader is pointed at are explained, not every file a scan scores."""
    texts = {file_label(sub.name, f.path): (f.text, f.language) for sub in submissions for f in sub.files}
    chosen = [i for i, r in enumerate(report.files) if r.path in texts and r.ai_score is not None and wanted(r)]
    for start in range(0, len(chosen), EXPLAIN_BATCH):
        batch = chosen[start : start + EXPLAIN_BATCH]
        pairs = [texts[report.files[i].path] for i in batch]
        found = detector.explain([code for code, _ in pairs], [lang for _, lang in pairs])
        for i, ex in zip(batch, found, strict=True):
            report.files[i] = replace(report.files[i], explanation=ex)
    return len(chosen)
