"""Optional A/B serving: a share of submissions is scored by a candidate version.

The split is decided by a hash of the submission key (platform, repository and PR number,
not the commit), so one PR keeps the same model across pushes and its report never flips
between versions; the candidate's name salts the hash, so a new experiment draws a fresh
sample instead of always testing on the same PRs. Per-version prediction logs
(bot.predictions) then let the two be compared on the labels that arrive later.

The split lives in the registry as `ab.json` and, like the current pointer, is re-read on
every lookup, so starting or stopping an experiment needs no worker restart.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ml.registry import Registry, RegistryError, _atomic_write, _now

AB_FILE = "ab.json"


@dataclass(frozen=True)
class ABSplit:
    candidate: str
    fraction: float
    started_by: str = ""
    started_at: str = ""


def bucket(key: str, salt: str) -> float:
    """A stable number in [0, 1) for (salt, key): the same on every machine and run."""
    digest = hashlib.sha256(f"{salt}\0{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def choose(key: str, current: str, split: ABSplit | None) -> str:
    """The version that scores submission `key`."""
    if split is None or split.candidate == current or split.fraction <= 0:
        return current
    return split.candidate if bucket(key, split.candidate) < split.fraction else current


def load_split(registry: Registry) -> ABSplit | None:
    path = registry.root / AB_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        split = ABSplit(str(data["candidate"]), float(data["fraction"]), str(data.get("started_by", "")),
                        str(data.get("started_at", "")))
    except (ValueError, KeyError, TypeError) as exc:
        raise RegistryError(f"{path} is not a valid A/B split: {exc}") from None
    return split


def start(registry: Registry, candidate: str, fraction: float, who: str) -> ABSplit:
    if not 0 < fraction < 1:
        raise RegistryError(f"the A/B fraction must be between 0 and 1 (exclusive), got {fraction}")
    registry.path(candidate)
    if candidate == registry.current():
        raise RegistryError(f"{candidate} is already the current version; A/B needs another one")
    split = ABSplit(candidate, float(fraction), who, _now())
    with registry.locked():
        _atomic_write(registry.root / AB_FILE, json.dumps(asdict(split), indent=2) + "\n")
    registry.audit(who, "ab-start", candidate, fraction=fraction, current=registry.current())
    return split


def stop(registry: Registry, who: str) -> ABSplit | None:
    split = load_split(registry)
    if split is None:
        return None
    (registry.root / AB_FILE).unlink(missing_ok=True)
    registry.audit(who, "ab-stop", split.candidate, fraction=split.fraction)
    return split


def serving_dir(registry: Registry, key: str | None) -> Path | None:
    """The model directory that scores `key`: the current version or the A/B candidate.

    None when the registry has no current version (callers fall back to the shipped model).
    A split whose candidate was deleted is ignored rather than failing every analysis.
    """
    current = registry.current()
    if current is None:
        return None
    chosen = current
    if key is not None:
        try:
            split = load_split(registry)
        except RegistryError:
            split = None
        if split is not None and (registry.root / split.candidate / "config.json").is_file():
            chosen = choose(key, current, split)
    return registry.root / chosen
