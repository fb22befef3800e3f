"""Plain words for the style features of ml/stylometry.py, so an explanation can be read by a
grader or a contributor who has never seen the feature code.

Why a separate table: the feature names are short for the code's sake (`keyword_paren_spaced_ratio`);
a reviewer needs "a space between `if` and `(`: 100% here, typically 0%". Each entry says how its
value reads: a *share* (a fraction of lines, names, operators... shown as a percentage), a *flag*
(0 or 1), or a *level* (a scaled count or length, only comparable as higher or lower).
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["share", "flag", "level"]

#: feature name -> (what it measures, how its value reads)
FEATURE_TERMS: dict[str, tuple[str, Kind]] = {
    "log_chars": ("file length", "level"),
    "log_lines": ("number of lines", "level"),
    "line_len_mean": ("average line length", "level"),
    "line_len_std": ("variation in line length", "level"),
    "line_len_p90": ("length of the longer lines", "level"),
    "line_len_max": ("longest line", "level"),
    "frac_lines_over_80": ("lines longer than 80 columns", "share"),
    "frac_lines_over_120": ("lines longer than 120 columns", "share"),
    "frac_short_lines": ("very short lines (10 columns or fewer)", "share"),
    "blank_line_ratio": ("blank lines", "share"),
    "double_blank_ratio": ("blank lines following a blank line", "share"),
    "brace_only_line_ratio": ("lines holding only brackets or punctuation", "share"),
    "indent_mean": ("average indentation depth", "level"),
    "indent_std": ("variation in indentation depth", "level"),
    "indent_max": ("deepest indentation", "level"),
    "indent_unit_2": ("indents of 2 columns", "flag"),
    "indent_unit_4": ("indents of 4 columns", "flag"),
    "indent_unit_other": ("indents of an unusual width (not 2 or 4)", "flag"),
    "indent_inconsistent_ratio": ("indented lines off the file's own indent step", "share"),
    "comment_line_ratio": ("lines that are only a comment", "share"),
    "inline_comment_ratio": ("lines with a comment after code", "share"),
    "block_comment_ratio": ("lines inside block comments", "share"),
    "comment_char_ratio": ("characters in comments", "share"),
    "comment_words_mean": ("words per comment", "level"),
    "comment_capitalised_ratio": ("comments starting with a capital letter", "share"),
    "comment_period_ratio": ("comments ending with a full stop", "share"),
    "commented_code_ratio": ("comments that look like code", "share"),
    "docstring_count": ("number of docstrings", "level"),
    "todo_ratio": ("TODO/FIXME notes", "level"),
    "log_identifiers": ("number of identifiers", "level"),
    "ident_len_mean": ("average name length", "level"),
    "ident_len_std": ("variation in name length", "level"),
    "ident_unique_ratio": ("distinct names among all name uses", "share"),
    "ident_snake_ratio": ("snake_case names", "share"),
    "ident_camel_ratio": ("camelCase names", "share"),
    "ident_pascal_ratio": ("PascalCase names", "share"),
    "ident_upper_ratio": ("UPPER_CASE names", "share"),
    "ident_single_char_ratio": ("one-letter names", "share"),
    "ident_short_ratio": ("names of one or two characters", "share"),
    "ident_long_ratio": ("names of 15 characters or more", "share"),
    "ident_digit_ratio": ("names containing digits", "share"),
    "ident_word_ratio": ("names that are one lower-case word", "share"),
    "ident_entropy": ("variety of names", "level"),
    "token_entropy": ("variety of tokens", "level"),
    "token_per_line": ("tokens per line", "level"),
    "keyword_ratio": ("keywords among tokens", "share"),
    "number_literal_ratio": ("number literals among tokens", "share"),
    "string_literal_per_line": ("string literals per line", "level"),
    "compression_ratio": ("how little the text repeats itself", "level"),
    "duplicate_line_ratio": ("repeated lines", "share"),
    "semicolon_line_end_ratio": ("code lines ending in `;`", "share"),
    "brace_open_eol_ratio": ("`{` at the end of a line", "share"),
    "brace_open_own_line_ratio": ("`{` on a line of its own", "share"),
    "paren_density": ("parentheses per line", "level"),
    "bracket_depth_max": ("deepest bracket nesting", "level"),
    "operator_density": ("operators among tokens", "share"),
    "assign_spaced_ratio": ("`=` with a space on both sides", "share"),
    "comma_spaced_ratio": ("`,` followed by a space", "share"),
    "keyword_paren_spaced_ratio": ("a space between `if`/`for`/`while` and `(`", "share"),
    "binop_spaced_both_ratio": ("operators with a space on both sides", "share"),
    "binop_spaced_none_ratio": ("operators with no space around them", "share"),
    "binop_spaced_one_side_ratio": ("operators with a space on one side only", "share"),
    "binop_spacing_mixed": ("mixed operator spacing (`a+b` beside `c = d`)", "level"),
    "double_space_inline_ratio": ("lines with a double space inside them", "share"),
    "space_before_semicolon_ratio": ("a space before `;`", "share"),
    "space_before_comma_ratio": ("a space before `,`", "share"),
    "space_inside_paren_ratio": ("spaces just inside parentheses (`( x )`)", "share"),
    "call_space_paren_ratio": ("a space between a function's name and `(`", "share"),
    "paren_brace_unspaced_ratio": ("`){` with no space", "share"),
    "comment_unspaced_ratio": ("comments with no space after the marker (`//x`)", "share"),
    "incdec_spaced_ratio": ("a space before `++`/`--`", "share"),
    "quote_style_mixed": ("single and double quotes mixed", "level"),
    "trailing_whitespace_ratio": ("lines with trailing whitespace", "share"),
    "whitespace_char_ratio": ("whitespace among characters", "share"),
    "uppercase_char_ratio": ("capital letters in code", "share"),
    "non_ascii_ratio": ("non-ASCII characters", "level"),
    "def_per_line": ("function definitions per line", "level"),
    "log_defs": ("number of function definitions", "level"),
    "lines_per_def": ("lines per function", "level"),
    "print_per_line": ("print statements per line", "level"),
    "import_line_ratio": ("import lines", "share"),
    "return_per_def": ("return statements per function", "level"),
}


def describe(feature: str, value: float, typical: float) -> str:
    """One habit in words, against a typical human file: "a space before `;`: 40% here,
    typically 0%". Unknown features (a model trained on a newer feature set) keep their name."""
    what, kind = FEATURE_TERMS.get(feature, (feature, "level"))
    if kind == "share":
        return f"{what}: {_percent(value)} here, typically {_percent(typical)}"
    if kind == "flag":
        return f"{what}: {'yes' if value >= 0.5 else 'no'} here, typically {'yes' if typical >= 0.5 else 'no'}"
    if value == typical:
        return f"{what}: as typical"
    return f"{what}: {'higher' if value > typical else 'lower'} than typical"


def _percent(x: float) -> str:
    """Whole percents, except that a small non-zero share never reads as 0% (or 100%)."""
    pct = 100.0 * x
    if 0 < pct < 1:
        return "<1%"
    if 99 < pct < 100:
        return ">99%"
    return f"{pct:.0f}%"
