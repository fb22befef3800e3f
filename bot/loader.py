"""Folders on disk -> Submissions, the way MOSS/JPlag/Dolos users lay out a class.

Each top-level entry of a scanned folder is one submission: a file is a single-file
submission, a folder holds all the code files below it. Everything that is not
analysed is returned as `Skipped(path, reason)` so the report can say so: binary
files, files over the size limit, empty files, files that are not source
code, vendored or tool folders (.git, node_modules, ...), symbolic links.

Student code is only read as text here; nothing is ever executed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.cli import UsageError
from bot.sourcetext import BINARY, EMPTY, NOT_CODE, SYMLINK, decode_source, raw_limit, too_large
from ml.languages import language_for_path
from ml.submission import Skipped, SourceFile, Submission

DEFAULT_MAX_BYTES = 1_000_000

# Folders that hold tool state, dependencies or build output, never a student's own code.
VENDORED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", "bower_components", "__pycache__", ".venv", "venv",
        ".tox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".idea", ".vscode", ".gradle",
        "vendor", "target", "build", "dist", "out", "bin", "obj", "__MACOSX",
    }
)  # fmt: skip
# Files that are noise in every upload.
IGNORED_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


@dataclass
class Loaded:
    submissions: list[Submission] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def read_code(path: Path, label: str, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[SourceFile | None, Skipped | None]:
    """One file -> SourceFile(path=label) or the reason it is skipped (bot/sourcetext.py decodes it)."""
    if path.is_symlink():
        return None, Skipped(label, SYMLINK)
    language = language_for_path(path.name)
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, Skipped(label, f"unreadable: {exc.strerror or exc}")
    if reason := too_large(size, raw_limit(path.name, max_bytes)):
        return None, Skipped(label, reason)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, Skipped(label, f"unreadable: {exc.strerror or exc}")
    text, reason = decode_source(data, path.name, max_bytes)
    if reason == BINARY:
        return None, Skipped(label, reason)
    if language is None:
        return None, Skipped(label, NOT_CODE)
    if text is None:
        return None, Skipped(label, reason or EMPTY)
    return SourceFile(path=label, language=language, text=text), None


def is_tool_dir(name: str) -> bool:
    """A folder of tool state, dependencies or build output (or hidden): never searched."""
    return name in VENDORED_DIRS or name.startswith(".")


@dataclass
class Tree:
    """The code files below one folder (paths relative to it) and what was skipped there."""

    files: list[SourceFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    unreadable: bool = False


def read_tree(root: Path, name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Tree:
    """Every code file below `root`; skipped entries are labelled "<name>/<path below root>"."""
    out = Tree()
    errors: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=errors.append, followlinks=False):
        here = Path(dirpath)
        rel_dir = here.relative_to(root)
        keep = []
        for d in sorted(dirnames):
            if is_tool_dir(d):
                out.skipped.append(Skipped(f"{name}/{(rel_dir / d).as_posix()}", "vendored or tool folder"))
            elif (here / d).is_symlink():
                out.skipped.append(Skipped(f"{name}/{(rel_dir / d).as_posix()}", SYMLINK))
            else:
                keep.append(d)
        dirnames[:] = keep
        for filename in sorted(filenames):
            if filename in IGNORED_FILES:
                continue
            rel = (rel_dir / filename).as_posix()
            source, skip = read_code(here / filename, f"{name}/{rel}", max_bytes)
            if skip is not None:
                out.skipped.append(skip)
            elif source is not None:
                out.files.append(SourceFile(path=rel, language=source.language, text=source.text))
    for exc in errors:
        where = Path(exc.filename).relative_to(root).as_posix() if exc.filename else ""
        label = f"{name}/{where}" if where not in ("", ".") else name
        out.skipped.append(Skipped(label, f"unreadable folder: {exc.strerror or exc}"))
    out.unreadable = bool(errors)
    return out


def _load_folder(root: Path, name: str, max_bytes: int, out: Loaded) -> None:
    """All code files below `root` become one submission named `name`."""
    tree = read_tree(root, name, max_bytes)
    out.skipped.extend(tree.skipped)
    if tree.files:
        out.submissions.append(Submission(name=name, files=tree.files))
    elif not tree.unreadable:
        out.skipped.append(Skipped(name, "no source-code files"))


def _check_dir(path: Path) -> None:
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    if not path.is_dir():
        raise UsageError(f"{path}: not a directory (give the folder that holds the submissions)")
    try:
        next(iter(os.scandir(path)), None)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read folder: {exc.strerror or exc}") from exc


def load_submissions(dirs: Sequence[str | os.PathLike[str]], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Loaded:
    """Every top-level entry of every DIR -> one Submission, named relative to its DIR.

    When two DIRs hold entries of the same name, the later ones are named
    "<dir name>/<entry>" so that every submission name stays unique.
    """
    paths = [Path(d) for d in dirs]
    for path in paths:
        _check_dir(path)
    out = Loaded()
    seen: set[str] = set()
    for root in paths:
        for entry in sorted(os.scandir(root), key=lambda e: e.name):
            name = entry.name
            if name in seen:
                name = f"{root.resolve().name}/{entry.name}"
            if entry.name in IGNORED_FILES:
                continue
            seen.add(name)
            path = Path(entry.path)
            if entry.is_symlink():
                out.skipped.append(Skipped(name, SYMLINK))
            elif entry.is_dir():
                if is_tool_dir(entry.name):
                    out.skipped.append(Skipped(name, "vendored or tool folder"))
                else:
                    _load_folder(path, name, max_bytes, out)
            else:
                source, skip = read_code(path, name, max_bytes)
                if skip is not None:
                    out.skipped.append(skip)
                elif source is not None:
                    out.submissions.append(Submission(name=name, files=[source]))
    return out


def load_base(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Loaded:
    """Starter code: every code file below `path` (or the file itself) as one submission."""
    base = Path(path)
    if not base.exists():
        raise UsageError(f"{base}: no such file or directory (--base-code)")
    out = Loaded()
    if base.is_file():
        source, skip = read_code(base, base.name, max_bytes)
        if skip is not None:
            raise UsageError(f"{base}: cannot use as base code: {skip.reason}")
        assert source is not None
        out.submissions.append(Submission(name=base.name, files=[source]))
        return out
    _check_dir(base)
    _load_folder(base, base.resolve().name, max_bytes, out)
    return out
