"""GitLab through python-gitlab: any instance URL (gitlab.com, self-hosted, a stand-in).

The MR is addressed as project id + iid. Changed files come from the `/diffs` endpoint
(GitLab 15.7+, paginated, with `generated_file` since 16.9) and fall back to the older
`/changes` on servers without it. Retries happen in the requests session (bot.retry);
python-gitlab's own 5xx retry stays off so the policy is applied once, not twice.
"""

from __future__ import annotations

import logging
from typing import Any

import gitlab
from gitlab.exceptions import GitlabGetError, GitlabHttpError

from bot.platforms.base import ChangedPath, ChangeInfo, FetchedFiles, collect, marker_comment
from bot.queue import ChangeRef
from bot.repo_config import RepoConfig
from bot.retry import RetryPolicy, retrying_session
from bot.settings import Settings, SettingsError

log = logging.getLogger(__name__)

STATUS_STATES = {"pending": "running", "success": "success", "attention": "success", "error": "failed"}
DEVELOPER = 30  # GitLab access level that can push: Developer, Maintainer (40), Owner (50)


def make_client(settings: Settings) -> gitlab.Gitlab:
    if not settings.gitlab_token:
        raise SettingsError("GitLab is not configured: set GITLAB_URL and GITLAB_TOKEN")
    return gitlab.Gitlab(
        settings.gitlab_url,
        private_token=settings.gitlab_token,
        timeout=settings.http_timeout_s,
        session=retrying_session(RetryPolicy.from_settings(settings)),
        retry_transient_errors=False,
    )


def _status(exc: Exception) -> int | None:
    return getattr(exc, "response_code", None)


class GitLabChange:
    platform = "gitlab"

    def __init__(self, settings: Settings, ref: ChangeRef, client: gitlab.Gitlab | None = None) -> None:
        if ref.project_id is None:
            raise ValueError("a GitLab change needs its project id")
        self.settings = settings
        self.ref = ref
        self.gl = client or make_client(settings)
        self.project = self.gl.projects.get(ref.project_id, lazy=True)
        self._mr: Any = None

    def _merge_request(self) -> Any:
        if self._mr is None:
            self._mr = self.project.mergerequests.get(self.ref.number)
        return self._mr

    def change(self) -> ChangeInfo:
        mr = self._merge_request()
        project = self.gl.projects.get(self.ref.project_id)
        state = {"opened": "open", "locked": "open"}.get(mr.state, mr.state)
        return ChangeInfo(
            head_sha=mr.sha,
            author=(mr.author or {}).get("username", ""),
            default_branch=project.default_branch or mr.target_branch,
            state=state,
            title=mr.title or "",
            web_url=getattr(project, "web_url", "") or "",
        )

    def _diff_entries(self) -> list[dict[str, Any]]:
        path = f"/projects/{self.ref.project_id}/merge_requests/{self.ref.number}/diffs"
        try:
            return list(self.gl.http_list(path, iterator=True, query_data={"unidiff": "false"}))  # type: ignore[arg-type]
        except GitlabHttpError as exc:
            if exc.response_code != 404:
                raise
        changes = self._merge_request().changes()
        return list(changes.get("changes", []))

    def _bytes(self, path: str, ref: str) -> bytes | None:
        try:
            data = self.project.files.raw(file_path=path, ref=ref)
        except GitlabGetError as exc:
            if _status(exc) == 404:
                return None
            raise
        return bytes(data) if not isinstance(data, bytes) else data

    def changed_files(self, head_sha: str, config: RepoConfig) -> FetchedFiles:
        entries = [
            ChangedPath(
                path=d.get("new_path") or d.get("old_path", ""),
                deleted=bool(d.get("deleted_file")),
                generated=bool(d.get("generated_file")),
            )
            for d in self._diff_entries()
        ]
        return collect(entries, lambda p: self._bytes(p, head_sha), config,
                       self.settings.max_file_bytes, self.settings.max_files)

    def read_file(self, path: str, ref: str) -> str | None:
        data = self._bytes(path, ref)
        return None if data is None else data.decode("utf-8", errors="replace")

    def files_under(self, prefixes: tuple[str, ...], ref: str, config: RepoConfig) -> FetchedFiles:
        entries: list[ChangedPath] = []
        for prefix in prefixes:
            try:
                items = self.project.repository_tree(path=prefix.strip("/"), ref=ref, recursive=True, iterator=True)
            except GitlabGetError as exc:
                if _status(exc) == 404:
                    continue
                raise
            entries.extend(ChangedPath(path=item["path"]) for item in items if item.get("type") == "blob")
        return collect(entries, lambda p: self._bytes(p, ref), RepoConfig(),
                       self.settings.max_file_bytes, self.settings.max_files)

    def upsert_comment(self, marker: str, body: str) -> str:
        tag = marker_comment(marker)
        text = f"{tag}\n{body}"
        mr = self.project.mergerequests.get(self.ref.number, lazy=True)
        for note in mr.notes.list(iterator=True):
            if tag in (note.body or ""):
                if note.body != text:
                    mr.notes.update(note.id, {"body": text})
                return "updated"
        mr.notes.create({"body": text})
        return "created"

    def set_status(self, sha: str, state: str, summary: str, details: str = "") -> None:
        data: dict[str, Any] = {
            "state": STATUS_STATES.get(state, "failed"),
            "name": self.settings.status_context,
            "description": summary[:255],
        }
        if self.settings.public_url:
            data["target_url"] = self.settings.public_url
        commit = self.project.commits.get(sha, lazy=True)
        try:
            commit.statuses.create(data)
        except gitlab.exceptions.GitlabCreateError as exc:
            # GitLab refuses a transition to the state the status already has.
            if _status(exc) != 400:
                raise

    def can_write(self, username: str, user_id: int | None = None) -> bool:
        if user_id is None:
            users = self.gl.users.list(username=username, get_all=False)
            if not users:
                return False
            user_id = users[0].id  # type: ignore[union-attr]
        try:
            member = self.project.members_all.get(user_id)
        except GitlabGetError as exc:
            if _status(exc) == 404:
                return False
            raise
        return int(member.access_level) >= DEVELOPER
