"""`codeguard scan`: compare a folder (or several) of submissions, like MOSS, JPlag or Dolos."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.cli import UsageError
from bot.reports import FORMATS as REPORT_FORMATS
from bot.reports.cli import add_report_arguments, write_report
from ml.structural import DEFAULT_K, DEFAULT_WINDOW, FRAGMENTS_FROM, MAX_FRAGMENT_PAIRS

DEFAULT_MIN_SIMILARITY = 0.2
PROGRESS_FROM = 50  # submissions: below this a scan finishes before a bar is worth drawing
EXPLAIN_LEVELS = ("high", "medium", "all")
# --group patterns for the file names of LMS bulk downloads, and an example name of each.
LMS_LAYOUTS = {
    "Moodle": (r"^(.+?_[0-9]+)_assignsubmission_[a-z]+_", "Jane Doe_12345_assignsubmission_file_hw1.py"),
    "Canvas": (r"(?i)^([a-z]+)_(?:late_)?[0-9]+_[0-9]+_", "doejane_12345_678901_hw1.py"),
}

DESCRIPTION = """\
Compare every submission with every other and rank the most similar pairs.

Each top-level entry (file or folder) of each DIR is one submission; a folder's code
files are one submission and are never compared with each other. Code is tokenised
with tree-sitter (Python, Java, C, C++, C#, JavaScript, TypeScript, Go, Rust, Kotlin,
Ruby, PHP; other languages through Pygments), so renamed identifiers, changed
literals, comments and reformatting do not hide a copy. Nothing is ever executed.
"""

EPILOG = f"""\
similarity:
  0..1 per pair: the mean of the pair's overlap (shared fingerprints over both sides'
  fingerprints) and its containment (the share of the smaller side found in the
  other), so padding a copy with junk does not hide it. Fragments give the matched
  line ranges on both sides. A high score flags a pair for review; it is not proof.
  Fragments are computed for pairs with similarity >= {FRAGMENTS_FROM} (at most the {MAX_FRAGMENT_PAIRS:,}
  most similar); lower pairs, listed with --min-similarity below that, have
  "fragments": [] (the JSON's settings say so under fragments_from).

AI-generated risk:
  with a model (models/default unless --model/--no-model), every file gets ai_score
  and risk_level: high is the score above which about 1% of the validation set's human
  files lie, medium about 5%. The text output lists the files at medium or high;
  --explain says why (line numbers and style habits, never code). A signal for review,
  not proof: people who write like a formatter score high, and light edits of
  generated code lower the score (README, "The dual-head model").

skipped files:
  binary files, empty files, files over --max-file-size, files that are not source
  code, vendored/tool folders (.git, node_modules, build, ...; each named once),
  compiled files (src/*.class, once per folder) and files that fail to parse are
  listed under "skipped" with the reason, never dropped. Text that is not
  UTF-8 (Windows-1252, UTF-16 with a byte-order mark) is read, not skipped. A Jupyter
  notebook (.ipynb) is read as its code cells, two blank lines between them; its line
  numbers count the lines of that text.

archives (.zip, .tar.gz/.tgz/.tar.bz2/.tar.xz/.tar, .7z):
  an archive at the top of DIR is one submission; one inside a submission's folder adds
  its code to that submission (paths like hw.zip/src/Main.java). Opened in memory,
  never extracted; archives inside are opened two levels down. An archive with paths
  out of it, links or a bomb is refused and listed under "skipped"; so is a .rar (not
  opened: no free decoder).

flat downloads (--group):
  an LMS's bulk download may put every file of every student at the top, the student
  in each name. --group REGEX joins the entries whose names it matches into one
  submission named by its first group; the rest of the name is the file's path in it.
  Moodle "Download all submissions" without folders names files like
  "{LMS_LAYOUTS["Moodle"][1]}":
    --group '{LMS_LAYOUTS["Moodle"][0]}'
  Canvas "Download Submissions" names files like "{LMS_LAYOUTS["Canvas"][1]}"
  (with "late_" after the name for late work):
    --group '{LMS_LAYOUTS["Canvas"][0]}'
  A scan without --group of entries named like that says so. Check the first lines
  of the report: each student should be one submission.

exit codes:
  0 scan done; 1 scan done and a pair's similarity is above --fail-over (for CI);
  2 bad arguments or input (missing folder, unreadable folder), one line on stderr.

examples:
  codeguard scan submissions/                       ranked table in the terminal
  codeguard scan subs/ --base-code starter/         ignore the instructor's template
  codeguard scan subs/ --format json --out r.json --min-similarity 0   every pair
  codeguard scan subs/ --max-share 0.1              ignore code shared by >10% of the class
  codeguard scan subs/ --fail-over 0.8              exit 1 if any pair is above 80%
  codeguard scan subs/ --explain --format html --out r.html   say why high-risk files scored so
"""


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def _share(text: str) -> float:
    value = _fraction(text)
    if value == 0.0:
        raise argparse.ArgumentTypeError("--max-share must be above 0")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def _group_pattern(text: str) -> re.Pattern[str]:
    try:
        pattern = re.compile(text)
    except re.error as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a regular expression: {exc}") from None
    if pattern.groups < 1:
        raise argparse.ArgumentTypeError(f"{text!r} has no (group): its first group names the submission")
    return pattern


def text_language(text: str) -> str:
    """--text-as: a language name the tokenizer knows (shared with `codeguard detect`)."""
    from ml.languages import canonical_name, known_language

    if not known_language(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a programming language known here (python, java, cpp, ...)")
    return canonical_name(text)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "scan",
        help="rank the most similar pairs among folders of submissions",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dirs", nargs="+", metavar="DIR", help="folder whose top-level entries are the submissions")
    parser.add_argument(
        "--format",
        choices=("text", "json", *REPORT_FORMATS),
        default="text",
        help="output format (default: text); html is one self-contained page for review, csv lists the "
        "pairs, sarif is for GitHub code scanning",
    )
    parser.add_argument("--out", metavar="FILE", help="write the report to FILE instead of standard output")
    parser.add_argument(
        "--min-similarity",
        type=_fraction,
        default=DEFAULT_MIN_SIMILARITY,
        metavar="X",
        help=f"list pairs with similarity >= X (default {DEFAULT_MIN_SIMILARITY}; 0 lists every pair)",
    )
    parser.add_argument(
        "--base-code",
        metavar="DIR",
        action="append",
        default=[],
        help="starter/template code (folder, file or archive) whose matches never count; repeatable",
    )
    parser.add_argument(
        "--group",
        type=_group_pattern,
        metavar="REGEX",
        help="join top-level entries whose names match into one submission named by the first group "
        "(flat LMS downloads; see below)",
    )
    parser.add_argument(
        "--text-as",
        type=text_language,
        metavar="LANG",
        help="read .txt files as code in LANG, where they parse as LANG (courses that ask for code as "
        ".txt); README.txt, requirements.txt and prose stay skipped",
    )
    parser.add_argument(
        "--max-share",
        type=_share,
        metavar="F",
        help="ignore fingerprints found in more than fraction F of the submissions "
        "(like MOSS -m; never cuts below 5 submissions; default: off)",
    )
    parser.add_argument(
        "-k",
        type=_positive,
        default=DEFAULT_K,
        metavar="K",
        help=f"tokens per fingerprint (default {DEFAULT_K}); smaller finds shorter matches, and more noise",
    )
    parser.add_argument(
        "--window",
        type=_positive,
        default=DEFAULT_WINDOW,
        metavar="W",
        help=f"winnowing window (default {DEFAULT_WINDOW}); any shared run of K+W-1 tokens is always found",
    )
    parser.add_argument(
        "--fail-over",
        type=_fraction,
        metavar="X",
        help="exit with status 1 when any pair's similarity is above X (for CI)",
    )
    parser.add_argument("--top", type=_positive, metavar="N", help="report only the N most similar pairs")
    parser.add_argument(
        "--max-file-size",
        type=_positive,
        default=None,
        metavar="BYTES",
        help="skip files larger than this (default 1000000)",
    )
    model = parser.add_argument_group("model (AI-risk per file, semantic score per pair)")
    model.add_argument(
        "--model",
        metavar="DIR",
        help="dual-head model directory (default: $CODEGUARD_MODEL_DIR, else models/default when it holds "
        "a trained model; without one the scan is structural only)",
    )
    model.add_argument(
        "--no-model",
        action="store_true",
        help="structural similarity only: no AI-risk scores, no semantic score (fast on large classes)",
    )
    model.add_argument(
        "--explain",
        nargs="?",
        const="high",
        choices=EXPLAIN_LEVELS,
        metavar="LEVEL",
        help="say why files at LEVEL or above scored as they did: high (the default when LEVEL is left out), "
        "medium or all. Adds `explanation` to their rows in the JSON, a 'why' column to the HTML report and "
        "the line that reads most generated to the SARIF results (line numbers and style habits, never "
        "code; about 0.07 s a file)",
    )
    add_report_arguments(parser)
    parser.set_defaults(func=run)


def _detector(args: argparse.Namespace, stderr: Console) -> Any | None:
    """The model for this scan, or None: an explicit --model must load, the default may be absent."""
    if args.no_model:
        return None
    from ml.inference import InferenceError, default_model_dir, get_detector

    explicit = args.model is not None
    directory = Path(args.model) if explicit else default_model_dir()
    if not (directory / "config.json").is_file():
        if explicit:
            raise UsageError(f"--model {args.model}: no trained model there (config.json missing)")
        stderr.print(f"[dim]no trained model at {directory}: structural similarity only[/dim]")
        return None
    from bot.cli import quiet_libraries

    quiet_libraries()  # the encoder's loading bar is noise beside the scan's own progress
    try:
        det = get_detector(directory)
        det.load_encoder()  # the semantic score needs embeddings: fail (or fall back) here, not mid-scan
        return det
    except InferenceError as exc:
        if explicit:
            raise UsageError(f"--model {args.model}: {exc}") from None
        stderr.print(f"[yellow]model at {directory} not loaded ({exc}): structural similarity only[/yellow]")
        return None


def _explain(report: Any, submissions: Any, detector: Any, level: str) -> None:
    """Explanations for the files at `level` or above (ml/explain.py via bot.analysis)."""
    from bot.analysis import explain_files
    from bot.comment import LEVEL_ORDER

    floor = -1 if level == "all" else LEVEL_ORDER[level]
    explain_files(report, submissions, detector, lambda r: LEVEL_ORDER.get(r.risk_level or "", -1) >= floor)
    report.settings["explained_from"] = level


def _progress(total: int, stderr: Console) -> Progress:
    return Progress(
        TextColumn("fingerprinting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not (stderr.is_terminal and total >= PROGRESS_FROM),
    )


def layout_hint(dirs: list[str]) -> str | None:
    """A --group suggestion when DIR's entries look like a flat LMS download in which a student's
    files are several entries (so several submissions, compared with each other)."""
    names = [entry.name for d in dirs for entry in os.scandir(d)]
    for lms, (pattern, _) in LMS_LAYOUTS.items():
        owners = [m.group(1) for name in names if (m := re.match(pattern, name))]
        if len(owners) >= max(2, 0.8 * len(names)) and len(set(owners)) < len(owners):
            return (f"these entries look like a flat {lms} download, some students' files in several entries: "
                    f"--group '{pattern}' makes one submission per student")  # fmt: skip
    return None


def run(args: argparse.Namespace) -> int:
    from bot.analysis import AnalysisOptions, analyze
    from bot.loader import DEFAULT_MAX_BYTES, Reading, load_base, load_submissions
    from bot.render import render_text, write_json

    how = Reading(max_bytes=args.max_file_size or DEFAULT_MAX_BYTES, text_as=args.text_as)
    loaded = load_submissions(args.dirs, how=how, group=args.group)
    base = []
    for path in args.base_code:
        base.extend(load_base(path, how=how).submissions)
    if args.out:
        out_dir = Path(args.out).resolve().parent
        if not out_dir.is_dir():
            raise UsageError(f"{args.out}: folder {out_dir} does not exist")
    # A pair above --fail-over must be seen even when it is below --min-similarity.
    floor = args.min_similarity if args.fail_over is None else min(args.min_similarity, args.fail_over)
    stderr = Console(stderr=True)
    if args.group is None and (hint := layout_hint(args.dirs)):
        # escaped and unwrapped: the pattern must reach the terminal whole, to be copied
        stderr.print(f"[yellow]note:[/] {escape(hint)}", highlight=False, soft_wrap=True)
    detector = _detector(args, stderr)
    if args.explain and detector is None:
        raise UsageError("--explain needs a model (drop --no-model, or give --model DIR)")
    options = AnalysisOptions(
        k=args.k,
        window=args.window,
        max_share=args.max_share,
        min_similarity=floor,
        top=args.top,
        detector=detector,
        ai=detector is not None,
    )
    with _progress(len(loaded.submissions), stderr) as bar:
        task = bar.add_task("fingerprinting", total=len(loaded.submissions))
        report = analyze(
            loaded.submissions,
            base=base,
            options=options,
            skipped=loaded.skipped,
            progress=lambda n: bar.advance(task, n),
        )

    if args.explain:
        _explain(report, loaded.submissions, detector, args.explain)

    failed = args.fail_over is not None and any(p.similarity > args.fail_over for p in report.pairs)
    if floor < args.min_similarity:
        report.pairs = [p for p in report.pairs if p.similarity >= args.min_similarity]
    report.settings["min_similarity"] = args.min_similarity
    report.settings["fragments_from"] = FRAGMENTS_FROM
    report.settings["max_fragment_pairs"] = MAX_FRAGMENT_PAIRS

    if args.format in REPORT_FORMATS:
        write_report(args, report, loaded.submissions, base=base)
    elif args.format == "json":
        if args.out:
            with open(args.out, "w", encoding="utf-8") as handle:
                write_json(report, handle)
        else:
            write_json(report, sys.stdout)
    elif args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            render_text(report, Console(file=handle, width=160, no_color=True), rows=args.top)
    else:
        render_text(report, Console(), rows=args.top)

    return 1 if failed else 0
