"""`codeguard lms poll moodle|canvas --course C --assignment A [--since T]`: the pull side.
(`codeguard lms history moodle|canvas --course C --user U [--forget]` shows or deletes what
`author_history` keeps about one student; bot/history.py.)

Core Moodle has no outgoing webhooks and Canvas Live Events need an account admin and
arrive late, so many sites poll: list the uploads made since the last poll
(`mod_assign_get_submissions` with `since`; Canvas `submitted_since`) and queue one
analysis per upload on the same queue the webhooks use (run `codeguard worker`), or
analyse them in this process with `--inline`. `--every N` repeats the poll every N
seconds in this process; `--schedule N` instead hands the periodic poll to the workers
(an RQ job that schedules its own next run). Without `--since`, a poll starts where the
previous one for the same assignment started (kept in Redis), a little earlier.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime

PLATFORMS = ("moodle", "canvas")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("lms", help="Moodle / Canvas: poll assignments for new submissions")
    sub = p.add_subparsers(dest="lms_command", metavar="ACTION")
    poll = sub.add_parser("poll", help="analyse an assignment's new submissions (queued for the workers)")
    poll.add_argument("platform", choices=PLATFORMS)
    poll.add_argument("--course", required=True, help="course id")
    poll.add_argument("--assignment", required=True,
                      help="Moodle: course-module id (mod/assign/view.php?id=N); Canvas: assignment id")
    poll.add_argument("--since", default=None,
                      help="epoch seconds or ISO 8601 time (default: the previous poll; 0 for everything)")
    poll.add_argument("--inline", action="store_true", help="analyse in this process instead of queueing")
    mode = poll.add_mutually_exclusive_group()
    mode.add_argument("--every", type=int, default=0, metavar="SECONDS", help="repeat the poll every N seconds")
    mode.add_argument("--schedule", type=int, default=0, metavar="SECONDS",
                      help="let the workers poll every N seconds (a self-rescheduling job)")
    poll.set_defaults(func=run)
    history = sub.add_parser(
        "history",
        help="what author_history keeps about one student in a course (numbers only), or --forget it",
        description="Show, or with --forget delete, the AI scores kept for one student of one course "
        "(course files with author_history: true; docs/LMS.md). Numbers only: per assignment the model "
        "version and the scores per language.",
    )
    history.add_argument("platform", choices=PLATFORMS)
    history.add_argument("--course", required=True, help="course id")
    history.add_argument("--user", required=True, help="the student's user id in the LMS")
    history.add_argument("--forget", action="store_true", help="delete it (e.g. on a data request)")
    history.set_defaults(func=run_history)
    p.set_defaults(func=lambda _args: _usage(p))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def parse_since(value: str | None) -> int | None:
    from bot.cli import UsageError

    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return int(text)
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
    except ValueError:
        raise UsageError(f"--since must be epoch seconds or an ISO 8601 time, got {value!r}") from None


def run(args: argparse.Namespace) -> int:
    import logging

    from bot.cli import UsageError
    from bot.lms_config import LmsConfigError, LmsSettings
    from bot.lms_jobs import poll, schedule_poll
    from bot.redis_conn import connect
    from bot.settings import Settings, SettingsError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    since = parse_since(args.since)
    if args.every < 0 or args.schedule < 0:
        raise UsageError("--every / --schedule must be positive seconds")
    try:
        settings = Settings.from_env()
        lms = LmsSettings.from_env()
    except (SettingsError, LmsConfigError) as exc:
        raise UsageError(str(exc)) from None
    conn = connect(settings)
    if args.schedule:
        task = {"platform": args.platform, "course": args.course, "assignment": args.assignment,
                "since": since, "every_s": args.schedule}
        job_id = schedule_poll(conn, settings, task, 0)
        print(f"codeguard: periodic poll of {args.platform} course {args.course} assignment {args.assignment} "
              f"every {args.schedule}s handed to the workers (job {job_id})")
        return 0
    while True:
        try:
            result = poll(args.platform, args.course, args.assignment, conn=conn, settings=settings, lms=lms,
                          since=since, inline=args.inline)
        except LmsConfigError as exc:
            raise UsageError(str(exc)) from None
        except Exception as exc:  # the LMS answered an error: one line, no traceback, no token
            if not args.every:
                raise UsageError(str(exc)) from None
            print(f"codeguard: poll failed (retrying in {args.every}s): {exc}", file=sys.stderr)
        else:
            done = (f"{len(result.results)} analysed here" if args.inline
                    else f"{len(result.enqueued)} queued, {result.duplicates} already queued")
            print(f"codeguard: {result.scope}: {result.found} submission(s) since {result.since}; {done}", flush=True)
        if not args.every:
            return 0
        since = None  # later rounds continue from the stored poll time
        time.sleep(args.every)


def run_history(args: argparse.Namespace) -> int:
    from bot.cli import UsageError
    from bot.history import AuthorHistory
    from bot.lms_config import LmsConfigError, LmsSettings, course_scope_name
    from bot.redis_conn import connect
    from bot.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
        lms = LmsSettings.from_env()
        base_url = lms.base_url(args.platform, lms.registry().course(args.platform, args.course))
    except (SettingsError, LmsConfigError) as exc:
        raise UsageError(str(exc)) from None
    store = AuthorHistory(connect(settings))
    scope = course_scope_name(args.platform, base_url, args.course)
    entries = store.entries(scope, args.user)
    if args.forget:
        store.forget(scope, args.user)
        print(f"codeguard: {scope}: forgot user {args.user} ({len(entries)} assignment(s))")
        return 0
    if not entries:
        print(f"codeguard: {scope}: nothing kept for user {args.user}")
        return 0
    print(f"codeguard: {scope}: user {args.user}, {len(entries)} assignment(s)")
    for work, entry in entries.items():
        when = datetime.fromtimestamp(float(entry.get("at", 0))).strftime("%Y-%m-%d %H:%M")
        langs = ", ".join(f"{lang} {len(v)} file(s), scores {', '.join(f'{x:.2f}' for x in v)}"
                          for lang, v in sorted(entry.get("scores", {}).items()))
        print(f"  assignment {work}: model {entry.get('model')}, {when}: {langs}")
    return 0
