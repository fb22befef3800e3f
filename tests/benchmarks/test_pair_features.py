"""benchmarks/pair_features.py: the views of one pair read what they say."""

from __future__ import annotations

from benchmarks.pair_features import NAMES, pair_features

ORIGINAL = """import java.util.Scanner;

public class Main {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        int n = in.nextInt();
        long total = 0;
        for (int i = 0; i < n; i++) {
            int v = in.nextInt();
            if (v % 2 == 0) { total += v; } else { total -= v; }
        }
        System.out.println("sum " + total);
    }
}
"""
RENAMED = ORIGINAL.replace("total", "acc").replace(" v ", " x ").replace("v %", "x %").replace("+= v", "+= x")
OTHER = """def main():
    words = input().split()
    print(len(set(words)))

main()
"""


def unit(code: str, language: str) -> dict[str, str]:
    return {"code": code, "language": language}


def test_a_renamed_copy_is_contained_and_an_unrelated_program_is_not() -> None:
    copy = dict(zip(NAMES, pair_features(unit(ORIGINAL, "java"), unit(RENAMED, "java")), strict=True))
    assert copy["k6_cont_max"] == 1.0 and copy["k6_cover_min"] == 1.0  # tokens ignore names
    assert copy["structural"] > 0.9 and copy["shared_strings"] == 1.0
    assert copy["shared_words"] < 1.0  # words do not ignore names
    other = dict(zip(NAMES, pair_features(unit(ORIGINAL, "java"), unit(OTHER, "python")), strict=True))
    assert other["structural"] == 0.0 and other["k12_cont_max"] == 0.0 and other["shared_lines"] == 0.0
    assert other["log_min_tokens"] < other["log_max_tokens"]
