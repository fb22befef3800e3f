"""The canvasapi-based client against the Canvas stand-in (real HTTP, real canvasapi)."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from pytest_httpserver import HTTPServer

from bot.platforms.canvas import CanvasLms, local_id
from bot.retry import RetryPolicy
from tests.e2e.lms_standins import CanvasStandIn

pytestmark = pytest.mark.filterwarnings("ignore:Canvas may respond unexpectedly")


@pytest.fixture
def canvas() -> Iterator[CanvasStandIn]:
    server = CanvasStandIn()
    server.start()
    server.add_assignment(7, 21, post_manually=True)
    server.submit(7, 21, 47, {"main.py": b"print('hi')\n", "notes.txt": b"x"}, attempt=1,
                  submitted_at="2024-06-01T10:00:00Z")
    yield server
    server.stop()


def lms(server: CanvasStandIn, token: str | None = None) -> CanvasLms:
    return CanvasLms(server.url, token or server.token, policy=RetryPolicy(attempts=1, backoff_s=0))


def test_live_event_global_ids_map_to_local_ids() -> None:
    assert local_id("21070000000000396") == "396"
    assert local_id(396) == "396"
    assert local_id("21070000012345567") == "12345567"


def test_fetch_attachments_and_download_them(canvas: CanvasStandIn) -> None:
    client = lms(canvas)
    sub = client.submission("7", "21", "47")
    assert sub.version == "1:2024-06-01T10:00:00Z" and [a.name for a in sub.attachments] == ["main.py", "notes.txt"]
    assert client.download(sub.attachments[0], max_bytes=1000) == b"print('hi')\n"
    assert client.download(sub.attachments[0], max_bytes=3) is None
    assert [s.user_id for s in client.submitted_since("7", "21", "2024-06-01T00:00:00Z")] == ["47"]
    assert client.submitted_since("7", "21", "2024-07-01T00:00:00Z") == []


def test_one_comment_is_created_then_edited_in_place(canvas: CanvasStandIn) -> None:
    client = lms(canvas)
    assert client.upsert_comment(client.submission("7", "21", "47"), "codeguard:report", "v1 codeguard:report") == "created"
    assert client.upsert_comment(client.submission("7", "21", "47"), "codeguard:report", "v1 codeguard:report") == "unchanged"
    assert client.upsert_comment(client.submission("7", "21", "47"), "codeguard:report", "v2 codeguard:report") == "updated"
    comments = canvas.subs[(7, 21, 47)].comments
    assert [c["comment"] for c in comments] == ["v2 codeguard:report"] and comments[0]["hidden"] is True
    # A teacher's own comment that quotes the marker is not ours: never edited.
    canvas.subs[(7, 21, 47)].comments.insert(0, {"id": 1, "author_id": 5, "comment": "see codeguard:report"})
    client.upsert_comment(client.submission("7", "21", "47"), "codeguard:report", "v3 codeguard:report")
    assert canvas.subs[(7, 21, 47)].comments[0]["comment"] == "see codeguard:report"


def test_hidden_only_under_manual_policy_before_posting(canvas: CanvasStandIn) -> None:
    client = lms(canvas)
    sub = client.submission("7", "21", "47")
    assert client.note_hidden_from_student(SimpleNamespace(post_manually=True), sub)
    assert not client.note_hidden_from_student(SimpleNamespace(post_manually=False), sub)
    canvas.subs[(7, 21, 47)].posted_at = "2024-06-03T00:00:00Z"
    assert not client.note_hidden_from_student(SimpleNamespace(post_manually=True), client.submission("7", "21", "47"))


def test_token_is_not_sent_to_another_host(canvas: CanvasStandIn, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/inst-fs/blob").respond_with_data(b"x = 1\n")
    client = lms(canvas)
    sub = client.submission("7", "21", "47")
    sub.attachments[0].file.url = httpserver.url_for("/inst-fs/blob") + "?verifier=abc"
    assert client.download(sub.attachments[0], max_bytes=100) == b"x = 1\n"
    request, _ = httpserver.log[0]
    assert "Authorization" not in request.headers


def test_rejected_token_raises_canvasapi_error(canvas: CanvasStandIn) -> None:
    from canvasapi.exceptions import InvalidAccessToken

    with pytest.raises(InvalidAccessToken):
        lms(canvas, token="wrong").submission("7", "21", "47")
