"""docker-compose.yml checked without a Docker engine: the Compose spec schema (vendored by
check-jsonschema), then what this project needs from each service."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator

from bot.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_matches_the_compose_spec_schema() -> None:
    import check_jsonschema

    schema_path = Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor" / "compose-spec.json"
    schema = json.loads(schema_path.read_text())
    errors = sorted(Draft7Validator(schema).iter_errors(compose()), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    broken = compose()
    broken["services"]["redis"]["deploy"] = {"resources": {"reservations": {"devices": "nvidia"}}}
    assert list(Draft7Validator(schema).iter_errors(broken))  # the schema does catch mistakes


def test_services_images_commands_and_gpu() -> None:
    services = compose()["services"]
    assert set(services) == {"redis", "web", "worker-cpu", "worker-gpu", "worker-training"}
    redis = services["redis"]
    assert re.fullmatch(r"redis:7[\w.-]*", redis["image"])
    assert "--appendonly" in redis["command"] and redis["command"][redis["command"].index("--appendonly") + 1] == "yes"
    assert any(v.endswith(":/data") for v in redis["volumes"])
    web = services["web"]
    assert web["command"][0] == "gunicorn" and web["command"][-1] == "webhooks.wsgi:app"
    parser = build_parser()
    for name, queue in [("worker-cpu", "cpu"), ("worker-gpu", "gpu"), ("worker-training", "training")]:
        command = services[name]["command"]
        assert command[0] == "codeguard"
        args = parser.parse_args(command[1:])  # the CLI really accepts it
        assert args.command == "worker" and queue in args.queue
    for name, service in services.items():
        if name == "redis":
            continue
        assert service["environment"]["CODEGUARD_REDIS_URL"].startswith("redis://redis:")
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
    for name in ("worker-gpu", "worker-training"):
        (device,) = services[name]["deploy"]["resources"]["reservations"]["devices"]
        assert device["driver"] == "nvidia" and "gpu" in device["capabilities"]
    assert "deploy" not in services["worker-cpu"]
    module, _, attr = web["command"][-1].partition(":")
    assert (ROOT / (module.replace(".", "/") + ".py")).is_file() and attr == "app"


def test_env_example_documents_every_setting() -> None:
    source = (ROOT / "bot" / "settings.py").read_text()
    used = set(re.findall(r'"((?:CODEGUARD|GITHUB|GITLAB)_[A-Z0-9_]+)"', source))
    documented = {line.split("=", 1)[0] for line in (ROOT / ".env.example").read_text().splitlines()
                  if line and not line.startswith("#")}
    assert used and used <= documented, sorted(used - documented)

