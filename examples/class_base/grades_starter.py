"""Assignment 3 starter code: grade statistics.

Complete main() so that it prints the number of students, the mean and the median
score, a histogram of letter grades and the best student. Do not change read_grades().
"""
import sys


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


def main(argv):
    if len(argv) != 2:
        print("usage: grades.py FILE")
        return 2
    grades = read_grades(argv[1])
    # TODO: your code here
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
