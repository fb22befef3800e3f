from __future__ import annotations

import json

import numpy as np
import pytest

from ml.structural import (
    SubmissionPrint,
    compare,
    compare_prints,
    fingerprint_submission,
    pair_scores,
)
from ml.submission import SourceFile, Submission

STARTER = """\
import sys


def read_numbers(path):
    numbers = []
    with open(path) as handle:
        for line in handle:
            line = line.strip()
            if line and not line.startswith("#"):
                numbers.append(float(line))
    return numbers


def main(argv):
    if len(argv) != 2:
        print("usage: prog FILE")
        return 2
    values = read_numbers(argv[1])
"""

SOLUTION_A = """\
    total = 0
    for v in values:
        total = total + v * v
    print("sum of squares", total)
    return 0
"""

SOLUTION_B = """\
    best = None
    for item in sorted(values, reverse=True):
        if best is None or item > best:
            best = item
    print("max", best)
    return 1
"""

COPY = """\
def square_sum(xs):
    acc = 0
    for x in xs:
        acc = acc + x * x
    return acc


def cube_sum(xs):
    acc = 0
    for x in xs:
        acc = acc + x * x * x
    return acc
"""

RENAMED_COPY = COPY.replace("square_sum", "sq").replace("acc", "s").replace("xs", "data")


def sub(name: str, *files: tuple[str, str]) -> Submission:
    return Submission(name=name, files=[SourceFile(path, "python", text) for path, text in files])


def test_copy_scores_high_unrelated_low() -> None:
    subs = [
        sub("a.py", ("a.py", COPY)),
        sub("b.py", ("b.py", RENAMED_COPY)),
        sub("c.py", ("c.py", STARTER + SOLUTION_B)),
    ]
    pairs = compare(subs, min_similarity=0)
    by = {(p.a, p.b): p for p in pairs}
    assert by[("a.py", "b.py")].similarity == pytest.approx(1.0)
    assert by[("a.py", "c.py")].similarity < 0.2
    assert pairs[0].a == "a.py" and pairs[0].b == "b.py", "most similar first"
    assert len(pairs) == 3, "min_similarity 0 lists every pair"
    assert all(0.0 <= p.similarity <= 1.0 and p.semantic is None for p in pairs)
    assert by[("a.py", "b.py")].fragments


def test_base_code_exclusion() -> None:
    subs = [sub("a.py", ("a.py", STARTER + SOLUTION_A)), sub("b.py", ("b.py", STARTER + SOLUTION_B))]
    without_base = compare(subs, k=10, window=4)
    assert without_base and without_base[0].similarity > 0.5, "the starter code alone makes them look alike"
    with_base = compare(subs, k=10, window=4, base=[sub("starter", ("starter.py", STARTER))])
    assert with_base == [] or with_base[0].similarity < 0.5 * without_base[0].similarity
    starter_lines = STARTER.count("\n")
    # at most a k-gram straddling the last starter line and the first own line remains
    assert all(f.a_lines[1] > starter_lines for p in with_base for f in p.fragments)
    assert any(f.a_lines[0] < starter_lines - 2 for f in without_base[0].fragments)


def test_multi_file_submissions() -> None:
    helper = "def helper(x):\n    y = x * 2\n    for i in range(y):\n        print(i, y, x)\n    return y\n"
    # one submission holds the same file twice: never compared with itself
    twin = sub("twin", ("one.py", COPY), ("two.py", COPY))
    other = sub("other", ("main.py", STARTER + SOLUTION_B), ("util/help.py", RENAMED_COPY))
    alone = sub("alone.py", ("alone.py", helper))
    pairs = compare([twin, other, alone], min_similarity=0.01)
    assert {(p.a, p.b) for p in pairs} == {("twin", "other")}
    frag_paths = {(f.a_path, f.b_path) for f in pairs[0].fragments}
    assert frag_paths <= {("twin/one.py", "other/util/help.py"), ("twin/two.py", "other/util/help.py")}
    assert frag_paths


def test_max_share_ignores_class_wide_code() -> None:
    common = COPY
    subs = [sub(f"s{i}", ("m.py", common + f"\n\ndef own{i}():\n    return {i}\n")) for i in range(12)]
    plain = compare(subs, min_similarity=0.5)
    assert len(plain) == 66
    cut = compare(subs, min_similarity=0.5, max_share=0.3)
    assert cut == []


def test_prints_round_trip_through_json() -> None:
    subs = [sub("a.py", ("a.py", COPY)), sub("b", ("x/b.py", RENAMED_COPY), ("y.py", STARTER))]
    prints = [fingerprint_submission(s) for s in subs]
    restored = [SubmissionPrint.from_dict(json.loads(json.dumps(p.to_dict()))) for p in prints]
    for p, r in zip(prints, restored, strict=True):
        assert np.array_equal(p.hashes(), r.hashes())
        assert [f.path for f in p.files] == [f.path for f in r.files]
    assert [m.to_dict() for m in compare_prints(prints)] == [m.to_dict() for m in compare_prints(restored)]


def test_incompatible_prints_are_refused() -> None:
    a = fingerprint_submission(sub("a.py", ("a.py", COPY)), k=10, window=4)
    b = fingerprint_submission(sub("b.py", ("b.py", COPY)), k=12, window=4)
    with pytest.raises(ValueError, match="re-fingerprint"):
        compare_prints([a, b])


def test_unparsable_file_is_skipped_not_fatal() -> None:
    bad = Submission("bad", [SourceFile("x.java", "java", "This is an essay, not a program at all, sorry.")])
    print_ = fingerprint_submission(bad)
    assert print_.files == [] and print_.skipped and print_.skipped[0].path == "bad/x.java"


def test_score_formula() -> None:
    # identical: 1; half of the smaller one copied into a bigger one: in between
    assert pair_scores(np.array([10]), np.array([10]), np.array([10]), np.array([10]))[0] == 1.0
    s = pair_scores(np.array([5]), np.array([5]), np.array([10]), np.array([40]))[0]
    assert s == pytest.approx(0.5 * (10 / 50 + 0.5))
    assert pair_scores(np.array([0]), np.array([0]), np.array([0]), np.array([0]))[0] == 0.0


def test_fragments_only_above_floor_and_capped() -> None:
    subs = [
        sub("a.py", ("a.py", COPY)),
        sub("b.py", ("b.py", RENAMED_COPY)),
        sub("c.py", ("c.py", COPY.split("\n\n\n")[0] + "\n" + STARTER)),
        sub("d.py", ("d.py", STARTER + SOLUTION_B)),
    ]
    prints = [fingerprint_submission(s, k=5, window=2) for s in subs]
    every = compare_prints(prints, min_similarity=0, fragments_from=0.0)
    assert len(every) == 6
    framed = {(p.a, p.b) for p in every if p.fragments}
    assert len(framed) >= 2, "with no floor every sharing pair gets fragments"
    floor = sorted(p.similarity for p in every if p.fragments)[-2]
    gated = compare_prints(prints, min_similarity=0, fragments_from=floor)
    assert [(p.a, p.b, p.similarity) for p in gated] == [(p.a, p.b, p.similarity) for p in every]
    assert all(bool(p.fragments) == (p.similarity >= floor) for p in gated)
    capped = compare_prints(prints, min_similarity=0, fragments_from=0.0, max_fragment_pairs=1)
    assert [bool(p.fragments) for p in capped] == [True] + [False] * 5, "only the most similar pair"
    assert capped[0].fragments == every[0].fragments


def test_every_pair_listed_once_including_unrelated() -> None:
    # 7 submissions: a cluster of copies plus unrelated programs that share nothing
    texts = [COPY, RENAMED_COPY, COPY, STARTER + SOLUTION_A, "x = 1\n", "while True:\n    break\n", "pass\n"]
    subs = [sub(f"s{i}.py", (f"s{i}.py", t)) for i, t in enumerate(texts)]
    pairs = compare(subs, min_similarity=0)
    keys = [(p.a, p.b) for p in pairs]
    assert len(keys) == len(set(keys)) == 21
    assert all(a < b for a, b in keys)
    assert any(p.similarity == 0.0 for p in pairs)
    limited = compare(subs, min_similarity=0, top=10)
    assert [(p.a, p.b) for p in limited] == keys[:10]
