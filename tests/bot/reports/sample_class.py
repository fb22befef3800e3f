"""A small class of submissions with a hand-checked report, shared by the report tests.

The fragments point at lines that really are shared between the texts below (checked in
test_view.py), so a test that looks at "the highlighted lines" looks at copied code, and
a hostile submission name and file text exercise the escaping on every path.
"""

from __future__ import annotations

from ml.submission import FileRisk, Fragment, PairMatch, Report, Skipped, SourceFile, Submission

BASE = '''"""Assignment 3: statistics."""


def read_numbers(path):
    with open(path) as fh:
        return [float(line) for line in fh if line.strip()]
'''

SHARED = """

def mean(xs):
    total = 0.0
    for x in xs:
        total += x
    return total / len(xs)


def variance(xs):
    m = mean(xs)
    return sum((x - m) ** 2 for x in xs) / (len(xs) - 1)
"""

ALICE = (
    BASE
    + SHARED
    + """

if __name__ == "__main__":
    print(variance(read_numbers("data.txt")))
"""
)

BOB = (
    BASE
    + """
# my own helper
"""
    + SHARED.replace("total", "acc")
    + """

def main():
    nums = read_numbers("data.txt")
    print(mean(nums), variance(nums))
"""
)

CAROL = (
    BASE
    + """

def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
"""
)

DAVE_JAVA = """public class Stats {
    static double mean(double[] xs) {
        double total = 0;
        for (double x : xs) total += x;
        return total / xs.length;
    }
}
"""

EVE_JAVA = """import java.util.*;

public class Stats {
    // average of the values
    static double mean(double[] xs) {
        double total = 0;
        for (double x : xs) total += x;
        return total / xs.length;
    }
}
"""

# What `--explain` attaches to a high file (ml/explain.py): line numbers and habits, no code.
CAROL_WHY = {"style_reference": "python", "lines": [{"line": 3, "effect": 1.5}, {"line": 1, "effect": 0.2}],
             "style": [{"feature": "comment_capitalised_ratio", "effect": 0.8,
                        "description": "comments starting with a capital letter: 100% here, typically 0%"}]}
HOSTILE_NAME = "zoe<img src=x onerror=alert(1)>"
HOSTILE_TEXT = """s = "</script><script>alert('x')</script>"
t = "<!-- <script> -->"
"""


def small_class() -> tuple[Report, list[Submission], dict[str, float]]:
    subs = [
        Submission("alice", [SourceFile("stats.py", "python", ALICE)]),
        Submission(
            "bob",
            [SourceFile("stats.py", "python", BOB), SourceFile("notes/readme.py", "python", "# notes\n")],
        ),
        Submission("carol", [SourceFile("stats.py", "python", CAROL)]),
        Submission("dave", [SourceFile("Stats.java", "java", DAVE_JAVA)]),
        Submission("eve", [SourceFile("src/Stats.java", "java", EVE_JAVA)]),
        Submission(HOSTILE_NAME, [SourceFile("x.py", "python", HOSTILE_TEXT)]),
    ]
    pairs = [
        # alice 8-18 (mean, variance) == bob 10-20 (same, renamed variable)
        PairMatch(
            "alice",
            "bob",
            0.82,
            0.78,
            0.91,
            [
                Fragment("stats.py", (9, 13), "stats.py", (11, 15), 34),
                Fragment("stats.py", (16, 18), "stats.py", (18, 20), 25),
            ],
        ),
        PairMatch(
            "dave",
            "eve",
            0.74,
            0.70,
            0.88,
            [Fragment("Stats.java", (2, 6), "src/Stats.java", (5, 9), 40)],
        ),
        PairMatch("alice", "carol", 0.31, 0.22, 0.55, []),
        PairMatch("bob", HOSTILE_NAME, 0.12, 0.05, None, [Fragment("stats.py", (1, 1), "x.py", (1, 1), 3)]),
    ]
    files = [
        FileRisk("alice/stats.py", "python", 0.12, "low"),
        FileRisk("bob/stats.py", "python", 0.48, "medium"),
        FileRisk("bob/notes/readme.py", "python", 0.05, "low"),
        FileRisk("carol/stats.py", "python", 0.93, "high", CAROL_WHY, relative_score=0.95, relative_level="medium"),
        FileRisk("dave/Stats.java", "java", 0.20, "low"),
        FileRisk("eve/src/Stats.java", "java", 0.71, "high"),
        FileRisk(f"{HOSTILE_NAME}/x.py", "python", 0.33, "low"),
    ]
    skipped = [
        Skipped("frank.docx", "not a code file"),
        Skipped("carol/data.bin", "binary file"),
    ]
    report = Report(
        files=files,
        pairs=pairs,
        skipped=skipped,
        model_version="dual-head-minilm 2025.1",
        settings={"k": 5, "window": 4, "min_similarity": 0.1, "base_code": "starter/"},
    )
    thresholds = {"high": 0.62, "medium": 0.41}
    return report, subs, thresholds


#: Base-code lines (the shared starter file) for the python submissions, by full path.
BASE_REGIONS = {f"{name}/stats.py": [(1, 6)] for name in ("alice", "bob", "carol")}
