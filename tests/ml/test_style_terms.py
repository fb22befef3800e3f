"""Style features in words: every feature has them, and each kind reads its value the right way."""

from __future__ import annotations

import pytest

from ml.style_terms import FEATURE_TERMS, describe
from ml.stylometry import FEATURE_NAMES


def test_every_style_feature_has_words_and_no_stale_entries() -> None:
    assert set(FEATURE_TERMS) == set(FEATURE_NAMES)
    assert all(kind in ("share", "flag", "level") and what for what, kind in FEATURE_TERMS.values())
    # Shares must be shown as percentages only where the value really is a fraction in [0, 1].
    assert FEATURE_TERMS["todo_ratio"][1] == "level" and FEATURE_TERMS["non_ascii_ratio"][1] == "level"


@pytest.mark.parametrize(
    ("feature", "value", "typical", "expected"),
    [
        ("keyword_paren_spaced_ratio", 1.0, 0.62, "a space between `if`/`for`/`while` and `(`: 100% here, typically 62%"),
        ("comment_char_ratio", 0.05, 0.004, "characters in comments: 5% here, typically <1%"),
        ("comma_spaced_ratio", 0.995, 1.0, "`,` followed by a space: >99% here, typically 100%"),
        ("indent_unit_2", 1.0, 0.0, "indents of 2 columns: yes here, typically no"),
        ("line_len_mean", 0.3, 0.5, "average line length: lower than typical"),
        ("log_lines", 0.6, 0.5, "number of lines: higher than typical"),
        ("newer_feature", 0.6, 0.6, "newer_feature: as typical"),
    ],
)
def test_describe(feature: str, value: float, typical: float, expected: str) -> None:
    assert describe(feature, value, typical) == expected
