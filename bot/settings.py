"""Bot configuration, read once from the environment.

Everything the web app, the workers and `codeguard bot` need comes from environment
variables (12-factor style) so the same image runs under docker-compose, systemd or a
test harness; `.env.example` lists them. Values are validated here, at start-up, so a
typo fails with one clear line instead of a stack trace inside a job hours later.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message is one line."""


def _default_embedded_db() -> str:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "codeguard", "redis.db")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be >= {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be >= {minimum}, got {value}")
    return value


def _intervals(env: Mapping[str, str], name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        values = tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise SettingsError(f"{name} must be comma-separated seconds, got {raw!r}") from None
    if any(v < 0 for v in values):
        raise SettingsError(f"{name} must not contain negative seconds")
    return values


QUEUE_NAMES = ("gpu", "cpu", "training")


@dataclass(frozen=True)
class Settings:
    # Redis: a URL (redis://, rediss://, unix://) or, when unset, an embedded server
    # whose rdb file (and `<file>.settings` registry naming its unix socket) lives here.
    redis_url: str | None = None
    embedded_redis_db: str = field(default_factory=_default_embedded_db)
    redis_timeout_s: float = 2.0

    github_webhook_secret: str | None = None
    github_token: str | None = None
    github_app_id: str | None = None
    github_app_private_key_path: str | None = None
    github_api_url: str = "https://api.github.com"
    # PyGithub's own pacing between calls (its defaults keep clear of secondary limits).
    github_min_interval_s: float = 0.25
    github_write_interval_s: float = 1.0

    gitlab_url: str = "https://gitlab.com"
    gitlab_token: str | None = None
    gitlab_webhook_secret: str | None = None

    # Model: "none" (structural only), "default" (the registry's current version, else
    # models/default) or a directory.
    model: str = "default"
    # Where the model registry (<dir>/registry) and the feedback dataset (<dir>/feedback) live.
    models_dir: str = str(Path(__file__).resolve().parent.parent / "models")
    analysis_queue: str = "cpu"

    max_body_bytes: int = 25 * 1024 * 1024
    dedupe_ttl_s: int = 3 * 24 * 3600
    # How long a finished analysis keeps its job id (work key) reserved: the same
    # platform/repo/PR/head/model is not analysed or posted again within this time.
    result_ttl_s: int = 7 * 24 * 3600
    job_timeout_s: int = 900
    job_retries: int = 2
    job_retry_intervals_s: tuple[int, ...] = (30, 120)

    http_retries: int = 4
    http_backoff_s: float = 1.0
    http_max_wait_s: float = 120.0
    http_timeout_s: float = 30.0

    max_file_bytes: int = 512 * 1024
    max_files: int = 300
    comment_marker: str = "codeguard:report"
    status_context: str = "codeguard"
    public_url: str | None = None

    def __post_init__(self) -> None:
        if self.analysis_queue not in QUEUE_NAMES:
            raise SettingsError(f"CODEGUARD_ANALYSIS_QUEUE must be one of {', '.join(QUEUE_NAMES)}")
        if bool(self.github_app_id) != bool(self.github_app_private_key_path):
            raise SettingsError("GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY_PATH must be set together")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def opt(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        return cls(
            redis_url=opt("CODEGUARD_REDIS_URL"),
            embedded_redis_db=opt("CODEGUARD_EMBEDDED_REDIS_DB") or _default_embedded_db(),
            redis_timeout_s=_float(env, "CODEGUARD_REDIS_TIMEOUT", 2.0, 0.05),
            github_webhook_secret=opt("GITHUB_WEBHOOK_SECRET"),
            github_token=opt("GITHUB_TOKEN"),
            github_app_id=opt("GITHUB_APP_ID"),
            github_app_private_key_path=opt("GITHUB_APP_PRIVATE_KEY_PATH"),
            github_api_url=(opt("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
            github_min_interval_s=_float(env, "CODEGUARD_GITHUB_MIN_INTERVAL", 0.25),
            github_write_interval_s=_float(env, "CODEGUARD_GITHUB_WRITE_INTERVAL", 1.0),
            gitlab_url=(opt("GITLAB_URL") or "https://gitlab.com").rstrip("/"),
            gitlab_token=opt("GITLAB_TOKEN"),
            gitlab_webhook_secret=opt("GITLAB_WEBHOOK_SECRET"),
            model=opt("CODEGUARD_MODEL") or "default",
            models_dir=opt("CODEGUARD_MODELS_DIR") or str(Path(__file__).resolve().parent.parent / "models"),
            analysis_queue=opt("CODEGUARD_ANALYSIS_QUEUE") or "cpu",
            max_body_bytes=_int(env, "CODEGUARD_MAX_BODY_BYTES", 25 * 1024 * 1024, 1),
            dedupe_ttl_s=_int(env, "CODEGUARD_DEDUPE_TTL", 3 * 24 * 3600, 1),
            result_ttl_s=_int(env, "CODEGUARD_RESULT_TTL", 7 * 24 * 3600, 1),
            job_timeout_s=_int(env, "CODEGUARD_JOB_TIMEOUT", 900, 1),
            job_retries=_int(env, "CODEGUARD_JOB_RETRIES", 2),
            job_retry_intervals_s=_intervals(env, "CODEGUARD_JOB_RETRY_INTERVALS", (30, 120)),
            http_retries=_int(env, "CODEGUARD_HTTP_RETRIES", 4),
            http_backoff_s=_float(env, "CODEGUARD_HTTP_BACKOFF", 1.0),
            http_max_wait_s=_float(env, "CODEGUARD_HTTP_MAX_WAIT", 120.0),
            http_timeout_s=_float(env, "CODEGUARD_HTTP_TIMEOUT", 30.0, 0.1),
            max_file_bytes=_int(env, "CODEGUARD_MAX_FILE_BYTES", 512 * 1024, 1),
            max_files=_int(env, "CODEGUARD_MAX_FILES", 300, 1),
            public_url=opt("CODEGUARD_PUBLIC_URL"),
        )

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def github_auth_mode(self) -> str | None:
        """'app', 'token' or None (GitHub not configured for posting)."""
        if self.github_app_id:
            return "app"
        if self.github_token:
            return "token"
        return None

    def github_private_key(self) -> str:
        path = self.github_app_private_key_path
        if not path:
            raise SettingsError("GITHUB_APP_PRIVATE_KEY_PATH is not set")
        try:
            return Path(path).read_text()
        except OSError as exc:
            raise SettingsError(f"cannot read GITHUB_APP_PRIVATE_KEY_PATH {path}: {exc.strerror}") from None

    def model_dir(self) -> str | None:
        """The model artifact to load, or None for structural-only analysis."""
        if self.model.lower() == "none":
            return None
        if self.model.lower() == "default":
            # A promoted registry version wins over the shipped model; re-read on every call
            # so workers and the web app follow promotions and rollbacks without a restart.
            from ml.registry import Registry

            served = Registry(Path(self.models_dir) / "registry").current_dir()
            return str(served) if served is not None else str(Path(__file__).resolve().parent.parent / "models" / "default")
        return self.model
