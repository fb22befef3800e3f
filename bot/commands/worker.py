"""`codeguard worker`: an RQ worker for the gpu, cpu or training queue.

Jobs run inside the worker process (an RQ SimpleWorker, no fork per job), so the model
loaded once at start-up serves every job; on a CUDA machine ml.inference places it on the
GPU, elsewhere on the CPU.
"""

from __future__ import annotations

import argparse
import logging

from bot.settings import QUEUE_NAMES, Settings, SettingsError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("worker", help="run jobs from the gpu, cpu or training queue")
    p.add_argument("--queue", action="append", metavar="|".join(QUEUE_NAMES),
                   help="queue to serve; repeat or comma-separate for several, in priority order (default cpu)")
    p.add_argument("--burst", action="store_true", help="exit once the queues are empty")
    p.add_argument("--name", default=None, help="worker name (default: RQ's host.pid)")
    p.set_defaults(func=run)


def parse_queues(values: list[str] | None) -> list[str]:
    from bot.cli import UsageError

    names: list[str] = []
    for value in values or ["cpu"]:
        for name in (part.strip() for part in value.split(",")):
            if not name:
                continue
            if name not in QUEUE_NAMES:
                raise UsageError(f"unknown queue {name!r}; use {', '.join(QUEUE_NAMES)}")
            if name not in names:
                names.append(name)
    return names


def run(args: argparse.Namespace) -> int:
    from rq import SimpleWorker

    from bot import jobs
    from bot.cli import UsageError
    from bot.queue import get_queue
    from bot.redis_conn import connect, describe

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    names = parse_queues(args.queue)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        raise UsageError(str(exc)) from None
    conn = connect(settings)
    queues = [get_queue(name, conn, settings) for name in names]
    if any(name != "training" for name in names):
        detector = jobs.load_model(settings)
        logging.getLogger("codeguard.worker").info(
            "model: %s", getattr(detector, "model_version", None) or "none (structural analysis)")
    print(f"codeguard: worker on {', '.join(names)}; {describe(settings)}", flush=True)
    worker = SimpleWorker(queues, connection=conn, name=args.name)
    # The scheduler moves RQ retries (bot.queue.job_retry) back onto the queue when due.
    worker.work(burst=args.burst, with_scheduler=True, logging_level="INFO")
    return 0
