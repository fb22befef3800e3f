"""GitHub through PyGithub: token or GitHub App auth, any REST base URL (GHES, a stand-in).

App auth (`GITHUB_APP_ID` + `GITHUB_APP_PRIVATE_KEY_PATH`) signs a JWT and exchanges it for
an installation token (`github.Auth.AppAuth` → `AppInstallationAuth`, refreshed by PyGithub
when it expires); results go out as a check run. Token auth posts a commit status.
Every HTTP call goes through bot.retry's policy.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

from github import Auth, Github, GithubException, GithubIntegration
from github.Repository import Repository

from bot.platforms.base import ChangedPath, ChangeInfo, FetchedFiles, collect, marker_comment
from bot.queue import ChangeRef
from bot.repo_config import RepoConfig
from bot.retry import RetryPolicy, github_retry
from bot.settings import Settings, SettingsError

log = logging.getLogger(__name__)

# Commit status states for our outcomes; check runs use conclusions instead.
STATUS_STATES = {"pending": "pending", "success": "success", "error": "error"}
CHECK_CONCLUSIONS = {"success": "success", "error": "neutral", "attention": "neutral"}


def make_client(settings: Settings, installation_id: int | None = None, repo_full_name: str = "") -> Github:
    kwargs: dict[str, Any] = {
        "base_url": settings.github_api_url,
        "timeout": int(settings.http_timeout_s),
        "retry": github_retry(RetryPolicy.from_settings(settings)),
        "seconds_between_requests": settings.github_min_interval_s or None,
        "seconds_between_writes": settings.github_write_interval_s or None,
    }
    mode = settings.github_auth_mode
    if mode == "token":
        return Github(auth=Auth.Token(settings.github_token or ""), **kwargs)
    if mode == "app":
        app_auth = Auth.AppAuth(int(settings.github_app_id or 0), settings.github_private_key())
        if installation_id is None:
            owner, _, name = repo_full_name.partition("/")
            integration = GithubIntegration(auth=app_auth, **kwargs)
            installation_id = integration.get_repo_installation(owner, name).id
        return Github(auth=app_auth.get_installation_auth(int(installation_id)), **kwargs)
    raise SettingsError("GitHub is not configured: set GITHUB_TOKEN or GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY_PATH")


class GitHubChange:
    """One pull request, as the jobs need it."""

    platform = "github"

    def __init__(self, settings: Settings, ref: ChangeRef, client: Github | None = None) -> None:
        self.settings = settings
        self.ref = ref
        self.gh = client or make_client(settings, ref.installation_id, ref.repo)
        # A lazy repository object: no request until a call needs one.
        self.repo: Repository = self.gh.withLazy(True).get_repo(ref.repo)
        self._pr: Any = None

    def _pull(self) -> Any:
        if self._pr is None:
            self._pr = self.repo.get_pull(self.ref.number)
        return self._pr

    def change(self) -> ChangeInfo:
        pr = self._pull()
        state = "merged" if pr.merged else pr.state
        return ChangeInfo(
            head_sha=pr.head.sha,
            author=pr.user.login if pr.user else "",
            default_branch=pr.base.repo.default_branch or pr.base.ref,
            state="open" if state == "open" else state,
            title=pr.title or "",
            web_url=(pr.base.repo.html_url or "") if pr.base and pr.base.repo else "",
        )

    def _bytes(self, path: str, ref: str) -> bytes | None:
        try:
            content = self.repo.get_contents(path, ref=ref)
        except GithubException as exc:
            if exc.status == 404:
                return None
            raise
        if isinstance(content, list):
            return None  # a directory
        if content.encoding == "base64" and content.content is not None:
            return base64.b64decode(content.content)
        # Files over 1 MB come back without content; fetch the blob instead.
        blob = self.repo.get_git_blob(content.sha)
        return base64.b64decode(blob.content) if blob.encoding == "base64" else blob.content.encode()

    def changed_files(self, head_sha: str, config: RepoConfig) -> FetchedFiles:
        entries = [
            ChangedPath(path=f.filename, deleted=f.status == "removed")
            for f in self._pull().get_files()
        ]
        return collect(entries, lambda p: self._bytes(p, head_sha), config,
                       self.settings.max_file_bytes, self.settings.max_files)

    def read_file(self, path: str, ref: str) -> str | None:
        data = self._bytes(path, ref)
        if data is None:
            return None
        return data.decode("utf-8", errors="replace")

    def files_under(self, prefixes: tuple[str, ...], ref: str, config: RepoConfig) -> FetchedFiles:
        if not prefixes:
            return FetchedFiles()
        tree = self.repo.get_git_tree(ref, recursive=True)
        roots = tuple(p.strip("/") for p in prefixes)
        entries = [
            ChangedPath(path=item.path, size=item.size)
            for item in tree.tree
            if item.type == "blob" and any(item.path == r or item.path.startswith(r + "/") for r in roots)
        ]
        # Base code is the teacher's, so only the size/binary rules apply, not include/exclude.
        return collect(entries, lambda p: self._bytes(p, ref), RepoConfig(),
                       self.settings.max_file_bytes, self.settings.max_files)

    def upsert_comment(self, marker: str, body: str) -> str:
        tag = marker_comment(marker)
        text = f"{tag}\n{body}"
        issue = self.repo.get_issue(self.ref.number)
        for comment in issue.get_comments():
            if tag in (comment.body or ""):
                if comment.body != text:
                    comment.edit(text)
                return "updated"
        issue.create_comment(text)
        return "created"

    def set_status(self, sha: str, state: str, summary: str, details: str = "") -> None:
        summary = summary[:140]
        if self.settings.github_auth_mode == "app":
            output = {"title": summary, "summary": details or summary}
            if state == "pending":
                self.repo.create_check_run(self.settings.status_context, sha, status="in_progress", output=output)
            else:
                self.repo.create_check_run(
                    self.settings.status_context, sha, status="completed",
                    conclusion=CHECK_CONCLUSIONS.get(state, "neutral"), output=output,
                )
            return
        commit = self.repo.get_commit(sha)
        kwargs: dict[str, Any] = {"description": summary, "context": self.settings.status_context}
        if self.settings.public_url:
            kwargs["target_url"] = self.settings.public_url
        commit.create_status(STATUS_STATES.get(state, "success" if state == "attention" else "error"), **kwargs)

    def can_write(self, username: str, user_id: int | None = None) -> bool:
        if not username:
            return False
        try:
            permission = self.repo.get_collaborator_permission(username)
        except GithubException as exc:
            if exc.status in (403, 404):
                return False
            raise
        return permission in ("admin", "maintain", "write")
