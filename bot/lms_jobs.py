"""RQ jobs for LMS submissions: fetch → unpack → analyse → one grade note → remember.

Same queue, same retry policy, same corpus and analysis call as the PR bot (bot.jobs,
bot.queue, bot.corpus); only the platform adapters differ (Moodle REST, canvasapi).

Scope: one assignment (`moodle:<site>/course/5/assign/31`), optionally plus the scopes of
earlier offerings listed in the course file. Every submission of the scope is kept in
the corpus (latest upload per student), and each new upload is compared with everything
stored before it: a late submission therefore meets the whole class. Because the first
submitters had nobody to be compared with, a new upload that matches an earlier one
above the threshold also refreshes that earlier student's note (from the stored copy,
without downloading again; a refresh never triggers further refreshes). Template code
configured per assignment is passed to the analysis as base code, so matches inside it
do not count.

Exactly one note per submission: Moodle keeps one feedback comment per attempt (saving
replaces it), Canvas gets one comment of ours found again by its marker and edited in
place. Push and pull may both see the same upload: a per-submission Redis lock plus a
"done" marker (upload version + model) makes the second one a no-op.

Errors an administrator must fix (a token Moodle/Canvas rejects, a missing capability,
a broken course file) fail the job at once, without retries, into RQ's failed registry,
with the admin message in the exception and in `job.meta["error"]`; anything else
(timeouts, 5xx) is retried by RQ as for the PR bot. Nothing logs file contents or notes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from rq import get_current_job

from bot.archive import archive_kind, is_archive_name, unpack
from bot.history import AuthorHistory, AuthorWork
from bot.lms_config import AssignmentConfig, LmsConfigError, LmsSettings, course_scope_name, scope_name
from bot.lms_note import EARLIER_SEP, NoteContext, decide, render_html, render_text
from bot.loader import load_base, without_tool_files
from bot.notebook import raw_limit
from bot.online_text import html_text
from bot.platforms.base import GENERATED_NAME, decode
from bot.queue import get_queue, job_retry, model_version
from bot.settings import Settings
from bot.sourcetext import NOT_CODE, text_as_code, too_large
from bot.tool_paths import MINIFIED, is_minified
from ml.languages import language_for_path, spec_for
from ml.submission import Report, Skipped, SourceFile, Submission

log = logging.getLogger("codeguard.lms")

ANALYZE_FUNC = "bot.lms_jobs.analyze_lms_submission"
POLL_FUNC = "bot.lms_jobs.poll_job"
META_PREFIX = "codeguard:lms:meta"  # hash per scope: submission name -> JSON (ids, version)
DONE_PREFIX = "codeguard:lms:done"  # per scope+name: "<version>|<model>" of the posted note
LOCK_PREFIX = "codeguard:lms:lock"
POLL_PREFIX = "codeguard:lms:poll"  # per scope: start time of the last successful poll
POLL_OVERLAP_S = 120  # re-read a little before the last poll: clocks and slow commits


class LmsAccessError(RuntimeError):
    """The LMS refused our token or permissions (Canvas); the message says what to fix."""

    permanent = True


@dataclass(frozen=True)
class LmsTask:
    platform: str  # "moodle" | "canvas"
    base_url: str
    course: str
    assignment: str  # the course file's key: Moodle course-module id, Canvas assignment id
    user_id: str | None = None
    submission_id: str | None = None  # Moodle assign_submission id (push)
    since: int = 0  # Moodle push: where to start looking (the event's time, minus slack)
    trigger: str = "poll"  # push | poll | refresh
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LmsTask:
        return cls(**data)

    @property
    def scope(self) -> str:
        return scope_name(self.platform, self.base_url, self.course, self.assignment)


def job_id_for(task: LmsTask, key: str) -> str:
    """RQ job id from a dedupe key: the same upload seen twice maps to one job."""
    digest = hashlib.sha256(json.dumps([task.scope, key]).encode()).hexdigest()[:20]
    return f"lms-{task.platform}-{task.course}-{task.assignment}-{digest}"


def enqueue_task(conn: redis.Redis, settings: Settings, task: LmsTask, key: str, *, delivery: str = "") -> tuple[str, bool]:
    """(job id, duplicate?). Raises redis errors as they are (the web app answers 503)."""
    from rq.exceptions import DuplicateJobError

    job_id = job_id_for(task, key)
    queue = get_queue(settings.analysis_queue, conn, settings)
    try:
        queue.enqueue_call(
            ANALYZE_FUNC, kwargs={"task": task.to_dict()}, job_id=job_id, unique=True,
            result_ttl=settings.result_ttl_s, failure_ttl=settings.result_ttl_s, timeout=settings.job_timeout_s,
            retry=job_retry(settings), description=f"lms {task.trigger} {task.scope} {task.user_id or task.submission_id}",
            meta={"delivery": delivery, "kind": "lms"},
        )
    except DuplicateJobError:
        return job_id, True
    return job_id, False


# ------------------------------------------------------------------------------ file handling


@dataclass
class Collected:
    files: list[SourceFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def add_file(path: str, data: bytes | None, cfg: AssignmentConfig, settings: Settings, out: Collected) -> None:
    """One downloaded file (or archive) into the submission, or a Skipped saying why not."""
    if data is None:
        out.skipped.append(Skipped(path, "too large to download"))
        return
    if archive_kind(path, data):
        unpacked = unpack(path, data, cfg.archive_limits)
        entries, tool_files = without_tool_files(path, unpacked.files)
        out.skipped.extend(unpacked.skipped + tool_files)
        for inner, content in entries:
            _add_code(f"{path}/{inner}", content, cfg, settings, out)
        return
    _add_code(path, data, cfg, settings, out)


def _add_code(path: str, data: bytes, cfg: AssignmentConfig, settings: Settings, out: Collected) -> None:
    if is_minified(path):
        out.skipped.append(Skipped(path, MINIFIED))
        return
    if GENERATED_NAME.search(path):
        out.skipped.append(Skipped(path, "generated file"))
        return
    language = language_for_path(path, text_as=cfg.text_as)
    if language is None:
        out.skipped.append(Skipped(path, NOT_CODE))
        return
    reason = cfg.wants(path, language)
    if reason:
        out.skipped.append(Skipped(path, reason))
        return
    if len(out.files) >= settings.max_files:
        out.skipped.append(Skipped(path, f"over the {settings.max_files}-file limit per submission"))
        return
    text, why = decode(path, data, settings.max_file_bytes)
    if text is None or (why := text_as_code(path, text, language)):
        out.skipped.append(Skipped(path, why or "unreadable"))
        return
    out.files.append(SourceFile(path, language, text))


ONLINE_TEXT = "online text"


def add_online_text(html: str, cfg: AssignmentConfig, settings: Settings, out: Collected) -> None:
    """Code pasted into the LMS's online-text editor, read as a file of the assignment's language.

    The editor does not say which language the code is in, so it is read only where the
    assignment lists exactly one; its name in reports is "online text.<extension>"."""
    text = html_text(html)
    if not text.strip():
        return
    spec = spec_for(cfg.languages[0]) if len(cfg.languages) == 1 else None
    if spec is None:
        out.skipped.append(Skipped(ONLINE_TEXT, "online text is read only where the assignment lists one language "
                                                "(set `languages:`, or ask for file uploads)"))  # fmt: skip
        return
    path = f"{ONLINE_TEXT}{spec.extensions[0] if spec.extensions else ''}"
    if reason := too_large(len(text.encode("utf-8")), settings.max_file_bytes):
        out.skipped.append(Skipped(path, reason))
        return
    out.files.append(SourceFile(path, spec.name, text))


def download_limit(path: str, cfg: AssignmentConfig, settings: Settings) -> int:
    return cfg.archive_limits.max_bytes if is_archive_name(path) else raw_limit(path, settings.max_file_bytes)


# ------------------------------------------------------------------------------ platform adapters


@dataclass
class Located:
    """The submission as the LMS shows it now."""

    name: str  # corpus name: "user-<id>"
    user_id: str
    version: str  # changes with every upload
    late: bool
    hidden: bool  # the student cannot read a note right now
    record: Any  # platform object (Moodle dict / CanvasSubmission)
    extra: dict[str, Any] = field(default_factory=dict)
    label: str = ""  # the upload as a person reads it: "attempt 1, submitted 2024-06-01 10:00 UTC"


class MoodleAdapter:
    platform = "moodle"
    fmt = "html"

    def __init__(self, task: LmsTask, lms: LmsSettings, cfg: AssignmentConfig, settings: Settings) -> None:
        from bot.platforms.moodle import MoodleClient
        from bot.retry import RetryPolicy

        token = lms.token("moodle", cfg.token_env)
        self.client = MoodleClient(task.base_url, token.reveal(), policy=RetryPolicy.from_settings(settings),
                                   timeout_s=settings.http_timeout_s)
        self.task, self.cfg, self.settings = task, cfg, settings
        self.assignment = self.client.assignment_by_cmid(task.course, task.assignment)

    def locate(self) -> Located | None:
        subs = self.client.submissions(self.assignment["id"], since=max(0, self.task.since))
        for sub in subs:
            if self.task.submission_id and str(sub.get("id")) == str(self.task.submission_id):
                break
            if not self.task.submission_id and self.task.user_id and str(sub.get("userid")) == str(self.task.user_id):
                break
        else:
            return None
        if sub.get("status") != "submitted":
            return None
        workflow = bool(self.assignment.get("markingworkflow"))
        state = str(sub.get("gradingstatus") or "")
        due = int(self.assignment.get("duedate") or 0)
        modified = int(sub.get("timemodified") or 0)
        # Never move a submission back in the marking workflow: only the first states
        # become "inmarking"; later ones are kept as the teacher set them.
        send_state = None
        if workflow:
            send_state = "inmarking" if state in ("", "notmarked", "notgraded", "inmarking") else state
        return Located(
            name=f"user-{sub['userid']}", user_id=str(sub["userid"]),
            version=f"{sub.get('attemptnumber', 0)}:{modified}", late=bool(due and modified > due),
            hidden=workflow and (send_state or "") != "released", record=sub,
            extra={"workflowstate": send_state, "attempt": int(sub.get("attemptnumber", -1))},
            label=f"attempt {int(sub.get('attemptnumber', 0)) + 1}, submitted {_readable(modified)}",
        )

    def collect(self, located: Located) -> Collected:
        out = Collected()
        for plugin in located.record.get("plugins") or []:
            if plugin.get("type") == "onlinetext":
                html = "".join(str(f.get("text") or "") for f in plugin.get("editorfields") or [])
                add_online_text(html, self.cfg, self.settings, out)
                continue
            if plugin.get("type") != "file":
                continue
            for area in plugin.get("fileareas") or []:
                for f in area.get("files") or []:
                    path = (str(f.get("filepath") or "/") + str(f.get("filename") or "")).lstrip("/")
                    if f.get("isexternalfile"):
                        out.skipped.append(Skipped(path, "stored in an external repository (not downloaded)"))
                        continue
                    limit = download_limit(path, self.cfg, self.settings)
                    if int(f.get("filesize") or 0) > limit:
                        out.skipped.append(Skipped(path, f"larger than {limit} bytes"))
                        continue
                    add_file(path, self.client.download(str(f["fileurl"]), max_bytes=limit), self.cfg,
                             self.settings, out)
        return out

    def post(self, located: Located, note: str) -> str:
        attempt = int(located.extra.get("attempt", -1))
        grade = self.client.current_grade(self.assignment["id"], located.user_id, attempt)
        self.client.save_feedback(self.assignment["id"], located.user_id, note, grade=grade,
                                  workflowstate=located.extra.get("workflowstate"), attempt=attempt)
        return "saved"


class CanvasAdapter:
    platform = "canvas"
    fmt = "text"

    def __init__(self, task: LmsTask, lms: LmsSettings, cfg: AssignmentConfig, settings: Settings) -> None:
        from bot.platforms.canvas import CanvasLms
        from bot.retry import RetryPolicy

        token = lms.token("canvas", cfg.token_env)
        self.lms = CanvasLms(task.base_url, token.reveal(), policy=RetryPolicy.from_settings(settings))
        self.task, self.cfg, self.settings = task, cfg, settings
        self.assignment = self.lms.assignment(task.course, task.assignment)

    def locate(self) -> Located | None:
        if not self.task.user_id:
            return None
        sub = self.lms.submission(self.task.course, self.task.assignment, self.task.user_id)
        if not sub.submitted_at or sub.workflow_state in ("unsubmitted", "deleted"):
            return None
        return Located(name=f"user-{sub.user_id}", user_id=sub.user_id, version=sub.version, late=sub.late,
                       hidden=self.lms.note_hidden_from_student(self.assignment, sub), record=sub,
                       label=f"attempt {sub.attempt}, submitted {sub.submitted_at}")

    def collect(self, located: Located) -> Collected:
        out = Collected()
        if body := getattr(located.record.raw, "body", None):
            add_online_text(str(body), self.cfg, self.settings, out)
        for attachment in located.record.attachments:
            limit = download_limit(attachment.name, self.cfg, self.settings)
            add_file(attachment.name, self.lms.download(attachment, max_bytes=limit), self.cfg, self.settings, out)
        return out

    def post(self, located: Located, note: str) -> str:
        from bot.lms_note import MARKER

        return self.lms.upsert_comment(located.record, MARKER, note)


def _adapter(task: LmsTask, lms: LmsSettings, cfg: AssignmentConfig, settings: Settings) -> MoodleAdapter | CanvasAdapter:
    if task.platform == "moodle":
        return MoodleAdapter(task, lms, cfg, settings)
    if task.platform == "canvas":
        return CanvasAdapter(task, lms, cfg, settings)
    raise LmsConfigError(f"unknown LMS platform {task.platform!r}")


# ------------------------------------------------------------------------------ the job


def _template_base(cfg: AssignmentConfig) -> list[Submission]:
    from bot.cli import UsageError

    base: list[Submission] = []
    for directory in cfg.template_dirs:
        try:
            loaded = load_base(directory)
        except UsageError as exc:
            raise LmsConfigError(f"template_dirs of assignment {cfg.assignment}: {exc}") from None
        for sub in loaded.submissions:
            base.append(Submission(f"template-{len(base)}", sub.files))
    return base


def _earlier(conn: redis.Redis, cfg: AssignmentConfig) -> list[Submission]:
    from bot.corpus import Corpus

    out: list[Submission] = []
    for scope in cfg.earlier_offerings:
        for sub in Corpus(conn).load(scope):
            out.append(replace(sub, name=f"{scope}{EARLIER_SEP}{sub.name}"))
    return out


def _publish(report: Report, submissions: list[Submission], label: str) -> str | None:
    """Write the instructor-side HTML report; its signed link, when links are configured."""
    from bot.report_links import LinkConfigError, ReportLinks
    from bot.reports.html import render_html as report_html
    from bot.reports.view import build_view

    try:
        links = ReportLinks.from_env()
    except LinkConfigError as exc:
        log.warning("instructor report not written: %s", exc)
        return None
    if links is None:
        return None
    name = links.publish(report_html(build_view(report, submissions), title=f"CodeGuard: {label}"), label)
    return links.url(name) if links.can_link else None


def _mark_permanent(exc: BaseException) -> None:
    """An error only an administrator can fix: no retries, message on the job."""
    job = get_current_job()
    if job is None:
        return
    job.retries_left = 0
    job.meta["error"] = str(exc)
    try:
        job.save_meta()
    except redis.RedisError:
        pass


def _is_permanent(exc: BaseException) -> bool:
    if isinstance(exc, LmsConfigError) or getattr(exc, "permanent", False):
        return True
    try:
        from canvasapi.exceptions import Forbidden, InvalidAccessToken, Unauthorized
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, InvalidAccessToken | Unauthorized | Forbidden)


def _canvas_hint(exc: BaseException) -> BaseException:
    from canvasapi.exceptions import Forbidden, InvalidAccessToken, Unauthorized

    if isinstance(exc, InvalidAccessToken | Unauthorized):
        return LmsAccessError("Canvas rejected the API token (CANVAS_TOKEN): it is invalid, expired or revoked; "
                              "create a new access token for the bot's Canvas user")
    if isinstance(exc, Forbidden):
        return LmsAccessError("Canvas refused the request (403): the bot's Canvas user needs a teacher or TA "
                              "enrolment in the course (view submissions, grade, comment)")
    return exc


def analyze_lms_submission(task: dict[str, Any]) -> dict[str, Any]:
    from bot.jobs import JobContext
    from webhooks import metrics

    ctx = JobContext.current()
    parsed = LmsTask.from_dict(task)
    started = time.perf_counter()
    outcome = "failed"
    try:
        result = _analyse(ctx.conn, ctx.settings, LmsSettings.from_env(), parsed)
        outcome = str(result.get("status", "done"))
        return result
    except Exception as exc:
        if _is_permanent(exc):
            clear = _canvas_hint(exc) if parsed.platform == "canvas" else exc
            log.error("LMS job for %s failed permanently: %s", parsed.scope, clear)
            _mark_permanent(clear)
            if clear is not exc:
                raise clear from None
        raise
    finally:
        try:
            metrics.observe_job(ctx.conn, f"lms_{parsed.platform}", outcome, time.perf_counter() - started)
        except redis.RedisError:
            pass


def _analyse(conn: redis.Redis, settings: Settings, lms: LmsSettings, task: LmsTask) -> dict[str, Any]:
    from bot.corpus import Corpus
    from bot.jobs import run_analysis

    cfg = lms.registry().assignment(task.platform, task.course, task.assignment)
    if cfg is None:
        return {"status": "ignored", "reason": f"{task.platform} course {task.course} assignment {task.assignment} "
                "is not in the course configuration"}
    adapter = _adapter(task, lms, cfg, settings)
    located = adapter.locate()
    if located is None:
        return {"status": "skipped", "reason": "no submitted upload found (draft, reverted or removed)"}
    scope = task.scope
    version_tag = f"{located.version}|{model_version(settings) if cfg.ai_detection else 'structural'}"
    done_key = f"{DONE_PREFIX}:{scope}:{located.name}"
    corpus = Corpus(conn)
    with conn.lock(f"{LOCK_PREFIX}:{scope}:{located.name}", timeout=settings.job_timeout_s,
                   blocking_timeout=settings.job_timeout_s):
        previous = conn.get(done_key)
        if task.trigger != "refresh" and previous is not None and _text(previous) == version_tag:
            return {"status": "duplicate", "name": located.name, "version": located.version}
        if task.trigger == "refresh":
            stored = corpus.meta(scope, located.name)
            if stored is None or stored.head_sha != located.version:
                # A newer upload is on its way through its own job, which compares it anyway.
                return {"status": "skipped", "reason": "stored copy is not the current upload"}
            copy = [s for s in corpus.load(scope) if s.name == located.name]
            collected = Collected(files=list(copy[0].files) if copy else [])
        else:
            collected = adapter.collect(located)
        submission = Submission(located.name, collected.files, scope=scope, author=located.user_id)
        others = corpus.load(scope, exclude=located.name) + _earlier(conn, cfg)
        base = _template_base(cfg)
        version = "structural"
        history = _author_history(conn, task, cfg, submission.author)
        if submission.files:
            report = run_analysis(submission, others, base, cfg.repo_config(), settings,
                                  history=history.lookup if history else None)
            version = report.model_version or (model_version(settings) if cfg.ai_detection else "structural")
        else:
            report = Report(model_version=version)
        if history is not None:
            history.keep(report)  # this upload's scores now stand for its assignment (none: the entry goes)
        report.skipped = list(collected.skipped) + [s for s in report.skipped if s not in collected.skipped]
        link = _publish(report, [submission, *others], f"{scope}-{located.name}") if submission.files else None
        content = decide(cfg.posting, located.hidden, cfg.ai_detection, link)
        posted = "withheld"
        if content is not None:
            note_ctx = NoteContext(located.name, located.label or located.version, version, cfg.repo_config(), late=located.late,
                                   compared_with=len(others))
            note = (render_html if adapter.fmt == "html" else render_text)(report, note_ctx, content)
            posted = adapter.post(located, note)
        if submission.files and task.trigger != "refresh":
            corpus.store(scope, submission, located.version)
        conn.hset(f"{META_PREFIX}:{scope}", located.name, json.dumps(
            {"user_id": located.user_id, "version": located.version, "posted": posted, "at": time.time()}))
        if task.trigger != "refresh":
            conn.set(done_key, version_tag)
    refreshed = [] if task.trigger == "refresh" else _refresh_matched(conn, settings, task, located, report, cfg)
    log.info("LMS %s %s %s upload %s: %d files, %d skipped, %d pairs, note %s, refreshed %d", task.trigger, scope,
             located.name, located.version, len(report.files), len(report.skipped), len(report.pairs), posted,
             len(refreshed))
    return {"status": "done", "name": located.name, "version": located.version, "note": posted,
            "files": len(report.files), "skipped": [asdict(s) for s in report.skipped], "pairs": len(report.pairs),
            "hidden": located.hidden, "refreshed": refreshed}


def _author_history(conn: redis.Redis, task: LmsTask, cfg: AssignmentConfig, author: str) -> AuthorWork | None:
    """The student's history in this course, seen from this assignment (bot.history)."""
    if not (cfg.author_history and cfg.ai_detection and author):
        return None
    course = course_scope_name(task.platform, task.base_url, task.course)
    return AuthorWork(AuthorHistory(conn), course, author, task.assignment)


def _refresh_matched(conn: redis.Redis, settings: Settings, task: LmsTask, located: Located, report: Report,
                     cfg: AssignmentConfig) -> list[str]:
    """Re-post the notes of same-assignment submissions this upload matches above the threshold."""
    names = set()
    for pair in report.pairs:
        if pair.similarity < cfg.similarity_threshold or located.name not in (pair.a, pair.b):
            continue
        other = pair.b if pair.a == located.name else pair.a
        if EARLIER_SEP not in other and other.startswith("user-"):
            names.add(other)
    out = []
    for name in sorted(names):
        refresh = replace(task, user_id=name.removeprefix("user-"), submission_id=None, since=0, trigger="refresh",
                          params={"because": located.name})
        job_id, _dup = enqueue_task(conn, settings, refresh, f"refresh|{name}|{located.name}|{located.version}")
        out.append(job_id)
    return out


# ------------------------------------------------------------------------------ polling


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _readable(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class PollResult:
    scope: str
    since: int
    found: int
    enqueued: list[str]
    duplicates: int
    results: list[dict[str, Any]] = field(default_factory=list)  # --inline only


def poll(platform: str, course: str, assignment: str, *, conn: redis.Redis, settings: Settings, lms: LmsSettings,
         since: int | None = None, inline: bool = False) -> PollResult:
    """List uploads since `since` (default: the last poll) and analyse each one.

    Queued for the workers by default; `inline` runs each analysis in this process.
    """
    registry = lms.registry()
    course_cfg = registry.course(platform, course)
    cfg = course_cfg.assignment(assignment) if course_cfg else None
    if cfg is None:
        raise LmsConfigError(f"{platform} course {course} assignment {assignment} is not in the course "
                             f"configuration ({lms.config_path or 'CODEGUARD_LMS_CONFIG is not set'})")
    base_url = lms.base_url(platform, course_cfg)
    template = LmsTask(platform, base_url, str(course), str(assignment), trigger="poll")
    state_key = f"{POLL_PREFIX}:{template.scope}"
    if since is None:
        last = conn.get(state_key)
        since = max(0, int(float(last)) - POLL_OVERLAP_S) if last else 0
    started = time.time()
    found: list[tuple[LmsTask, str]] = []
    if platform == "moodle":
        moodle = MoodleAdapter(template, lms, cfg, settings)
        for sub in moodle.client.submissions(moodle.assignment["id"], since=since):
            if sub.get("status") != "submitted":
                continue
            key = f"poll|{sub['userid']}|{sub.get('attemptnumber', 0)}:{sub.get('timemodified', 0)}"
            found.append((replace(template, user_id=str(sub["userid"]), submission_id=str(sub["id"])), key))
    else:
        canvas = CanvasAdapter(template, lms, cfg, settings)
        for csub in canvas.lms.submitted_since(str(course), str(assignment), _iso(since) if since else None):
            found.append((replace(template, user_id=csub.user_id), canvas_key(csub.user_id, csub.attempt,
                                                                             csub.submitted_at)))
    enqueued: list[str] = []
    duplicates = 0
    results: list[dict[str, Any]] = []
    for task, key in found:
        if inline:
            results.append(_analyse(conn, settings, lms, task))
            continue
        job_id, duplicate = enqueue_task(conn, settings, task, key)
        duplicates += int(duplicate)
        if not duplicate:
            enqueued.append(job_id)
    conn.set(state_key, str(started))
    return PollResult(template.scope, since, len(found), enqueued, duplicates, results)


def canvas_key(user_id: str, attempt: Any, submitted_at: Any) -> str:
    """Push (Live Event) and pull (API) name one Canvas upload the same way: one job."""
    stamp = str(submitted_at or "")
    try:  # "2019-11-01T19:11:21.419Z" (events) and "2019-11-01T19:11:21Z" (API) are one time
        stamp = str(int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()))
    except ValueError:
        pass
    return f"upload|{user_id}|{int(attempt or 0)}|{stamp}"


def poll_job(task: dict[str, Any]) -> dict[str, Any]:
    """A poll as an RQ job; with `every_s` it schedules its own next run (the periodic poller)."""
    from bot.jobs import JobContext

    ctx = JobContext.current()
    lms = LmsSettings.from_env()
    try:
        result = poll(task["platform"], task["course"], task["assignment"], conn=ctx.conn, settings=ctx.settings,
                      lms=lms, since=task.get("since"))
    finally:
        every = int(task.get("every_s") or 0)
        if every > 0:
            schedule_poll(ctx.conn, ctx.settings, {**task, "since": None}, every)
    return {"status": "done", "found": result.found, "enqueued": len(result.enqueued), "since": result.since}


def schedule_poll(conn: redis.Redis, settings: Settings, task: dict[str, Any], delay_s: int) -> str:
    """Schedule one poll job `delay_s` from now (0: now). The worker's scheduler runs it."""
    from rq.exceptions import DuplicateJobError

    # One id per (assignment, time slot of the run): a second scheduler for the same
    # slot (two `--schedule` calls, a retried poll) finds it taken.
    slot = int((time.time() + delay_s) // max(delay_s, 60))
    job_id = "lms-poll-" + hashlib.sha256(json.dumps(
        [task["platform"], task["course"], task["assignment"], slot]).encode()).hexdigest()[:20]
    queue = get_queue(settings.analysis_queue, conn, settings)
    try:
        if delay_s <= 0:
            queue.enqueue_call(POLL_FUNC, kwargs={"task": task}, job_id=job_id, timeout=settings.job_timeout_s,
                               unique=True)
        else:
            queue.enqueue_in(timedelta(seconds=delay_s), POLL_FUNC, kwargs={"task": task}, job_id=job_id,
                             job_timeout=settings.job_timeout_s, unique=True)
    except DuplicateJobError:
        pass
    return job_id
