from __future__ import annotations

import pytest

from bot.reports.view import build_view, full_path, normalise_thresholds, resolve_file
from ml.submission import Report, SourceFile, Submission
from tests.bot.reports.sample_class import small_class


def _lines(text: str, span: tuple[int, int]) -> list[str]:
    return text.splitlines()[span[0] - 1 : span[1]]


def test_sample_fragments_point_at_shared_code() -> None:
    # Guards the fixture itself: the "copied" regions must really be the same code.
    report, subs, _ = small_class()
    by_name = {s.name: s for s in subs}
    for pair in report.pairs[:2]:
        for frag in pair.fragments:
            a = resolve_file(by_name[pair.a], frag.a_path)
            b = resolve_file(by_name[pair.b], frag.b_path)
            assert a is not None and b is not None
            norm = [line.replace("acc", "total").strip() for line in _lines(b.text, frag.b_lines)]
            assert [line.strip() for line in _lines(a.text, frag.a_lines)] == norm


def test_pairs_ranked_by_similarity_with_longest_fragment() -> None:
    report, subs, thr = small_class()
    report.pairs.reverse()
    view = build_view(report, subs, thr)
    assert [r.rank for r in view.pairs] == [1, 2, 3, 4]
    assert [r.similarity for r in view.pairs] == sorted((p.similarity for p in report.pairs), reverse=True)
    top = view.pairs[0]
    assert (top.a, top.b) == ("alice", "bob")
    assert top.longest_lines == 5 and top.longest_tokens == 34
    assert view.pairs[2].longest_lines == 0  # no fragments


def test_resolve_file_accepts_relative_and_prefixed_paths() -> None:
    sub = Submission("eve", [SourceFile("src/Stats.java", "java", ""), SourceFile("Stats.java", "java", "")])
    assert resolve_file(sub, "src/Stats.java") is sub.files[0]
    assert resolve_file(sub, "eve/src/Stats.java") is sub.files[0]
    assert resolve_file(sub, "eve/Stats.java") is sub.files[1]
    assert resolve_file(sub, "other.java") is None
    assert full_path("alice.py", "alice.py") == "alice.py"
    assert full_path("eve", "eve/src/A.java") == "eve/src/A.java"
    assert full_path("eve", "src/A.java") == "eve/src/A.java"


def test_thresholds_accept_calibration_output_and_flat_dicts() -> None:
    calibrated = {
        "levels": {"medium": {"threshold": 0.4, "target_fpr": 0.05}, "high": {"threshold": 0.7}},
        "n_human": 10,
    }
    assert normalise_thresholds(calibrated) == {"high": 0.7, "medium": 0.4}
    assert list(normalise_thresholds({"medium": 0.3, "high": 0.8}) or {}) == ["high", "medium"]
    assert normalise_thresholds(None) is None


def test_duplicate_submission_names_are_an_error() -> None:
    subs = [Submission("a", []), Submission("a", [])]
    with pytest.raises(ValueError, match="duplicate submission names: a"):
        build_view(Report(), subs)


def test_languages_counted_from_report_files() -> None:
    report, subs, thr = small_class()
    assert build_view(report, subs, thr).languages() == {"python": 5, "java": 2}


def test_anonymising_hides_skipped_entries_but_not_base_code() -> None:
    from ml.submission import Skipped

    report, subs, thr = small_class()
    report.skipped.append(Skipped("base code: starter/data.bin", "binary file"))
    view = build_view(report, subs, thr, anonymise=True, anonymise_key="k" * 32)
    shown = [s.path for s in view.skipped]
    assert shown[0].startswith("student-") and "frank" not in shown[0]
    assert shown[1].startswith("student-") and shown[1].endswith("/data.bin")  # carol/data.bin
    assert shown[2] == "base code: starter/data.bin"
