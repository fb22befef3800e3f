"""The scan pipeline, in one place: Submissions in, Report out.

Every entry point (the `codeguard scan` command, the demo, later the bot's jobs) calls
`analyze`, so what a report contains never depends on where the code came from.

Stages, in order:
1. structural fingerprints per submission (`ml.structural`; cacheable per submission),
2. per-file AI-generated risk: not computed yet, so `FileRisk.ai_score` and
   `risk_level` are None (the neural model's classifier head fills them here),
3. pairs: structural similarity and fragments; `semantic` is None and
   `similarity` equals `structural` until the embedding head blends in here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

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
from ml.submission import FileRisk, Report, Skipped, Submission


@dataclass(frozen=True)
class AnalysisOptions:
    k: int = DEFAULT_K
    window: int = DEFAULT_WINDOW
    max_share: float | None = None
    min_similarity: float = 0.0
    top: int | None = None
    # Stage 2 inputs (bot/jobs.py passes them already): the loaded detector and whether
    # AI-risk scoring is wanted. Until the classifier stage is wired in here they do
    # not change the report: ai_score stays None ("not assessed").
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
    return Report(files=files, pairs=pairs, skipped=all_skipped, model_version=None, settings=settings)
