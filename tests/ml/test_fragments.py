from __future__ import annotations

from ml.fingerprint import fingerprint
from ml.fragments import find_fragments
from ml.tokens import tokenize

BODY = """\
def mean(values):
    total = 0.0
    for value in values:
        total += value
    return total / len(values)


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2 == 1:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
"""

OTHER = """\
import os


def unrelated(path):
    with open(path) as handle:
        return [line.split(":") for line in handle if line]


class Box:
    def __init__(self, size):
        self.size = size
"""


def prints(code: str, k: int = 10, window: int = 4):  # type: ignore[no-untyped-def]
    return fingerprint(tokenize(code, "python"), k, window)


def test_fragment_maps_to_the_copied_lines() -> None:
    a = OTHER + "\n\n" + BODY  # BODY occupies lines 14-26 of a
    b = BODY  # lines 1-13 of b
    frags = find_fragments([("a.py", prints(a))], [("b.py", prints(b))])
    assert frags, "the copy is found"
    top = frags[0]
    assert (top.a_path, top.b_path) == ("a.py", "b.py")
    assert 14 <= top.a_lines[0] <= 15 and 25 <= top.a_lines[1] <= 26
    assert 1 <= top.b_lines[0] <= 2 and 12 <= top.b_lines[1] <= 13
    # never points into the unrelated part of a
    assert all(f.a_lines[0] >= 14 for f in frags)


def test_inserted_junk_does_not_shatter_the_copy() -> None:
    junk = BODY.replace("    return total / len(values)\n", "    debug = False\n    return total / len(values)\n")
    junk = junk.replace("    ordered = sorted(values)\n", "    ordered = sorted(values)\n    unused = 0\n")
    frags = find_fragments([("a.py", prints(BODY))], [("b.py", prints(junk))])
    assert len(frags) == 1, frags
    assert frags[0].a_lines == (1, 13)
    assert frags[0].b_lines == (1, 15)
    # without merging the junk splits it
    split = find_fragments([("a.py", prints(BODY))], [("b.py", prints(junk))], max_gap=0)
    assert len(split) > 1


def test_fragments_stay_in_their_files_and_respect_ignored() -> None:
    a_files = [("s1/x.py", prints(OTHER)), ("s1/y.py", prints(BODY))]
    b_files = [("s2/z.py", prints(BODY))]
    frags = find_fragments(a_files, b_files)
    assert frags and all(f.a_path == "s1/y.py" and f.b_path == "s2/z.py" for f in frags)
    ignored = prints(BODY, window=1).hashes
    assert find_fragments(a_files, b_files, ignored=ignored) == []


def test_no_match_no_fragment() -> None:
    assert find_fragments([("a.py", prints(OTHER))], [("b.py", prints(BODY))]) == []
