from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.platforms.gitlab import GitLabChange
from bot.queue import ChangeRef
from bot.repo_config import RepoConfig
from bot.settings import Settings
from tests.e2e.standins import WEB, GitLabStandIn

SHA = "d" * 40


@pytest.fixture
def api() -> Iterator[GitLabStandIn]:
    server = GitLabStandIn().start()
    yield server  # type: ignore[misc]
    server.stop()


def change(api: GitLabStandIn) -> GitLabChange:
    s = Settings(gitlab_url=api.url, gitlab_token="t", http_backoff_s=0.01)
    return GitLabChange(s, ChangeRef("gitlab", api.path, 2, project_id=api.project_id))


def test_files_notes_status_members(api: GitLabStandIn) -> None:
    api.add_mr(2, SHA, {"src/m.py": "x = 1\n", "src/deep dir/ü.py": "y = 2\n", "pic.py": b"\x89PNG\x00"},
               removed=("old.py",))
    api.trees["master"] = {"starter/base.py": b"print('hi')\n", "other/x.py": b"1\n"}
    c = change(api)
    assert c.change().head_sha == SHA and c.change().web_url == f"{WEB}/{api.path}"
    fetched = c.changed_files(SHA, RepoConfig(exclude=("*.md",)))
    assert sorted(f.path for f in fetched.files) == ["src/deep dir/ü.py", "src/m.py"]
    assert {s.path: s.reason for s in fetched.skipped} == {"pic.py": "binary file", "old.py": "deleted in this change"}
    base = c.files_under(("starter/",), "master", RepoConfig())
    assert [f.path for f in base.files] == ["starter/base.py"]
    assert c.upsert_comment("m", "a") == "created" and c.upsert_comment("m", "b") == "updated"
    (note,) = api.mr_notes(2)
    assert note["body"] == "<!-- m -->\nb" and note["edits"] == 1
    c.set_status(SHA, "error", "Analysis did not complete")
    assert api.statuses[-1]["state"] == "failed" and api.statuses[-1]["name"] == "codeguard"
    api.members.update({5: 30, 6: 20})
    api.users["dev"] = 5
    assert c.can_write("dev") and not c.can_write("x", 6) and not c.can_write("ghost", 404)
    assert not c.can_write("unknown-user")


def test_server_error_then_success_is_retried(api: GitLabStandIn) -> None:
    api.add_mr(2, SHA, {"a.py": "x\n"})
    api.fail("POST", r"/notes$", 503, times=2)
    assert change(api).upsert_comment("m", "a") == "created"
    assert [r.status for r in api.calls("POST", r"/notes$")] == [503, 503, 201]
    assert len(api.mr_notes(2)) == 1
