"""Grade statistics, Carol's version: standard library all the way."""
import statistics
import sys
from collections import Counter


def read_grades(path):
    """Read "name,score" lines into a dict; blank lines and # comments are ignored."""
    grades = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, score = line.split(",")
            grades[name.strip()] = float(score)
    return grades


BANDS = [(90, "A"), (80, "B"), (70, "C"), (60, "D")]


def band(score):
    return next((name for floor, name in BANDS if score >= floor), "F")


def main(argv):
    if len(argv) != 2:
        print("usage: grades.py FILE")
        return 2
    grades = read_grades(argv[1])
    if not grades:
        print("no grades")
        return 1
    scores = sorted(grades.values(), reverse=True)
    print("students:", len(scores))
    print("mean: %.2f" % statistics.fmean(scores))
    print("median: %.2f" % statistics.median(scores))
    letters = Counter(band(s) for s in scores)
    for name in "ABCDF":
        if letters[name]:
            print(name + ": " + "*" * letters[name])
    winner, top = max(grades.items(), key=lambda item: item[1])
    print("best: %s (%.1f)" % (winner, top))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
