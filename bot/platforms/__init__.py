"""Platform clients: each turns one PR/MR into the calls a job needs (bot.platforms.base)."""

from __future__ import annotations

from bot.platforms.base import PlatformClient
from bot.queue import ChangeRef
from bot.settings import Settings


def client_for(settings: Settings, ref: ChangeRef) -> PlatformClient:
    if ref.platform == "github":
        from bot.platforms.github import GitHubChange

        return GitHubChange(settings, ref)
    if ref.platform == "gitlab":
        from bot.platforms.gitlab import GitLabChange

        return GitLabChange(settings, ref)
    raise ValueError(f"unknown platform {ref.platform!r}")
