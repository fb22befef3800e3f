from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError


def test_defaults_and_parsing() -> None:
    s = Settings.from_env({})
    assert s.redis_url is None and s.embedded_redis_db.endswith("codeguard/redis.db")
    assert s.github_api_url == "https://api.github.com" and s.gitlab_url == "https://gitlab.com"
    assert s.github_auth_mode is None and s.analysis_queue == "cpu"
    s = Settings.from_env({"CODEGUARD_REDIS_URL": "redis://h:1/2", "GITHUB_TOKEN": "t",
                           "GITHUB_API_URL": "https://ghe.example/api/v3/", "CODEGUARD_JOB_RETRY_INTERVALS": "5, 10",
                           "CODEGUARD_MODEL": "none", "CODEGUARD_ANALYSIS_QUEUE": "gpu"})
    assert s.github_api_url == "https://ghe.example/api/v3" and s.github_auth_mode == "token"
    assert s.job_retry_intervals_s == (5, 10) and s.model_dir() is None and s.analysis_queue == "gpu"


@pytest.mark.parametrize("env, message", [
    ({"CODEGUARD_MAX_BODY_BYTES": "lots"}, "CODEGUARD_MAX_BODY_BYTES must be an integer"),
    ({"CODEGUARD_JOB_RETRIES": "-1"}, "must be >= 0"),
    ({"CODEGUARD_JOB_RETRY_INTERVALS": "1,x"}, "comma-separated"),
    ({"GITHUB_APP_ID": "12"}, "must be set together"),
    ({"CODEGUARD_ANALYSIS_QUEUE": "tpu"}, "must be one of"),
])
def test_bad_values_fail_with_one_line(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message) as info:
        Settings.from_env(env)
    assert "\n" not in str(info.value)


def test_app_key_is_read_from_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    key = tmp_path / "key.pem"
    key.write_text("PEM")
    s = Settings.from_env({"GITHUB_APP_ID": "1", "GITHUB_APP_PRIVATE_KEY_PATH": str(key)})
    assert s.github_auth_mode == "app" and s.github_private_key() == "PEM"
    missing = Settings.from_env({"GITHUB_APP_ID": "1", "GITHUB_APP_PRIVATE_KEY_PATH": str(tmp_path / "nope")})
    with pytest.raises(SettingsError, match="cannot read"):
        missing.github_private_key()
