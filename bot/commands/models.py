"""`codeguard models list|promote|rollback|report|ab|audit`: the model registry by hand.

Every change is written to the registry's audit log with who made it (`--who`, default
the login name). Workers follow promotions and rollbacks between jobs; nothing restarts.
"""

from __future__ import annotations

import argparse
import getpass
import json
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("models", help="list, promote, roll back and monitor registry model versions")
    p.add_argument("--models-dir", default=None, help="models directory (default: CODEGUARD_MODELS_DIR or models/)")
    p.add_argument("--who", default=None, help="name recorded in the audit log (default: your login)")
    sub = p.add_subparsers(dest="models_command", metavar="ACTION")
    ls = sub.add_parser("list", help="versions with their validation metrics; * marks the served one")
    ls.add_argument("--format", choices=["text", "json"], default="text")
    pr = sub.add_parser("promote", help="serve VERSION (a version the rule refused needs --force)")
    pr.add_argument("version")
    pr.add_argument("--force", action="store_true", help="serve it even though the promotion rule refused it")
    pr.add_argument("--reason", default="", help="why, for the audit log")
    rb = sub.add_parser("rollback", help="serve the previously current version again (or --to VERSION)")
    rb.add_argument("--to", default=None)
    rp = sub.add_parser("report", help="score distributions per version from the prediction log")
    rp.add_argument("--format", choices=["text", "json"], default="text")
    rp.add_argument("--last", type=int, default=0, help="only the newest N logged analyses")
    ab = sub.add_parser("ab", help="split traffic between the current version and a candidate")
    ab.add_argument("candidate", nargs="?", help="version to test (omit with --stop)")
    ab.add_argument("--fraction", type=float, default=0.1, help="share of submissions scored by the candidate")
    ab.add_argument("--stop", action="store_true", help="end the split: everything back to the current version")
    sub.add_parser("audit", help="the audit log: who triggered what, when")
    p.set_defaults(func=run)


def _registry(args: argparse.Namespace) -> Any:
    from ml.registry import Registry, models_dir, registry_root

    return Registry(registry_root(args.models_dir or models_dir()))


def _fmt(x: Any, pct: bool = False) -> str:
    if x is None or (isinstance(x, float) and x != x):
        return "-"
    return f"{float(x):.1%}" if pct else f"{float(x):.4f}"


def run(args: argparse.Namespace) -> int:
    from bot.cli import UsageError
    from ml.registry import RegistryError

    who = args.who or getpass.getuser()
    action = args.models_command
    if action is None:
        raise UsageError("models needs an action: list, promote, rollback, report, ab or audit")
    reg = _registry(args)
    try:
        if action == "list":
            return _list(reg, args.format)
        if action == "promote":
            previous = reg.promote(args.version, who, force=args.force, reason=args.reason)
            print(f"{args.version} is now current (was {previous or 'none'})")
            return 0
        if action == "rollback":
            was, now = reg.rollback(who, to=args.to)
            print(f"rolled back from {was or 'none'} to {now}")
            return 0
        if action == "ab":
            from ml import ab

            if args.stop:
                split = ab.stop(reg, who)
                print("no A/B split was active" if split is None else f"A/B split with {split.candidate} stopped")
                return 0
            if not args.candidate:
                raise UsageError("models ab needs a candidate VERSION (or --stop)")
            split = ab.start(reg, args.candidate, args.fraction, who)
            print(f"A/B: {split.fraction:.0%} of submissions scored by {split.candidate}, "
                  f"the rest by {reg.current()}")
            return 0
        if action == "audit":
            for e in reg.audit_log():
                extra = {k: v for k, v in e.items() if k not in ("at", "who", "action", "version")}
                print(f"{e['at']}  {e['who']:<16} {e['action']:<9} {e.get('version') or '-':<6} "
                      f"{json.dumps(extra) if extra else ''}".rstrip())
            return 0
        if action == "report":
            return _report(args)
    except RegistryError as exc:
        raise UsageError(str(exc)) from None
    raise UsageError(f"unknown models action {action!r}")


def _list(reg: Any, fmt: str) -> int:
    from ml.ab import load_split

    current = reg.current()
    split = load_split(reg)
    rows = []
    for v in reg.versions():
        info = reg.info(v)
        status = "current" if v == current else ("a/b" if split and split.candidate == v else
                                                 ("refused" if info.decision and not info.decision.get("promote")
                                                  else "kept"))
        rows.append({"version": v, "status": status, "created_at": info.created_at, "created_by": info.created_by,
                     "parent": info.parent, "source": info.source, "metrics": info.metrics,
                     "parent_metrics": info.parent_metrics, "decision": info.decision, "training": info.training})
    if fmt == "json":
        print(json.dumps({"current": current, "ab": split.__dict__ if split else None, "versions": rows},
                         indent=2, default=str))
        return 0
    if not rows:
        print(f"no versions in {reg.root}")
        return 0
    print(f"{'':1} {'version':<8} {'status':<8} {'ROC-AUC':>8} {'FPR@high':>9} {'parent':<8} {'created':<20} by")
    for r in rows:
        m = r["metrics"]
        print(f"{'*' if r['status'] == 'current' else ' '} {r['version']:<8} {r['status']:<8} "
              f"{_fmt(m.get('roc_auc')):>8} {_fmt(m.get('fpr_high'), True):>9} {r['parent'] or '-':<8} "
              f"{r['created_at']:<20} {r['created_by']}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from bot import predictions
    from bot.feedback import FeedbackStore
    from bot.jobs import feedback_dir_for
    from bot.redis_conn import connect
    from bot.settings import Settings

    settings = Settings.from_env()
    if args.models_dir:
        settings = settings.with_(models_dir=args.models_dir)
    conn = connect(settings)
    log = predictions.entries(conn, count=args.last or None)
    feedback = FeedbackStore(conn, feedback_dir_for(settings)).examples()
    rep = predictions.report(log, feedback)
    print(json.dumps(rep, indent=2) if args.format == "json" else predictions.format_report(rep))
    return 0
