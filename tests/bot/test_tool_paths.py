from __future__ import annotations

from bot.tool_paths import MINIFIED, TOOL_FOLDER, is_tool_dir, tool_folder, without_tool_paths


def test_tool_folders_are_named_once_and_noise_dropped() -> None:
    paths = ["src/Main.java", "bin/A.class", "bin/B.class", "hw/.settings/prefs", "hw/src/.DS_Store",
             "web/app.min.js", "web/app.js", "node_modules/x/index.js", "__MACOSX/._Main.java"]  # fmt: skip
    kept, skipped = without_tool_paths(paths)
    assert kept == ["src/Main.java", "web/app.js"]
    assert skipped == [("bin", TOOL_FOLDER), ("hw/.settings", TOOL_FOLDER), ("web/app.min.js", MINIFIED),
                       ("node_modules", TOOL_FOLDER), ("__MACOSX", TOOL_FOLDER)]  # fmt: skip


def test_only_folders_count_not_files_named_like_them() -> None:
    assert tool_folder("src/build") is None and tool_folder("build/x.py") == "build"
    assert tool_folder("a/third_party/b/c.c") == "a/third_party"
    assert is_tool_dir(".idea") and is_tool_dir("venv") and not is_tool_dir("src")


def test_compiled_files_are_named_once_per_folder_and_kind() -> None:
    paths = ["src/Main.java", "src/Main.class", "src/Util.class", "src/lib.so", "Main.class", "x/a.PYC"]
    kept, skipped = without_tool_paths(paths)
    assert kept == ["src/Main.java"]
    assert skipped == [("src/*.class", "compiled output (2 files)"), ("src/*.so", "compiled output (1 file)"),
                       ("*.class", "compiled output (1 file)"), ("x/*.pyc", "compiled output (1 file)")]  # fmt: skip
