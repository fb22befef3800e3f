"""RQ queues and the work key that makes every analysis idempotent.

Three queues: `gpu` and `cpu` run analyses (which one is `CODEGUARD_ANALYSIS_QUEUE`),
`training` runs retraining requests. The web app only builds a `Task` and enqueues it
here; job functions are referenced by dotted name so the web process never imports the
analysis or model code.

A task's job id is derived from its work key (platform, repository, PR/MR number, head
SHA, model version) and enqueued with RQ's atomic `unique=True`: a second delivery for the
same head commit (a GitLab retry with a fresh event id, an `opened` racing a
`synchronize`) finds the job id taken and is dropped, whether the first job is queued,
running or finished within `CODEGUARD_RESULT_TTL`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from bot.settings import QUEUE_NAMES, Settings

JOB_FUNCS = {
    "analyze": "bot.jobs.analyze_change",
    "recheck": "bot.jobs.recheck_change",
    "feedback": "bot.jobs.store_feedback",
    "retrain": "bot.jobs.request_retraining",
}


@dataclass(frozen=True)
class ChangeRef:
    """Where a pull/merge request lives; enough for a worker to reach it through the API."""

    platform: str  # "github" | "gitlab"
    repo: str  # "owner/name" (GitHub) or path_with_namespace (GitLab)
    number: int  # PR number / MR iid
    project_id: int | None = None  # GitLab project id (the API addresses projects by id)
    installation_id: int | None = None  # GitHub App installation that sent the event
    owner: str = ""  # org / namespace, for assignment-prefix scopes

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChangeRef:
        return cls(**data)

    @property
    def label(self) -> str:
        sep = "!" if self.platform == "gitlab" else "#"
        return f"{self.repo}{sep}{self.number}"


@dataclass(frozen=True)
class Task:
    """One unit of work produced by a webhook delivery."""

    kind: str  # key of JOB_FUNCS
    ref: ChangeRef
    head_sha: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


_SAFE = re.compile(r"[^A-Za-z0-9_-]+")


def model_version(settings: Settings) -> str:
    """The version string that goes into work keys and comments.

    Read from the artifact's config.json without loading the model, so the web process
    can build work keys; a new model version re-analyses a PR whose head did not move.
    """
    directory = settings.model_dir()
    if directory is None:
        return "structural"
    cfg = Path(directory) / "config.json"
    try:
        raw = cfg.read_bytes()
    except OSError:
        return "structural"  # no artifact: workers fall back to structural analysis
    try:
        data = json.loads(raw)
    except ValueError:
        data = {}
    # Same rule as ml.inference.CodeDetectorInference.model_version.
    version = (data.get("model_version") or data.get("version")) if isinstance(data, dict) else None
    return str(version or Path(directory).name)


def work_key(platform: str, repo: str, number: int, head_sha: str, version: str) -> str:
    """An RQ-valid job id (letters, digits, _ and -) that is unique per analysis."""
    exact = json.dumps([platform, repo, number, head_sha, version])
    digest = hashlib.sha256(exact.encode()).hexdigest()[:12]
    slug = _SAFE.sub("_", repo)[:60]
    return f"analysis-{platform}-{slug}-{number}-{head_sha[:12]}-{digest}"


def task_job_id(task: Task, settings: Settings) -> str:
    ref = task.ref
    if task.kind == "analyze":
        if not task.head_sha:
            raise ValueError("an analysis task needs the head SHA")
        return work_key(ref.platform, ref.repo, ref.number, task.head_sha, model_version(settings))
    # Commands and labels: one job per triggering comment / label event.
    trigger = str(task.params.get("trigger_id", ""))
    exact = json.dumps([task.kind, ref.platform, ref.repo, ref.number, trigger])
    digest = hashlib.sha256(exact.encode()).hexdigest()[:16]
    return f"{task.kind}-{ref.platform}-{_SAFE.sub('_', ref.repo)[:60]}-{ref.number}-{digest}"


def queue_for(task: Task, settings: Settings) -> str:
    return "training" if task.kind == "retrain" else settings.analysis_queue


def get_queue(name: str, connection: redis.Redis, settings: Settings) -> Queue:
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}; use one of {', '.join(QUEUE_NAMES)}")
    return Queue(name, connection=connection, default_timeout=settings.job_timeout_s)


def job_retry(settings: Settings) -> Retry | None:
    if settings.job_retries <= 0:
        return None
    intervals = list(settings.job_retry_intervals_s) or [0]
    return Retry(max=settings.job_retries, interval=intervals)


@dataclass(frozen=True)
class Enqueued:
    job_id: str
    queue: str
    duplicate: bool


def enqueue(connection: redis.Redis, settings: Settings, task: Task, *, delivery: str = "") -> Enqueued:
    """Enqueue `task` unless its job id is already taken. Raises redis errors as-is."""
    job_id = task_job_id(task, settings)
    queue_name = queue_for(task, settings)
    queue = get_queue(queue_name, connection, settings)
    payload = {"ref": task.ref.to_dict(), "head_sha": task.head_sha, "params": task.params}
    try:
        queue.enqueue_call(
            JOB_FUNCS[task.kind],
            kwargs={"task": payload},
            job_id=job_id,
            unique=True,
            result_ttl=settings.result_ttl_s,
            failure_ttl=settings.result_ttl_s,
            timeout=settings.job_timeout_s,
            retry=job_retry(settings),
            description=f"{task.kind} {task.ref.label} {(task.head_sha or '')[:12]}".strip(),
            meta={"delivery": delivery, "kind": task.kind},
        )
    except DuplicateJobError:
        return Enqueued(job_id, queue_name, duplicate=True)
    return Enqueued(job_id, queue_name, duplicate=False)


def release_finished(connection: redis.Redis, job_id: str) -> bool:
    """Free a finished/failed job id so a forced re-run (recheck) can take it.

    A job still queued or running keeps its id: the recheck would only repeat it.
    """
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return True
    status = job.get_status(refresh=True)
    if status in (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELED, JobStatus.STOPPED):
        job.delete()
        return True
    return False


def queue_depths(connection: redis.Redis) -> dict[str, int]:
    return {name: Queue(name, connection=connection).count for name in QUEUE_NAMES}
