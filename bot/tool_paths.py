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


def without_tool_paths(paths: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """(the paths to read, [(path or tool folder, why not)]): each tool folder named once, noise
    files dropped, minified bundles named."""
    kept: list[str] = []
    skipped: list[tuple[str, str]] = []
    named: set[str] = set()
    for path in paths:
        folder = tool_folder(path)
        if folder is not None:
            if folder not in named:
                named.add(folder)
                skipped.append((folder, TOOL_FOLDER))
        elif path.rsplit("/", 1)[-1] in IGNORED_FILES:
            continue
        elif is_minified(path):
            skipped.append((path, MINIFIED))
        else:
            kept.append(path)
    return kept, skipped
