"""RQ job functions: fetch → analyse → post → remember, for one PR/MR.

Each job rebuilds what it needs from the environment (settings, Redis, the platform
client) and reuses what is expensive per process (the model, via `load_model`, which the
worker calls once at start-up). A job that raises is retried by RQ (bot.queue) and, when
retries run out, stays in RQ's failed registry; either way the PR gets a neutral
"analysis did not complete" status first, so a failure is never silent.

Nothing here logs file contents: logs carry repository, PR number, SHA and counts only.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import redis
from rq import get_current_job

from bot import comment as comments
from bot import predictions
from bot.corpus import Corpus, scope_for, submission_name
from bot.feedback import FeedbackExample, FeedbackStore
from bot.feedback import feedback_dir as _feedback_dir
from bot.history import AuthorHistory, AuthorWork, with_relative
from bot.platforms import client_for
from bot.platforms.base import PlatformClient
from bot.queue import ChangeRef, model_version, release_finished, work_key
from bot.redis_conn import connect
from bot.repo_config import CONFIG_PATH, RepoConfig, parse
from bot.settings import Settings
from ml.submission import Report, Submission
from webhooks import metrics

log = logging.getLogger("codeguard.jobs")

TRAINING_REQUESTS = "codeguard:training:requests"
RETRAIN_MARKER = "codeguard:retrain"

_model_lock = threading.Lock()
_model: dict[str, Any] = {}


# ------------------------------------------------------------------------------ model


def feedback_dir_for(settings: Settings) -> Path:
    """CODEGUARD_FEEDBACK_DIR, else <models dir>/feedback (gitignored: it holds student code)."""
    return _feedback_dir({**os.environ, "CODEGUARD_MODELS_DIR": settings.models_dir})


def load_model(settings: Settings, key: str | None = None) -> Any | None:
    """The process's detector (None: structural only). Loaded once, then reused by every job.

    `CODEGUARD_MODEL=none` never loads one; `default` or a directory loads it through
    ml.inference's per-process cache. A missing artifact degrades to structural analysis
    with a warning (the comment then says "AI risk: not assessed"), it does not fail jobs.

    Hot reload: with `default`, the directory is the registry's current version (or, for
    submission `key`, the A/B candidate), looked up at every job, so a promotion or rollback
    is picked up between jobs without a restart; the two most recent models stay loaded.
    """
    directory = settings.model_dir()
    if directory is None:
        return None
    if key is not None and settings.model.lower() == "default":
        from ml.ab import serving_dir
        from ml.registry import Registry

        routed = serving_dir(Registry(Path(settings.models_dir) / "registry"), key)
        directory = str(routed) if routed is not None else directory
    with _model_lock:
        if directory in _model:
            return _model[directory]
        if len(_model) >= 2:
            from ml.inference import clear_cache

            evicted = next(iter(_model))
            _model.pop(evicted)
            clear_cache()  # the kept detectors stay referenced by _model
            log.info("switching models: loading %s, unloading %s", directory, evicted)
        detector: Any | None
        try:
            from ml.inference import InferenceError, get_detector

            try:
                detector = get_detector(directory)
                detector.load_encoder()  # jobs need embeddings: load (or fail) here, not mid-job
            except (InferenceError, OSError) as exc:
                log.warning("model at %s not loaded (%s); analysing structurally", directory, exc)
                detector = None
        except ImportError as exc:  # pragma: no cover - packaging problem
            log.warning("ml.inference unavailable (%s); analysing structurally", exc)
            detector = None
        _model[directory] = detector
        return detector


def run_analysis(
    target: Submission,
    others: list[Submission],
    base: list[Submission],
    config: RepoConfig,
    settings: Settings,
    history: Callable[[str, str], Sequence[float]] | None = None,
) -> Report:
    """The one call into the analysis engine (bot.analysis), restricted to `target`.

    `history(model_version, language)`: the target author's earlier AI scores in that language
    by that model (bot.history); with it, each scored file also gets its level against that
    person's own work, from the same detector that scored it."""
    from bot import analysis

    key = predictions.submission_key(target.scope.split(":", 1)[0], target.name) if target.scope else target.name
    detector = load_model(settings, key) if config.ai_detection else None
    report: Report = analysis.analyze(
        [target, *others],
        base=base,
        options=analysis.AnalysisOptions(detector=detector, ai=config.ai_detection and detector is not None),
    )
    if detector is not None and config.ai_explain:
        # The comment explains this submission's high-risk files only (its author's own code).
        analysis.explain_files(report, [target], detector, lambda r: comments.level_for(r, config) == "high")
    if detector is not None and not report.model_version:
        report.model_version = str(getattr(detector, "model_version", "") or "") or None
    ours = restrict_to(report, target.name)
    if detector is not None and history is not None:
        with_relative(ours, detector, history)
    return ours


def _strip(label: str, name: str) -> str:
    # Reports name files "<submission>/<path>" (ml.structural.file_label).
    return label[len(name) + 1:] if label.startswith(name + "/") else label


def restrict_to(report: Report, name: str) -> Report:
    """Keep only what concerns submission `name`, with its paths relative to the PR again."""
    files = [replace(f, path=_strip(f.path, name)) for f in report.files
             if f.path.startswith(name + "/") or f.path == name]
    pairs = []
    for pair in report.pairs:
        if name not in (pair.a, pair.b):
            continue
        other = pair.b if pair.a == name else pair.a
        pair.fragments = [replace(fr, a_path=_strip(_strip(fr.a_path, name), other),
                                  b_path=_strip(_strip(fr.b_path, name), other)) for fr in pair.fragments]
        pairs.append(pair)
    skipped = [replace(s, path=_strip(s.path, name)) for s in report.skipped
               if s.path.startswith(name + "/") or s.path.startswith("base code:")]
    return Report(files=files, pairs=pairs, skipped=skipped, model_version=report.model_version,
                  settings=report.settings)


# ------------------------------------------------------------------------------ context


@dataclass
class JobContext:
    settings: Settings
    conn: redis.Redis

    @classmethod
    def current(cls) -> JobContext:
        settings = Settings.from_env()
        job = get_current_job()
        conn = job.connection if job is not None else connect(settings)
        return cls(settings, conn)


def _client(ctx: JobContext, ref: ChangeRef) -> PlatformClient:
    return client_for(ctx.settings, ref)


def _will_retry() -> bool:
    job = get_current_job()
    return bool(job is not None and (job.retries_left or 0) > 0)


def _report_failure(client: PlatformClient | None, sha: str | None, ref: ChangeRef) -> None:
    if client is None or not sha:
        return
    try:
        client.set_status(sha, "error", comments.failure_text(_will_retry()))
    except Exception as exc:  # the API may be what failed; the job's own error is re-raised
        log.warning("could not post failure status on %s: %s", ref.label, type(exc).__name__)


def _timed(kind: str, ctx: JobContext, func: Any) -> Any:
    started = time.perf_counter()
    outcome = "failed"
    try:
        result = func()
        outcome = str(result.get("status", "done")) if isinstance(result, dict) else "done"
        return result
    finally:
        try:
            metrics.observe_job(ctx.conn, kind, outcome, time.perf_counter() - started)
        except redis.RedisError:
            pass


# ------------------------------------------------------------------------------ analysis


def _analyse(ctx: JobContext, ref: ChangeRef, expected_head: str | None, *, force: bool) -> dict[str, Any]:
    settings = ctx.settings
    client: PlatformClient | None = None
    head = expected_head
    try:
        client = _client(ctx, ref)
        info = client.change()
        if info.state != "open":
            return {"status": "skipped", "reason": f"change is {info.state}"}
        if expected_head and info.head_sha != expected_head and not force:
            # A newer push has (or will get) its own job; posting this would be stale.
            return {"status": "superseded", "head": info.head_sha}
        head = info.head_sha
        config = parse(client.read_file(CONFIG_PATH, info.default_branch))
        client.set_status(head, "pending", "CodeGuard analysis running")
        fetched = client.changed_files(head, config)
        base: list[Submission] = []
        if config.base_code:
            base_files = client.files_under(config.base_code, info.default_branch, config)
            if base_files.files:
                base = [Submission("base-code", base_files.files)]
        scope = scope_for(ref, config)
        name = submission_name(ref)
        corpus = Corpus(ctx.conn)
        submission = Submission(name, fetched.files, scope=scope, author=info.author)
        others = corpus.load(scope, exclude=name)
        version = model_version(settings) if config.ai_detection else "structural"
        history = _author_history(ctx.conn, ref, config, info.author)
        if submission.files:
            report = run_analysis(submission, others, base, config, settings,
                                  history=history.lookup if history else None)
            version = report.model_version or version
        else:
            report = Report(model_version=version)
        if history is not None:
            history.keep(report)  # this head's scores now stand for the PR (none: its entry goes)
        report.skipped = list(fetched.skipped) + [s for s in report.skipped if s not in fetched.skipped]
        cctx = comments.CommentContext(name, ref.repo, ref.platform, head, version, config, web_url=info.web_url)
        posted = None
        if config.mode == "comment":
            posted = client.upsert_comment(settings.comment_marker, comments.render(report, cctx))
            metrics.count_comment(ctx.conn, ref.platform, posted)
        if submission.files and report.model_version not in (None, "structural"):
            try:
                predictions.record(ctx.conn, version, predictions.submission_key(ref.platform, ref.label),
                                   report.files, head_sha=head)
            except redis.RedisError as exc:  # monitoring must not fail the analysis
                log.warning("prediction log not written: %s", type(exc).__name__)
        state, line = comments.summary(report, cctx)
        client.set_status(head, state, line)
        if submission.files:
            corpus.store(scope, submission, head)
        log.info("analysed %s at %s: %d files, %d skipped, %d pairs, comment %s",
                 ref.label, head[:12], len(report.files), len(report.skipped), len(report.pairs), posted)
        return {"status": "done", "head": head, "comment": posted, "files": len(report.files),
                "skipped": len(report.skipped), "pairs": len(report.pairs), "summary": line}
    except Exception:
        _report_failure(client, head, ref)
        raise


def _author_history(conn: redis.Redis, ref: ChangeRef, config: RepoConfig, author: str) -> AuthorWork | None:
    """The PR author's history (bot.history), seen from this PR: kept per organisation for
    assignment-scoped (classroom) repositories, where one course spans many repositories, else
    per repository."""
    if not (config.author_history and config.ai_detection and author):
        return None
    place = ref.owner if config.scope == "assignment" and ref.owner else ref.repo
    return AuthorWork(AuthorHistory(conn), f"{ref.platform}:{place}", author, submission_name(ref))


def analyze_change(task: dict[str, Any]) -> dict[str, Any]:
    ctx = JobContext.current()
    ref = ChangeRef.from_dict(task["ref"])
    return _timed("analyze", ctx, lambda: _analyse(ctx, ref, task.get("head_sha"), force=False))  # type: ignore[no-any-return]


def recheck_change(task: dict[str, Any]) -> dict[str, Any]:
    """`/codeguard recheck`: honoured only for users with write access (checked here, via the API)."""
    ctx = JobContext.current()
    ref = ChangeRef.from_dict(task["ref"])
    params = task.get("params") or {}
    user = str(params.get("requested_by", ""))

    def run() -> dict[str, Any]:
        client = _client(ctx, ref)
        if not client.can_write(user, params.get("user_id")):
            log.info("recheck on %s ignored: requester lacks write access", ref.label)
            return {"status": "denied", "user": user}
        info = client.change()
        # Free the finished analysis job of this head so its id (work key) shows this run.
        release_finished(ctx.conn, work_key(ref.platform, ref.repo, ref.number, info.head_sha, model_version(ctx.settings)))
        return _analyse(ctx, ref, info.head_sha, force=True)

    return _timed("recheck", ctx, run)  # type: ignore[no-any-return]


def store_feedback(task: dict[str, Any]) -> dict[str, Any]:
    """`codeguard:ai` / `codeguard:human` label: keep the PR's files as labelled examples."""
    ctx = JobContext.current()
    ref = ChangeRef.from_dict(task["ref"])
    params = task.get("params") or {}
    label = str(params.get("label", ""))

    def run() -> dict[str, Any]:
        client = _client(ctx, ref)
        info = client.change()
        config = parse(client.read_file(CONFIG_PATH, info.default_branch))
        head = task.get("head_sha") or info.head_sha
        fetched = client.changed_files(head, config)
        who = str(params.get("requested_by", ""))
        where = f"{ref.platform}:{ref.label}"
        added = FeedbackStore(ctx.conn, feedback_dir_for(ctx.settings)).add(
            FeedbackExample(f.text, f.language, label, who=who, where=where, path=f.path, head_sha=head,
                            submission_key=predictions.submission_key(ref.platform, ref.label))
            for f in fetched.files)
        stored = len(fetched.files)
        log.info("stored %d %s-labelled files from %s at %s (%d new, %d relabelled)", stored, label, ref.label,
                 head[:12], added.added, added.relabelled)
        return {"status": "done", "label": label, "files": stored, "added": added.added,
                "relabelled": added.relabelled, "skipped": len(fetched.skipped)}

    return _timed("feedback", ctx, run)  # type: ignore[no-any-return]


def request_retraining(task: dict[str, Any]) -> dict[str, Any]:
    """`codeguard:retrain` label: retrain on the feedback, gate, comment (bot.retrain)."""
    from bot.retrain import handle

    return handle(task)
