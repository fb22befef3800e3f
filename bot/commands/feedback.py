"""`codeguard feedback add|list|export|import`: the labelled examples retraining learns from.

`add` is how instructors feed LMS cases (or any judged files) in beside the PR labels:
`codeguard feedback add --label ai --who prof.lee --where "moodle:CS101/hw3/student42" FILE...`.
`list` never prints code; `export` writes the deduplicated dataset (with code) as JSONL.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("feedback", help="add, list and export labelled examples for retraining")
    sub = p.add_subparsers(dest="feedback_command", metavar="ACTION")
    add = sub.add_parser("add", help="label code files as AI-generated or human-written")
    add.add_argument("paths", nargs="+", metavar="FILE_OR_DIR")
    add.add_argument("--label", required=True, choices=["ai", "human"])
    add.add_argument("--who", default=None, help="who judged them (default: your login)")
    add.add_argument("--where", default="", help="where they come from, e.g. moodle:CS101/hw3/student42")
    add.add_argument("--language", default=None, help="language of every file (default: from the extension)")
    ls = sub.add_parser("list", help="stored examples (id, label, language, who, where, when; no code)")
    ls.add_argument("--label", choices=["ai", "human"], default=None)
    ls.add_argument("--format", choices=["text", "json"], default="text")
    ex = sub.add_parser("export", help="write the deduplicated dataset as JSONL (includes code)")
    ex.add_argument("--out", required=True, help="output file, or - for stdout")
    im = sub.add_parser("import", help="load an exported JSONL (or the snapshot) back into Redis")
    im.add_argument("file", nargs="?", default=None, help="default: the snapshot in the feedback data dir")
    p.set_defaults(func=run)


def _store() -> object:
    from bot.feedback import FeedbackStore
    from bot.jobs import feedback_dir_for
    from bot.redis_conn import connect
    from bot.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        from bot.cli import UsageError

        raise UsageError(str(exc)) from None
    return FeedbackStore(connect(settings), feedback_dir_for(settings))


def _files(paths: list[str]) -> list[Path]:
    from bot.cli import UsageError

    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.is_file() and not any(part.startswith(".") for part in q.parts)))
        else:
            raise UsageError(f"{raw}: no such file or directory")
    return out


def run(args: argparse.Namespace) -> int:
    from bot.cli import UsageError
    from bot.feedback import FeedbackError, FeedbackExample, FeedbackStore

    action = args.feedback_command
    if action is None:
        raise UsageError("feedback needs an action: add, list, export or import")
    store = _store()
    assert isinstance(store, FeedbackStore)
    try:
        if action == "add":
            from bot.sourcetext import decode_source
            from ml.languages import language_for_path

            examples = []
            skipped = []
            for path in _files(args.paths):
                language = args.language or language_for_path(str(path))
                if not language:
                    skipped.append(f"{path} (unknown language; pass --language)")
                    continue
                code, reason = decode_source(path.read_bytes(), path.name)
                if code is None:
                    skipped.append(f"{path} ({reason})")
                    continue
                examples.append(FeedbackExample(code, language, args.label, who=args.who or getpass.getuser(),
                                                where=args.where or str(path), path=path.name))
            if not examples:
                raise UsageError("no code files to add" + (": " + "; ".join(skipped) if skipped else ""))
            result = store.add(examples)
            print(f"{result.added} added, {result.relabelled} relabelled, {result.unchanged} already stored "
                  f"as {args.label}")
            for s in skipped:
                print(f"skipped {s}", file=sys.stderr)
            return 0
        if action == "list":
            rows = store.examples(args.label)
            if args.format == "json":
                print(json.dumps([{k: v for k, v in e.to_dict().items() if k != "code"} for e in rows], indent=2))
                return 0
            for e in rows:
                when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(e.when))
                flip = f" (was {e.previous[-1]['label']})" if e.previous else ""
                print(f"{e.id[:12]}  {e.label:<5}{flip} {e.language:<10} {when}  {e.who or '-':<14} "
                      f"{e.where}{'/' + e.path if e.path and not e.where.endswith(e.path) else ''}")
            counts = store.counts()
            print(f"{len(rows)} shown; stored: {counts['ai']} ai, {counts['human']} human")
            return 0
        if action == "export":
            if args.out == "-":
                for e in store.examples():
                    sys.stdout.write(json.dumps(e.to_dict(), sort_keys=True) + "\n")
                return 0
            path = store.write_snapshot(args.out)
            print(f"wrote {len(store.examples())} examples to {path}")
            return 0
        if action == "import":
            result = store.restore(args.file)
            print(f"{result.added} added, {result.relabelled} relabelled, {result.unchanged} already stored")
            return 0
    except FeedbackError as exc:
        raise UsageError(str(exc)) from None
    raise UsageError(f"unknown feedback action {action!r}")
