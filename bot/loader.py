"""Folders on disk -> Submissions, the way MOSS/JPlag/Dolos users lay out a class.

Each top-level entry of a scanned folder is one submission: a file is a single-file
submission, a folder holds all the code files below it, and an archive (.zip, .tar.gz, .7z...:
a submission as students upload it, at the top or inside a folder) holds the code files inside it. Everything that is not
analysed is returned as `Skipped(path, reason)` so the report can say so: binary
files, files over the size limit, empty files, files that are not source
code, vendored or tool folders (.git, node_modules, ...), symbolic links.

Student code is only read as text here; nothing is ever executed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.archive import ArchiveLimits, is_archive_name, unpack
from bot.cli import UsageError
from bot.notebook import raw_limit
from bot.sourcetext import BINARY, EMPTY, NOT_CODE, SYMLINK, decode_source, text_as_code, too_large
from bot.tool_paths import IGNORED_FILES, TOOL_FOLDER, is_tool_dir, without_tool_paths
from ml.languages import language_for_path
from ml.submission import Skipped, SourceFile, Submission

DEFAULT_MAX_BYTES = 1_000_000

@dataclass(frozen=True)
class Reading:
    """How files are read: the size limit of one file, and the language `.txt` files are read as
    (None: they are not code; see ml.languages.language_for_path and bot.sourcetext.text_as_code)."""

    max_bytes: int = DEFAULT_MAX_BYTES
    text_as: str | None = None


@dataclass
class Loaded:
    submissions: list[Submission] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _code_of(data: bytes, name: str, label: str, how: Reading) -> tuple[SourceFile | None, Skipped | None]:
    """A file's bytes -> SourceFile(path=label) or the reason it is skipped (bot/sourcetext.py decodes it)."""
    language = language_for_path(name, text_as=how.text_as)
    text, reason = decode_source(data, name, how.max_bytes)
    if reason == BINARY:
        return None, Skipped(label, reason)
    if language is None:
        return None, Skipped(label, NOT_CODE)
    if text is None:
        return None, Skipped(label, reason or EMPTY)
    if reason := text_as_code(name, text, language):
        return None, Skipped(label, reason)
    return SourceFile(path=label, language=language, text=text), None


def _read_archive(data: bytes, label: str, how: Reading) -> tuple[list[SourceFile], list[Skipped]]:
    """The code files of an archive, labelled "<label>/<path inside>", by the same rules as a folder's.

    Opened in memory with the LMS's limits (bot/archive/): nothing is extracted to disk, and a
    hostile archive (paths out of it, links, bombs) is refused as a whole and reported."""
    unpacked = unpack(label, data)
    entries, skipped = without_tool_files(label, unpacked.files)
    skipped = unpacked.skipped + skipped
    files: list[SourceFile] = []
    for inner, content in entries:
        if reason := too_large(len(content), raw_limit(inner, how.max_bytes)):
            skipped.append(Skipped(f"{label}/{inner}", reason))
            continue
        source, skip = _code_of(content, inner, f"{label}/{inner}", how)
        files.extend([source] if source is not None else [])
        skipped.extend([skip] if skip is not None else [])
    return files, skipped


def without_tool_files(label: str, entries: list[tuple[str, bytes]]) -> tuple[list[tuple[str, bytes]], list[Skipped]]:
    """An archive's entries without those in tool folders (`bin/`, `__MACOSX/`, `.settings/`...),
    each such folder skipped once as "<label>/<folder>", and without noise files (bot/tool_paths.py)."""
    content = dict(entries)
    kept, skips = without_tool_paths([path for path, _ in entries])
    return [(path, content[path]) for path in kept], [Skipped(f"{label}/{path}", why) for path, why in skips]


def read_code(path: Path, label: str, how: Reading = Reading()) -> tuple[list[SourceFile], list[Skipped]]:
    """One file on disk -> its code as SourceFile(path=label), or, for an archive, the code inside it
    (paths "<label>/<path inside>"); and what was skipped, with why."""
    if path.is_symlink():
        return [], [Skipped(label, SYMLINK)]
    is_archive = is_archive_name(path.name)
    try:
        size = path.stat().st_size
    except OSError as exc:
        return [], [Skipped(label, f"unreadable: {exc.strerror or exc}")]
    if reason := too_large(size, ArchiveLimits().max_bytes if is_archive else raw_limit(path.name, how.max_bytes)):
        return [], [Skipped(label, reason)]
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [], [Skipped(label, f"unreadable: {exc.strerror or exc}")]
    if is_archive:
        return _read_archive(data, label, how)
    source, skip = _code_of(data, path.name, label, how)
    return ([source] if source is not None else []), ([skip] if skip is not None else [])


@dataclass
class Tree:
    """The code files below one folder (paths relative to it) and what was skipped there."""

    files: list[SourceFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    unreadable: bool = False


def read_tree(root: Path, name: str, how: Reading = Reading()) -> Tree:
    """Every code file below `root`; skipped entries are labelled "<name>/<path below root>"."""
    out = Tree()
    errors: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=errors.append, followlinks=False):
        here = Path(dirpath)
        rel_dir = here.relative_to(root)
        keep = []
        for d in sorted(dirnames):
            if is_tool_dir(d):
                out.skipped.append(Skipped(f"{name}/{(rel_dir / d).as_posix()}", TOOL_FOLDER))
            elif (here / d).is_symlink():
                out.skipped.append(Skipped(f"{name}/{(rel_dir / d).as_posix()}", SYMLINK))
            else:
                keep.append(d)
        dirnames[:] = keep
        kept, skips = without_tool_paths([(rel_dir / f).as_posix() for f in sorted(filenames)])
        out.skipped.extend(Skipped(f"{name}/{rel}", why) for rel, why in skips)
        for rel in kept:
            files, skipped = read_code(root / rel, f"{name}/{rel}", how)
            out.skipped.extend(skipped)
            out.files.extend(_relative(files, name))
    for exc in errors:
        where = Path(exc.filename).relative_to(root).as_posix() if exc.filename else ""
        label = f"{name}/{where}" if where not in ("", ".") else name
        out.skipped.append(Skipped(label, f"unreadable folder: {exc.strerror or exc}"))
    out.unreadable = bool(errors)
    return out


def _relative(files: list[SourceFile], submission: str) -> list[SourceFile]:
    """Files labelled "<submission>/<path>" -> paths relative to the submission (file_label's inverse)."""
    cut = len(submission) + 1
    return [replace(f, path=f.path[cut:]) if f.path.startswith(submission + "/") else f for f in files]


def _load_folder(root: Path, name: str, how: Reading, out: Loaded) -> None:
    """All code files below `root` become one submission named `name`."""
    tree = read_tree(root, name, how)
    out.skipped.extend(tree.skipped)
    if tree.files:
        out.submissions.append(Submission(name=name, files=tree.files))
    elif not tree.unreadable:
        out.skipped.append(Skipped(name, "no source-code files"))


def _check_dir(path: Path) -> None:
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    if not path.is_dir():
        if path.name.lower().endswith(".zip"):  # an LMS's "download all submissions"
            raise UsageError(
                f"{path}: a zip, not a folder: unzip it (unzip '{path}' -d class/) and scan the folder; "
                "archives inside it (one per student) are read"
            )
        if is_archive_name(path.name):
            raise UsageError(f"{path}: an archive, not a folder: unpack it into a folder and scan that folder")
        raise UsageError(f"{path}: not a directory (give the folder that holds the submissions)")
    try:
        next(iter(os.scandir(path)), None)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read folder: {exc.strerror or exc}") from exc


def _entry_files(path: Path, is_dir: bool, name: str, inside: str, how: Reading) -> Tree:
    """One top-level entry's code, paths relative to submission `name`; `inside` ("" for the whole
    submission) is where the entry sits in it when several entries make one submission."""
    label = f"{name}/{inside}" if inside else name
    if is_dir:
        tree = read_tree(path, label, how)
        if inside:
            tree.files = [replace(f, path=f"{inside}/{f.path}") for f in tree.files]
        return tree
    files, skipped = read_code(path, label, how)
    return Tree(files=_relative(files, name), skipped=skipped)


def load_submissions(
    dirs: Sequence[str | os.PathLike[str]], *, how: Reading = Reading(), group: re.Pattern[str] | None = None
) -> Loaded:
    """Every top-level entry of every DIR -> one Submission, named relative to its DIR.

    `group` joins entries into one submission where an LMS's bulk download puts each file of a
    student at the top with the student in its name: an entry whose name the pattern matches
    belongs to the submission named by the pattern's first group, as the rest of its name (an
    entry the pattern leaves nothing of is the whole submission). Entries it does not match
    stay submissions of their own.
    When two DIRs hold entries of the same name, the later ones are named
    "<dir name>/<entry>" so that every submission name stays unique.
    """
    paths = [Path(d) for d in dirs]
    for path in paths:
        _check_dir(path)
    out = Loaded()
    taken: set[str] = set()
    for root in paths:
        here: dict[str, list[SourceFile]] = {}
        explained: set[str] = set()  # names whose skipped entries already say why nothing was read
        for entry in sorted(os.scandir(root), key=lambda e: e.name):
            if entry.name in IGNORED_FILES:
                continue
            owner, inside = entry.name, ""
            if group is not None and (match := group.match(entry.name)) and match.group(1):
                owner, inside = match.group(1), entry.name[match.end() :]
            name = f"{root.resolve().name}/{owner}" if owner in taken else owner
            if entry.is_symlink():
                out.skipped.append(Skipped(f"{name}/{inside}" if inside else name, SYMLINK))
                continue
            if entry.is_dir() and is_tool_dir(entry.name):
                out.skipped.append(Skipped(name, TOOL_FOLDER))
                continue
            tree = _entry_files(Path(entry.path), entry.is_dir(), name, inside, how)
            out.skipped.extend(tree.skipped)
            here.setdefault(name, []).extend(tree.files)
            if tree.unreadable or not entry.is_dir():
                explained.add(name)
        for name, files in here.items():
            if files:
                out.submissions.append(Submission(name=name, files=files))
            elif name not in explained:
                out.skipped.append(Skipped(name, "no source-code files"))
        taken.update(here)
    return out


def load_base(path: str | os.PathLike[str], *, how: Reading = Reading()) -> Loaded:
    """Starter code: every code file below `path` (or the file itself) as one submission."""
    base = Path(path)
    if not base.exists():
        raise UsageError(f"{base}: no such file or directory (--base-code)")
    out = Loaded()
    if base.is_file():
        files, skipped = read_code(base, base.name, how)
        if not files:
            why = skipped[0].reason if skipped else "no code files in it"
            raise UsageError(f"{base}: cannot use as base code: {why}")
        out.skipped.extend(skipped)
        out.submissions.append(Submission(name=base.name, files=_relative(files, base.name)))
        return out
    _check_dir(base)
    _load_folder(base, base.resolve().name, how, out)
    return out
