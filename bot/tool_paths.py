"""Paths in a submission that are not the student's code: tool and dependency folders, build
output, the noise files every upload carries, minified bundles.

Why one module: a folder scan, an LMS upload and a pull request must leave out the same things
for the same reason, and name a tool folder once rather than every file in it (an IDE
project's `bin/` holds dozens of compiled classes that would bury the one skip that matters).
"""

from __future__ import annotations

import re

TOOL_FOLDER = "vendored or tool folder"
MINIFIED = "minified bundle (vendored)"
# What a compiler or interpreter wrote next to the sources (a student who ran `javac` in place):
# named once per folder and extension, "src/*.class: compiled output (12 files)".
COMPILED_SUFFIXES = (".class", ".pyc", ".pyo", ".o", ".obj", ".exe", ".dll", ".so", ".dylib")

# Folders of tool state, dependencies or build output, never a student's own code; any folder
# whose name starts with "." (.git, .idea, .settings) is one too.
TOOL_DIRS = frozenset(
    {
        "node_modules", "bower_components", "__pycache__", "venv", "vendor", "vendors", "third_party",
        "third-party", "thirdparty", "site-packages", "Pods", "Carthage", "external", "extern",
        "target", "build", "dist", "out", "bin", "obj", "__MACOSX",
    }
)  # fmt: skip
# Files that are noise in every upload: left out without a word.
IGNORED_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
_MINIFIED = re.compile(r"\.min\.(js|css)$")


def is_tool_dir(name: str) -> bool:
    """A folder of tool state, dependencies or build output (or hidden): never searched."""
    return name in TOOL_DIRS or name.startswith(".")


def tool_folder(path: str) -> str | None:
    """The leading part of a file's `/`-separated path up to its first tool folder, or None."""
    parts = path.split("/")
    for i, part in enumerate(parts[:-1]):
        if is_tool_dir(part):
            return "/".join(parts[: i + 1])
    return None


def is_minified(path: str) -> bool:
    return _MINIFIED.search(path) is not None


def compiled_glob(path: str) -> str | None:
    """"src/*.class" for a compiled file, else None."""
    folder, _, name = path.rpartition("/")
    suffix = next((sfx for sfx in COMPILED_SUFFIXES if name.lower().endswith(sfx)), None)
    if suffix is None:
        return None
    return f"{folder}/*{suffix}" if folder else f"*{suffix}"


def without_tool_paths(paths: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """(the paths to read, [(path, tool folder or "folder/*.class", why not)]): each tool folder
    named once, compiled files once per folder and kind, noise files dropped, minified bundles
    named."""
    kept: list[str] = []
    skipped: list[tuple[str, str]] = []
    named: set[str] = set()
    compiled: dict[str, int] = {}
    for path in paths:
        folder = tool_folder(path)
        if folder is not None:
            if folder not in named:
                named.add(folder)
                skipped.append((folder, TOOL_FOLDER))
        elif path.rsplit("/", 1)[-1] in IGNORED_FILES:
            continue
        elif (glob := compiled_glob(path)) is not None:
            if glob not in compiled:
                skipped.append((glob, ""))  # reason filled in below, once the files are counted
            compiled[glob] = compiled.get(glob, 0) + 1
        elif is_minified(path):
            skipped.append((path, MINIFIED))
        else:
            kept.append(path)
    return kept, [(p, why or _compiled(compiled[p])) for p, why in skipped]


def _compiled(count: int) -> str:
    return f"compiled output ({count} file{'s' if count != 1 else ''})"
