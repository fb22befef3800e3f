"""Event → task mapping: pure functions from (event name, payload) to work or a reason.

Kept free of Flask and Redis so every rule (which actions analyse, which labels count,
who may run a command) is unit-tested on the recorded payloads directly. Permission
checks that need the platform API (write access for `/codeguard recheck`) happen in the
job, never in the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.queue import ChangeRef, Task

RETRAIN_LABEL = "codeguard:retrain"
FEEDBACK_LABELS = {"codeguard:ai": "ai", "codeguard:human": "human"}
COMMAND_PREFIX = "/codeguard"
ANALYSE_PR_ACTIONS = {"opened", "synchronize", "reopened", "ready_for_review"}


class PayloadError(ValueError):
    """The payload lacks a field this event needs (malformed delivery: 400)."""


@dataclass
class Decision:
    tasks: list[Task] = field(default_factory=list)
    reason: str = ""  # why nothing is done (ignored events), or what was understood
    reply: dict[str, Any] = field(default_factory=dict)  # extra response fields (ping zen)

    @property
    def ignored(self) -> bool:
        return not self.tasks


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            raise PayloadError(f"payload has no {'.'.join(path)}")
        obj = obj[key]
    return obj


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PayloadError(f"{what} is not a number")
    try:
        return int(value)
    except ValueError:
        raise PayloadError(f"{what} is not a number") from None


def parse_command(body: str) -> str | None:
    """`/codeguard recheck` → "recheck"; anything else → None. Only the first line counts."""
    lines = (body or "").strip().splitlines()
    if not lines:
        return None
    words = lines[0].split()
    if len(words) >= 2 and words[0].lower() == COMMAND_PREFIX:
        return words[1].lower()
    if len(words) == 1 and words[0].lower() == COMMAND_PREFIX:
        return "recheck"
    return None


# ----------------------------------------------------------------------------- GitHub


def _github_ref(payload: dict[str, Any], number: int) -> ChangeRef:
    repo = _get(payload, "repository")
    installation = payload.get("installation") or {}
    owner = (repo.get("owner") or {}).get("login", "") if isinstance(repo, dict) else ""
    return ChangeRef(
        platform="github",
        repo=str(_get(repo, "full_name")),
        number=number,
        installation_id=installation.get("id") if isinstance(installation, dict) else None,
        owner=str(owner),
    )


def github(event: str, payload: dict[str, Any], delivery: str) -> Decision:
    if event == "ping":
        return Decision(reason="ping", reply={"zen": payload.get("zen", "")})
    if event in ("installation", "installation_repositories"):
        return Decision(reason=f"{event} {payload.get('action', '')} acknowledged".strip())
    if event == "pull_request":
        return _github_pull_request(payload, delivery)
    if event == "issue_comment":
        return _github_comment(payload)
    return Decision(reason=f"event {event!r} is not used")


def _github_pull_request(payload: dict[str, Any], delivery: str) -> Decision:
    action = payload.get("action")
    pr = _get(payload, "pull_request")
    number = _int(payload.get("number", pr.get("number")), "number")
    ref = _github_ref(payload, number)
    head_sha = str(_get(pr, "head", "sha"))
    if action in ANALYSE_PR_ACTIONS:
        if pr.get("state") == "closed":
            return Decision(reason="pull request is closed")
        if pr.get("draft") and action != "ready_for_review":
            return Decision(reason="draft pull request (analysed when marked ready for review)")
        return Decision([Task("analyze", ref, head_sha, {"trigger": f"pull_request.{action}"})])
    if action == "labeled":
        name = str((payload.get("label") or {}).get("name", ""))
        sender = str((payload.get("sender") or {}).get("login", ""))
        return _label_tasks(ref, head_sha, [name], sender, delivery)
    return Decision(reason=f"pull_request action {action!r} is not used")


def _github_comment(payload: dict[str, Any]) -> Decision:
    if payload.get("action") != "created":
        return Decision(reason="only new comments carry commands")
    issue = _get(payload, "issue")
    if not issue.get("pull_request"):
        return Decision(reason="comment is on an issue, not a pull request")
    comment = _get(payload, "comment")
    sender = payload.get("sender") or comment.get("user") or {}
    if sender.get("type") == "Bot":
        return Decision(reason="comment by a bot")
    command = parse_command(str(comment.get("body", "")))
    if command is None:
        return Decision(reason="not a /codeguard command")
    if command != "recheck":
        return Decision(reason=f"unknown command {command!r}")
    ref = _github_ref(payload, _int(_get(issue, "number"), "issue.number"))
    params = {"requested_by": str(sender.get("login", "")), "trigger_id": str(comment.get("id", ""))}
    return Decision([Task("recheck", ref, None, params)])


def _label_tasks(ref: ChangeRef, head_sha: str, labels: list[str], sender: str, delivery: str) -> Decision:
    tasks: list[Task] = []
    for name in labels:
        if name == RETRAIN_LABEL:
            tasks.append(Task("retrain", ref, head_sha, {"requested_by": sender, "trigger_id": delivery}))
        elif name in FEEDBACK_LABELS:
            label = FEEDBACK_LABELS[name]
            # One feedback job per (label, head): re-adding the label at the same
            # commit stores nothing twice.
            tasks.append(
                Task("feedback", ref, head_sha, {"label": label, "requested_by": sender, "trigger_id": f"{label}:{head_sha}"})
            )
    if not tasks:
        return Decision(reason="label is not a codeguard label")
    return Decision(tasks)


# ----------------------------------------------------------------------------- GitLab


def _gitlab_ref(payload: dict[str, Any], project_id: int, iid: int) -> ChangeRef:
    project = payload.get("project") or {}
    attrs = payload.get("object_attributes") or {}
    target = attrs.get("target") if isinstance(attrs.get("target"), dict) else {}
    path = (target or {}).get("path_with_namespace") or project.get("path_with_namespace")
    if not path:
        raise PayloadError("payload has no project.path_with_namespace")
    return ChangeRef(
        platform="gitlab",
        repo=str(path),
        number=iid,
        project_id=project_id,
        owner=str(path).rsplit("/", 1)[0] if "/" in str(path) else "",
    )


def gitlab(event: str, payload: dict[str, Any], delivery: str) -> Decision:
    kind = payload.get("object_kind")
    if event == "Merge Request Hook" or (not event and kind == "merge_request"):
        return _gitlab_merge_request(payload, delivery)
    if event == "Note Hook" or (not event and kind == "note"):
        return _gitlab_note(payload)
    return Decision(reason=f"event {event or kind!r} is not used")


def _label_titles(values: Any) -> set[str]:
    if not isinstance(values, list):
        return set()
    return {str(v.get("title", "")) for v in values if isinstance(v, dict)}


def _gitlab_merge_request(payload: dict[str, Any], delivery: str) -> Decision:
    attrs = _get(payload, "object_attributes")
    action = attrs.get("action")
    changes = payload.get("changes") or {}
    if action not in ("open", "reopen", "update") and not (isinstance(changes, dict) and changes.get("labels")):
        return Decision(reason=f"merge request action {action!r} is not used")
    iid = _int(_get(attrs, "iid"), "object_attributes.iid")
    project_id = attrs.get("target_project_id") or (payload.get("project") or {}).get("id")
    ref = _gitlab_ref(payload, _int(project_id, "target_project_id"), iid)
    head_sha = str(_get(attrs, "last_commit", "id"))
    tasks: list[Task] = []
    reason = ""

    draft = bool(attrs.get("draft") or attrs.get("work_in_progress"))
    draft_change = changes.get("draft") if isinstance(changes.get("draft"), dict) else {}
    became_ready = bool(draft_change) and draft_change.get("previous") and not draft_change.get("current")
    if attrs.get("state", "opened") != "opened":
        reason = f"merge request is {attrs.get('state')}"
    elif action in ("open", "reopen") or (action == "update" and (attrs.get("oldrev") or became_ready)):
        if draft:
            reason = "draft merge request (analysed when marked ready)"
        else:
            tasks.append(Task("analyze", ref, head_sha, {"trigger": f"merge_request.{action}"}))
    else:
        reason = f"merge request action {action!r} without new commits is not analysed"

    label_change = changes.get("labels") if isinstance(changes.get("labels"), dict) else None
    if label_change:
        added = _label_titles(label_change.get("current")) - _label_titles(label_change.get("previous"))
        sender = str((payload.get("user") or {}).get("username", ""))
        tasks.extend(_label_tasks(ref, head_sha, sorted(added), sender, delivery).tasks)
    return Decision(tasks, reason)


def _gitlab_note(payload: dict[str, Any]) -> Decision:
    attrs = _get(payload, "object_attributes")
    if attrs.get("noteable_type") != "MergeRequest":
        return Decision(reason="note is not on a merge request")
    if attrs.get("system"):
        return Decision(reason="system note")
    if attrs.get("action") not in (None, "create"):
        return Decision(reason="only new notes carry commands")
    command = parse_command(str(attrs.get("note", "")))
    if command is None:
        return Decision(reason="not a /codeguard command")
    if command != "recheck":
        return Decision(reason=f"unknown command {command!r}")
    mr = _get(payload, "merge_request")
    project_id = mr.get("target_project_id") or payload.get("project_id") or (payload.get("project") or {}).get("id")
    ref = _gitlab_ref(payload, _int(project_id, "project_id"), _int(_get(mr, "iid"), "merge_request.iid"))
    user = payload.get("user") or {}
    params = {
        "requested_by": str(user.get("username", "")),
        "user_id": user.get("id"),
        "trigger_id": str(attrs.get("id", "")),
    }
    return Decision([Task("recheck", ref, None, params)])
