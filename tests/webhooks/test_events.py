from __future__ import annotations

import copy

import pytest

from tests.e2e.helpers import fixture
from webhooks import events


def test_pull_request_actions_map_to_analysis_of_head() -> None:
    for name, action in [("pull_request.opened.json", "opened"), ("pull_request.synchronize.json", "synchronize"),
                         ("pull_request.reopened.json", "reopened")]:
        payload = fixture(f"github/{name}")
        decision = events.github("pull_request", payload, "d1")
        assert len(decision.tasks) == 1, name
        task = decision.tasks[0]
        assert task.kind == "analyze"
        assert task.head_sha == payload["pull_request"]["head"]["sha"]
        assert task.ref.repo == "Codertocat/Hello-World" and task.ref.number == 2
        assert task.ref.installation_id == payload["installation"]["id"]
        assert task.params["trigger"] == f"pull_request.{action}"


def test_closed_draft_and_other_actions_are_ignored() -> None:
    assert events.github("pull_request", fixture("github/pull_request.closed.json"), "d").ignored
    assert events.github("pull_request", fixture("github/pull_request.unlabeled.json"), "d").ignored
    draft = fixture("github/pull_request.opened.json")
    draft["pull_request"]["draft"] = True
    assert "draft" in events.github("pull_request", draft, "d").reason
    draft["action"] = "ready_for_review"
    assert events.github("pull_request", draft, "d").tasks[0].kind == "analyze"


def test_labels() -> None:
    payload = fixture("github/pull_request.labeled.json")
    assert events.github("pull_request", payload, "d").ignored  # label "bug"
    payload["label"]["name"] = "codeguard:retrain"
    (task,) = events.github("pull_request", payload, "d7").tasks
    assert task.kind == "retrain" and task.params["trigger_id"] == "d7"
    payload["label"]["name"] = "codeguard:human"
    (task,) = events.github("pull_request", payload, "d8").tasks
    assert task.kind == "feedback" and task.params["label"] == "human"


def test_recheck_command_only_on_pull_requests() -> None:
    on_pr = fixture("github/issue_comment.created.on-pull-request.quarkus-bot.json")
    assert events.github("issue_comment", on_pr, "d").ignored  # "@quarkusbot retest"
    on_pr["comment"]["body"] = "/codeguard recheck\nplease"
    (task,) = events.github("issue_comment", on_pr, "d").tasks
    assert task.kind == "recheck" and task.head_sha is None
    assert task.ref.repo == "yrodiere/quarkus-bot-java-playground" and task.ref.number == 1
    assert task.params["requested_by"] == "yrodiere"
    assert task.params["trigger_id"] == str(on_pr["comment"]["id"])
    bot = copy.deepcopy(on_pr)
    bot["sender"]["type"] = "Bot"
    assert events.github("issue_comment", bot, "d").ignored
    on_issue = fixture("github/issue_comment.created.json")
    on_issue["comment"]["body"] = "/codeguard recheck"
    assert "not a pull request" in events.github("issue_comment", on_issue, "d").reason
    edited = fixture("github/issue_comment.edited.json")
    assert events.github("issue_comment", edited, "d").ignored


def test_ping_and_installation_are_polite() -> None:
    ping = events.github("ping", fixture("github/ping.json"), "d")
    assert ping.ignored and ping.reply["zen"]
    assert events.github("installation", fixture("github/installation.created.json"), "d").ignored


def test_parse_command() -> None:
    assert events.parse_command("/codeguard recheck") == "recheck"
    assert events.parse_command("  /CodeGuard Recheck  ") == "recheck"
    assert events.parse_command("/codeguard") == "recheck"
    assert events.parse_command("/codeguard frobnicate") == "frobnicate"
    assert events.parse_command("please /codeguard recheck") is None
    assert events.parse_command("") is None


def test_malformed_payload_raises_payload_error() -> None:
    payload = fixture("github/pull_request.opened.json")
    del payload["pull_request"]["head"]
    with pytest.raises(events.PayloadError):
        events.github("pull_request", payload, "d")


def test_gitlab_merge_request_rules() -> None:
    update = fixture("gitlab/merge_request.update-new-commits.go-gitlab.json")
    (task,) = events.gitlab("Merge Request Hook", update, "k").tasks
    assert task.kind == "analyze" and task.head_sha == "0ab96a10266b95b4b533dcfd98738015fbe70889"
    assert task.ref.project_id == 2 and task.ref.number == 2 and task.ref.repo == "test/woodpecker"
    no_commits = copy.deepcopy(update)
    del no_commits["object_attributes"]["oldrev"]
    assert events.gitlab("Merge Request Hook", no_commits, "k").ignored
    opened = fixture("gitlab/merge_request.open-with-label-change.gitlab-docs.json")
    decision = events.gitlab("Merge Request Hook", opened, "k")
    # The docs example adds the "API" label (not ours) and opens the MR.
    assert [t.kind for t in decision.tasks] == ["analyze"]
    assert decision.tasks[0].ref.project_id == opened["object_attributes"]["target_project_id"]
    assert events.gitlab("Merge Request Hook", fixture("gitlab/merge_request.merge.go-gitlab.json"), "k").ignored


def test_gitlab_label_added() -> None:
    update = fixture("gitlab/merge_request.update-new-commits.go-gitlab.json")
    del update["object_attributes"]["oldrev"]
    update["changes"]["labels"] = {"previous": [{"title": "bug"}],
                                   "current": [{"title": "bug"}, {"title": "codeguard:retrain"}, {"title": "codeguard:ai"}]}
    kinds = sorted(t.kind for t in events.gitlab("Merge Request Hook", update, "k").tasks)
    assert kinds == ["feedback", "retrain"]


def test_gitlab_note_recheck() -> None:
    note = fixture("gitlab/note.merge_request.gitlab-docs.json")
    assert events.gitlab("Note Hook", note, "k").ignored  # "This MR needs work."
    note["object_attributes"]["note"] = "/codeguard recheck"
    (task,) = events.gitlab("Note Hook", note, "k").tasks
    assert task.kind == "recheck" and task.ref.project_id == 5 and task.ref.number == 1
    assert task.params == {"requested_by": "root", "user_id": 1, "trigger_id": str(note["object_attributes"]["id"])}
    assert events.gitlab("Push Hook", {"object_kind": "push"}, "k").ignored
