"""`codeguard serve`: the webhook app on a local HTTP server (gunicorn runs it in production)."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.redis_conn import describe
from bot.settings import Settings, SettingsError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("serve", help="run the GitHub/GitLab webhook receiver")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from werkzeug.serving import make_server

    from bot.cli import UsageError
    from webhooks.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        raise UsageError(str(exc)) from None
    if not (settings.github_webhook_secret or settings.gitlab_webhook_secret):
        print("codeguard: warning: neither GITHUB_WEBHOOK_SECRET nor GITLAB_WEBHOOK_SECRET is set; "
              "every delivery will be rejected with 401", file=sys.stderr)
    try:
        server = make_server(args.host, args.port, create_app(settings), threaded=True)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    print(f"codeguard: webhooks on http://{args.host}:{server.server_port}/webhooks/{{github,gitlab}}; "
          f"{describe(settings)}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
