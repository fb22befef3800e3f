"""Versioned models and the rule that decides which one is served.

A retrained model is never served just because it is newer: it is measured on a fixed
validation set that feedback never enters, beside the model it would replace, and becomes
current only if ROC-AUC does not drop and its false-positive rate at the `high` level (the
one that says "likely AI" to a teacher) stays within that level's target. A refused version
is kept, so a maintainer can inspect it or promote it by hand (`codeguard models promote
--force`), and every change of the served model is written to an append-only audit log with
who triggered it.

Layout under the registry root (`<models dir>/registry`, the models dir being
`CODEGUARD_MODELS_DIR` or the project's `models/`)::

    v0001/            full artifact set (config.json, weights, tokenizer, thresholds.json,
                      training_history.json, README.md model card) + registry.json
    state.json        {"current": "v0002", "history": ["v0001"]}  (history: for rollback)
    audit.jsonl       one JSON line per register / promote / refuse / rollback / A/B change
    ab.json           optional A/B split (ml.ab)

The current pointer is a file, re-read on every lookup, so any process (a worker between two
jobs, the web app building work keys) sees a promotion without a restart. Writers take an
exclusive `flock` on `.lock`; readers need none because every write is an atomic rename.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
REGISTRY_DIR = "registry"
STATE_FILE = "state.json"
AUDIT_FILE = "audit.jsonl"
META_FILE = "registry.json"
LOCK_FILE = ".lock"
_VERSION = re.compile(r"^v(\d{4,})$")
#: One-sided 95% z for the sampling margin of a measured false-positive rate.
_Z95 = 1.645


class RegistryError(ValueError):
    """A registry operation the user asked for cannot be done; the message says why."""


def models_dir(env: Mapping[str, str] | None = None) -> Path:
    """`CODEGUARD_MODELS_DIR`, else the project's models/ folder."""
    env = os.environ if env is None else env
    value = env.get("CODEGUARD_MODELS_DIR", "").strip()
    return Path(value) if value else ROOT / "models"


def registry_root(models: str | Path | None = None) -> Path:
    return Path(models if models is not None else models_dir()) / REGISTRY_DIR


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _finite(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


# ------------------------------------------------------------------------------ evaluation
def high_level(thresholds: Mapping[str, Any]) -> tuple[float, float | None]:
    """(threshold, target FPR or None) of the `high` level in a thresholds.json mapping."""
    levels = thresholds.get("levels", thresholds)
    if "high" not in levels:
        raise RegistryError("the model's thresholds have no 'high' level")
    value = levels["high"]
    if isinstance(value, Mapping):
        return float(value["threshold"]), _finite(value.get("target_fpr"))
    return float(value), None


def evaluate_scores(
    scores: Sequence[float] | np.ndarray, labels: Sequence[int] | np.ndarray, thresholds: Mapping[str, Any]
) -> dict[str, Any]:
    """ROC-AUC and the rates of the `high` level, from scores on the fixed validation set."""
    from sklearn.metrics import roc_auc_score

    from ml.calibration import rates_at_threshold

    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    if s.shape != y.shape or s.size == 0:
        raise RegistryError(f"need as many scores as labels, got {s.size} and {y.size}")
    threshold, target = high_level(thresholds)
    n_human, n_ai = int((y == 0).sum()), int((y == 1).sum())
    auc = float(roc_auc_score(y, s)) if n_human and n_ai else float("nan")
    fpr, tpr = rates_at_threshold(s, y, threshold)
    return {
        "roc_auc": auc,
        "fpr_high": fpr,
        "tpr_high": tpr,
        "high_threshold": threshold,
        "target_fpr_high": target,
        "n_human": n_human,
        "n_ai": n_ai,
    }


def evaluate_model(
    model_dir: str | Path, codes: Sequence[str], languages: Sequence[str], labels: Sequence[int]
) -> dict[str, Any]:
    """Measure a saved model through the serving path (windows, aggregation, its own thresholds).

    A fresh detector, not the per-process cache: the gate must measure exactly the files on
    disk, and a worker's cached copy of an older version must not leak in.
    """
    from ml.inference import CodeDetectorInference

    det = CodeDetectorInference(model_dir, device="cpu" if not _cuda() else None)
    scores = det.score(list(codes), list(languages))
    out = evaluate_scores(scores, labels, det.thresholds)
    out["calibrated"] = bool(det.calibrated)
    out["model_version"] = det.model_version
    return out


def _cuda() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except ImportError:  # pragma: no cover
        return False


@dataclass(frozen=True)
class PromotionPolicy:
    """When a candidate may replace the current model.

    auc_tolerance: how far validation ROC-AUC may fall (0: it must not drop at all).
    max_fpr_high: the FPR limit at the `high` level; None uses the level's calibrated target.
    fpr_margin: "auto" adds the one-sided 95% sampling margin of a rate measured on n human
    files (so a 1% target measured on 300 humans is not refused for 4 false positives where
    3 were expected); a number uses that margin instead.
    """

    auc_tolerance: float = 0.0
    max_fpr_high: float | None = None
    fpr_margin: float | str = "auto"

    def fpr_limit(self, target: float | None, n_human: int) -> float:
        base = self.max_fpr_high if self.max_fpr_high is not None else (target if target is not None else 0.01)
        if self.fpr_margin == "auto":
            margin = _Z95 * math.sqrt(base * (1 - base) / n_human) if n_human > 0 else 0.0
        else:
            margin = float(self.fpr_margin)
        return base + margin

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> PromotionPolicy:
        unknown = set(values) - {"auc_tolerance", "max_fpr_high", "fpr_margin"}
        if unknown:
            raise RegistryError(f"unknown promotion keys: {', '.join(sorted(unknown))}")
        margin = values.get("fpr_margin", "auto")
        if margin != "auto":
            margin = float(margin)
        mx = values.get("max_fpr_high")
        return cls(float(values.get("auc_tolerance", 0.0)), None if mx is None else float(mx), margin)


@dataclass(frozen=True)
class PromotionDecision:
    promote: bool
    reasons: list[str]

    @property
    def summary(self) -> str:
        return "; ".join(self.reasons)


def decide(
    candidate: Mapping[str, Any], current: Mapping[str, Any] | None, policy: PromotionPolicy | None = None
) -> PromotionDecision:
    """Apply the promotion rule to metrics from `evaluate_model` on the same validation set."""
    policy = policy or PromotionPolicy()
    reasons: list[str] = []
    ok = True
    auc = _finite(candidate.get("roc_auc"))
    if auc is None:
        return PromotionDecision(False, ["validation ROC-AUC is undefined (the set needs human and AI files)"])
    cur_auc = _finite(current.get("roc_auc")) if current else None
    if cur_auc is None:
        reasons.append(f"ROC-AUC {auc:.4f} (no current model to compare with)")
    elif auc + policy.auc_tolerance < cur_auc:
        ok = False
        reasons.append(f"ROC-AUC dropped from {cur_auc:.4f} to {auc:.4f}")
    else:
        reasons.append(f"ROC-AUC {auc:.4f} vs {cur_auc:.4f} (did not drop)")
    fpr = _finite(candidate.get("fpr_high"))
    n_human = int(candidate.get("n_human") or 0)
    limit = policy.fpr_limit(_finite(candidate.get("target_fpr_high")), n_human)
    if fpr is None:
        ok = False
        reasons.append("FPR at the high threshold could not be measured (no human files)")
    elif fpr > limit + 1e-12:
        ok = False
        reasons.append(f"FPR at the high threshold {fpr:.2%} exceeds the limit {limit:.2%} ({n_human} human files)")
    else:
        reasons.append(f"FPR at the high threshold {fpr:.2%} within the limit {limit:.2%}")
    return PromotionDecision(ok, reasons)


# -------------------------------------------------------------------------------- registry
@dataclass
class VersionInfo:
    version: str
    created_at: str = ""
    created_by: str = ""
    parent: str | None = None
    source: str = ""  # "import:<dir>", "retrain", ...
    metrics: dict[str, Any] = field(default_factory=dict)  # on the fixed validation set
    parent_metrics: dict[str, Any] = field(default_factory=dict)  # the then-current model, same set
    decision: dict[str, Any] = field(default_factory=dict)  # {"promote": bool, "reasons": [...]}
    training: dict[str, Any] = field(default_factory=dict)  # examples, feedback, epochs, seconds
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> VersionInfo:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})


class Registry:
    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else registry_root()

    # ------------------------------------------------------------------ plumbing
    @contextmanager
    def locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK_FILE, "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _state(self) -> dict[str, Any]:
        path = self.root / STATE_FILE
        if not path.is_file():
            return {"current": None, "history": []}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise RegistryError(f"{path} is not valid JSON: {exc}") from None
        return {"current": data.get("current"), "history": list(data.get("history") or [])}

    def _write_state(self, state: Mapping[str, Any]) -> None:
        _atomic_write(self.root / STATE_FILE, json.dumps(state, indent=2) + "\n")

    def audit(self, who: str, action: str, version: str | None, **detail: Any) -> None:
        """Append one line to the audit log (callers outside a lock get line-atomic appends)."""
        self.root.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"at": _now(), "who": who or "unknown", "action": action, "version": version, **detail},
                          default=str)
        with open(self.root / AUDIT_FILE, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def audit_log(self) -> list[dict[str, Any]]:
        path = self.root / AUDIT_FILE
        if not path.is_file():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    # -------------------------------------------------------------------- lookup
    def versions(self) -> list[str]:
        if not self.root.is_dir():
            return []
        found = [(int(m[1]), p.name) for p in self.root.iterdir() if p.is_dir() and (m := _VERSION.match(p.name))]
        return [name for _, name in sorted(found)]

    def path(self, version: str) -> Path:
        if not _VERSION.match(version or ""):
            raise RegistryError(f"{version!r} is not a registry version (like v0003)")
        p = self.root / version
        if not (p / META_FILE).is_file():
            raise RegistryError(f"no version {version} in {self.root}")
        return p

    def info(self, version: str) -> VersionInfo:
        data = json.loads((self.path(version) / META_FILE).read_text(encoding="utf-8"))
        return VersionInfo.from_dict(data)

    def current(self) -> str | None:
        cur = self._state()["current"]
        return str(cur) if cur and (self.root / str(cur) / META_FILE).is_file() else None

    def current_dir(self) -> Path | None:
        cur = self.current()
        return self.root / cur if cur else None

    # ------------------------------------------------------------------- changes
    def register(
        self,
        src_dir: str | Path,
        *,
        who: str,
        source: str,
        parent: str | None = None,
        metrics: Mapping[str, Any] | None = None,
        parent_metrics: Mapping[str, Any] | None = None,
        decision: PromotionDecision | None = None,
        training: Mapping[str, Any] | None = None,
        note: str = "",
        move: bool = False,
    ) -> VersionInfo:
        """Store a saved model as the next version (not served yet: see promote/apply)."""
        src = Path(src_dir)
        if not (src / "config.json").is_file():
            raise RegistryError(f"{src} holds no saved model (no config.json)")
        with self.locked():
            numbers = [int(v[1:]) for v in self.versions()]
            version = f"v{(max(numbers) + 1 if numbers else 1):04d}"
            staging = Path(tempfile.mkdtemp(dir=self.root, prefix=f".{version}-"))
            try:
                if move:
                    staging.rmdir()
                    shutil.move(str(src), str(staging))
                else:
                    shutil.copytree(src, staging, dirs_exist_ok=True)
                cfg_path = staging / "config.json"
                cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
                cfg["model_version"] = version  # the version travels with copies of the files
                cfg_path.write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n", encoding="utf-8")
                info = VersionInfo(
                    version=version, created_at=_now(), created_by=who or "unknown", parent=parent, source=source,
                    metrics=dict(metrics or {}), parent_metrics=dict(parent_metrics or {}),
                    decision={"promote": decision.promote, "reasons": decision.reasons} if decision else {},
                    training=dict(training or {}), note=note,
                )
                (staging / META_FILE).write_text(json.dumps(info.to_dict(), indent=2, default=str) + "\n",
                                                 encoding="utf-8")
                os.rename(staging, self.root / version)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            self.audit(who, "register", version, source=source, parent=parent)
        return info

    def _set_current(self, version: str, who: str, action: str, **detail: Any) -> str | None:
        self.path(version)
        with self.locked():
            state = self._state()
            previous = state["current"]
            if previous == version:
                return previous
            history = [v for v in state["history"] if v != version]
            if previous and action != "rollback":
                history.append(previous)
            self._write_state({"current": version, "history": history})
            self.audit(who, action, version, previous=previous, **detail)
        return previous

    def promote(self, version: str, who: str, *, force: bool = False, reason: str = "") -> str | None:
        """Serve `version`. A version the rule refused needs `force` (and is audited as forced)."""
        info = self.info(version)
        refused = info.decision and not info.decision.get("promote", True)
        if refused and not force:
            raise RegistryError(
                f"{version} was refused by the promotion rule ({'; '.join(info.decision.get('reasons', []))}); "
                "pass --force to serve it anyway"
            )
        return self._set_current(version, who, "promote", forced=bool(refused), reason=reason or "manual")

    def apply_decision(self, version: str, decision: PromotionDecision, who: str) -> bool:
        """After registering a retrained version: promote it, or record why it is not served."""
        if decision.promote:
            self._set_current(version, who, "promote", reason=decision.summary, automatic=True)
            return True
        self.audit(who, "refuse", version, reason=decision.summary, current=self.current())
        return False

    def rollback(self, who: str, to: str | None = None) -> tuple[str | None, str]:
        """Serve the previously current version (or `to`); returns (rolled-back-from, now current)."""
        with self.locked():
            state = self._state()
            current = state["current"]
            history = [v for v in state["history"] if (self.root / v / META_FILE).is_file()]
            if to is None:
                candidates = [v for v in history if v != current]
                if not candidates:
                    raise RegistryError("nothing to roll back to: no earlier current version")
                target = candidates[-1]
            else:
                self.path(to)
                target = to
            history = [v for v in history if v != target]
            if to is not None and current and current not in history:
                history.append(current)
            self._write_state({"current": target, "history": history})
            self.audit(who, "rollback", target, previous=current)
        return current, target

    def ensure_baseline(self, model_dir: str | Path | None, who: str) -> str | None:
        """The current version; an empty registry first imports `model_dir` (the shipped model)
        as v0001, so retraining always continues from the model that is being served."""
        cur = self.current()
        if cur is not None or model_dir is None or not (Path(model_dir) / "config.json").is_file():
            return cur
        info = self.register(model_dir, who=who, source=f"import:{model_dir}", note="baseline (served model)")
        self._set_current(info.version, who, "promote", reason="baseline import")
        return info.version
