# Bob's solution to assignment 3
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


def middle_value(nums):
    # sort first, then pick the centre
    srt = sorted(nums)
    n = len(srt)
    if n == 0:
        return 0.0
    half = n // 2
    if n % 2 == 1:
        return srt[half]
    return (srt[half - 1] + srt[half]) / 2


def average(nums):
    s = 0.0
    for x in nums:
        s += x
    return s / len(nums) if nums else 0.0


def to_letter(mark):
    if mark >= 90:
        return 'A'
    elif mark >= 80:
        return 'B'
    elif mark >= 70:
        return 'C'
    elif mark >= 60:
        return 'D'
    return 'F'


def tally(book):
    buckets = {}
    for mark in book.values():
        grade = to_letter(mark)
        buckets[grade] = buckets.get(grade, 0) + 1
    return buckets


def main(argv):
    if len(argv) != 2:
        print("usage: grades.py FILE")
        return 2
    book = read_grades(argv[1])
    debug = False
    nums = list(book.values())
    print(f"students: {len(nums)}")
    print(f"mean: {average(nums):.2f}")
    print(f"median: {middle_value(nums):.2f}")
    for grade, n in sorted(tally(book).items()):
        print(f"{grade}: {'*' * n}")
    if debug:
        print(nums)
    top = max(book, key=book.get)
    print(f"best: {top} ({book[top]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
