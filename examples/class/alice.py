"""Assignment 3: grade statistics (Alice)."""
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


def mean(values):
    total = 0.0
    for value in values:
        total += value
    return total / len(values) if values else 0.0


def median(values):
    ordered = sorted(values)
    count = len(ordered)
    if count == 0:
        return 0.0
    middle = count // 2
    if count % 2 == 1:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def letter(score):
    if score >= 90:
        return "A"
    elif score >= 80:
        return "B"
    elif score >= 70:
        return "C"
    elif score >= 60:
        return "D"
    return "F"


def histogram(grades):
    counts = {}
    for score in grades.values():
        key = letter(score)
        counts[key] = counts.get(key, 0) + 1
    return counts


def main(argv):
    if len(argv) != 2:
        print("usage: grades.py FILE")
        return 2
    grades = read_grades(argv[1])
    values = list(grades.values())
    print(f"students: {len(values)}")
    print(f"mean: {mean(values):.2f}")
    print(f"median: {median(values):.2f}")
    for key, count in sorted(histogram(grades).items()):
        print(f"{key}: {'*' * count}")
    best = max(grades, key=grades.get)
    print(f"best: {best} ({grades[best]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
