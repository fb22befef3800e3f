"""Which .txt files `--text-as` / a course's `text_as` reads as code: the check behind the
parse gate in bot/sourcetext.py (`TEXT_MAX_ERROR_SHARE`).

A .txt is read as code only where at most that share of its tokens fail to parse as the named
language. This measures both sides of that line, per language: how many real code files the
gate would refuse (every file of ../shared/data/aigen dev and of ../shared/data/rosetta in
python, java, cpp, c and javascript, each read as its own language), and how many prose files
it would let through (the .md, .rst and .txt documentation of the installed packages and of
this repository: READMEs, licences, change logs, notes; packaging metadata such as
entry_points.txt left out, since no student hands it in, and names the rule never reads as code,
like README.txt, left out because they never reach the gate).

    .venv/bin/python -m benchmarks.text_files      # about a minute on 2 cores

Prints one markdown table (docs/BENCHMARKS.md, "Text files read as code"). Code is only read.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import sysconfig
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import markdown_table  # noqa: E402

from bot.sourcetext import TEXT_MAX_ERROR_SHARE  # noqa: E402
from ml.languages import language_for_path  # noqa: E402
from ml.tokens import TokenizeError, tokenize  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
LANGUAGES = ("python", "java", "cpp", "c", "javascript")
SHARES = (0.05, 0.1, 0.2, 0.5)  # the shipped gate is one of them (TEXT_MAX_ERROR_SHARE)
_COUNTS = re.compile(r"(\d+) of (\d+)")


def error_share(text: str, language: str) -> float:
    """Share of the text's tokens that fail to parse as `language` (1.0 when nothing parses)."""
    try:
        tokenize(text, language, max_error_share=0.0)
    except TokenizeError as exc:
        m = _COUNTS.search(str(exc))
        return int(m[1]) / max(1, int(m[2])) if m else 1.0
    return 0.0


SOURCES = {"aigen dev": DATA / "aigen" / "dev.jsonl", "rosetta": DATA / "rosetta" / "rosetta.jsonl"}


def code_files() -> dict[tuple[str, str], list[str]]:
    """{(language, source): texts} for the languages measured."""
    out: dict[tuple[str, str], list[str]] = {}
    for source, path in SOURCES.items():
        for line in path.open(encoding="utf-8"):
            row = json.loads(line)
            if row["language"] in LANGUAGES:
                out.setdefault((row["language"], source), []).append(row["code"])
    return out


def prose_files(limit: int) -> list[tuple[str, str]]:
    site = Path(sysconfig.get_paths()["purelib"])
    paths = sorted(p for ext in ("*.md", "*.rst", "*.txt") for p in site.rglob(ext)
                   if not any(part.endswith((".dist-info", ".egg-info")) for part in p.parts))  # fmt: skip
    paths = sorted(ROOT.glob("*.md")) + sorted((ROOT / "docs").glob("*.md")) + paths
    out = []
    for path in paths:
        if path.suffix == ".txt" and (language_for_path(path.name) or not language_for_path(path.name, "python")):
            continue  # CMakeLists.txt is CMake; README.txt, LICENSE.txt... never reach the gate
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if len(text) >= 200:
            out.append((path.name, text))
        if len(out) >= limit:
            break
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prose-files", type=int, default=300, help="how many prose files to read (default 300)")
    args = ap.parse_args(argv)
    code = code_files()
    prose = prose_files(args.prose_files)
    code_rows, prose_rows = [], []
    for (lang, source), texts in sorted(code.items()):
        c = [error_share(t, lang) for t in texts]
        code_rows.append([lang, source, str(len(c)), *(f"{sum(s > x for s in c)}" for x in SHARES)])
    for lang in LANGUAGES:
        p = [error_share(t, lang) for _, t in prose]
        passing = sorted({name for (name, _), s in zip(prose, p, strict=True) if s <= TEXT_MAX_ERROR_SHARE})
        prose_rows.append([lang, str(len(p)), *(f"{sum(s <= x for s in p)}" for x in SHARES),
                           ", ".join(passing[:4]) or "–"])  # fmt: skip
    print(markdown_table(["language", "code from", "files", *(f"refused at {x:.2f}" for x in SHARES)], code_rows))
    print()
    print(markdown_table(["read as", "prose files", *(f"read at {x:.2f}" for x in SHARES),
                          f"read at {TEXT_MAX_ERROR_SHARE:.2f}: which"], prose_rows))  # fmt: skip
    print(f"\n{len(prose)} prose files (documentation of the installed packages and of this repository); "
          f"the shipped gate is {TEXT_MAX_ERROR_SHARE}.")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
