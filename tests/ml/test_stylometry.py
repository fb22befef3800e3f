"""Style features: shape, range, and that each family of features reacts to what it claims to measure."""

from __future__ import annotations

import numpy as np
import pytest

from ml.stylometry import FEATURE_NAMES, style_features, style_matrix

PY_SNAKE = '''import os


def read_config_file(path_name):
    """Read the configuration file."""
    # Open the file and parse it.
    with open(path_name) as handle:
        line_count = 0
        for raw_line in handle:
            line_count += 1
    return line_count
'''

JAVA_SHORT = """public class A {
  public static void main(String[] a) {
    int n = 5, s = 0;
    for (int i = 0; i < n; i++) { s += i; }
    //System.out.println(s);
    System.out.println(s);
  }
}
"""


def feat(code: str, language: str) -> dict[str, float]:
    return dict(zip(FEATURE_NAMES, style_features(code, language).tolist(), strict=True))


def test_shape_dtype_and_range() -> None:
    for code, lang in [(PY_SNAKE, "python"), (JAVA_SHORT, "java"), ("x", "go"), ("a" * 5000, "css")]:
        v = style_features(code, lang)
        assert v.dtype == np.float32
        assert v.shape == (len(FEATURE_NAMES),)
        assert np.isfinite(v).all()
        assert v.min() >= 0.0 and v.max() <= 2.0
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)


def test_empty_code_is_all_zero() -> None:
    assert not style_features("", "python").any()
    assert not style_features("  \n\n\t\n", "java").any()


def test_tabs_and_spaces_give_the_same_indentation_features() -> None:
    """Tabs vs spaces is a dataset artefact (31% of human vs 1% of AI files); it must not leak."""
    spaces = JAVA_SHORT.replace("  ", "    ")
    tabs = JAVA_SHORT.replace("  ", "\t")
    a, b = feat(spaces, "java"), feat(tabs, "java")
    for name in FEATURE_NAMES:
        if name.startswith("indent") or name.startswith("line_len"):
            assert a[name] == pytest.approx(b[name], abs=1e-6), name


def test_indent_unit_detected() -> None:
    assert feat(JAVA_SHORT, "java")["indent_unit_2"] == 1.0
    assert feat(PY_SNAKE, "python")["indent_unit_4"] == 1.0


def test_naming_styles() -> None:
    py = feat(PY_SNAKE, "python")
    java = feat(JAVA_SHORT, "java")
    assert py["ident_snake_ratio"] > 0.5
    assert java["ident_snake_ratio"] == 0.0
    assert java["ident_single_char_ratio"] > py["ident_single_char_ratio"]
    assert py["ident_len_mean"] > java["ident_len_mean"]
    camel = feat("int totalCount = itemCount + extraCount;\n", "java")
    assert camel["ident_camel_ratio"] == 1.0


def test_comments_by_language_and_not_inside_strings() -> None:
    py = feat(PY_SNAKE, "python")
    assert py["comment_line_ratio"] > 0
    assert py["docstring_count"] > 0
    assert py["comment_capitalised_ratio"] == 1.0
    # '//' is not a comment in Python and '#' inside a Java string is not a comment.
    assert feat("x = a // b\ny = 2\n", "python")["comment_line_ratio"] == 0.0
    assert feat('String s = "# not a comment";\nint x = 1;\n', "java")["inline_comment_ratio"] == 0.0
    assert feat('String s = "// nor this";\nint x = 1;\n', "java")["inline_comment_ratio"] == 0.0
    java = feat(JAVA_SHORT, "java")
    assert java["commented_code_ratio"] == 1.0  # the only comment is commented-out code
    block = feat("/* Compute the sum.\n * Returns it.\n */\nint f() { return 1; }\n", "java")
    assert block["block_comment_ratio"] > 0.5


def test_spacing_and_braces() -> None:
    tight = feat("if(a==b){x=1;y=f(a,b);}\n", "java")
    loose = feat("if (a == b) {\n    x = 1;\n    y = f(a, b);\n}\n", "java")
    assert tight["assign_spaced_ratio"] == 0.0 and loose["assign_spaced_ratio"] == 1.0
    assert tight["comma_spaced_ratio"] == 0.0 and loose["comma_spaced_ratio"] == 1.0
    assert tight["keyword_paren_spaced_ratio"] == 0.0 and loose["keyword_paren_spaced_ratio"] == 1.0
    allman = feat("void f()\n{\n    return;\n}\n", "cpp")
    assert allman["brace_open_own_line_ratio"] == 1.0 and loose["brace_open_eol_ratio"] == 1.0


def test_length_features_grow_with_size() -> None:
    small = feat(PY_SNAKE, "python")
    big = feat(PY_SNAKE * 20, "python")
    assert big["log_chars"] > small["log_chars"] and big["log_lines"] > small["log_lines"]
    assert big["duplicate_line_ratio"] > small["duplicate_line_ratio"]
    assert big["compression_ratio"] < small["compression_ratio"]


def test_style_matrix() -> None:
    m = style_matrix([PY_SNAKE, JAVA_SHORT], ["python", "java"])
    assert m.shape == (2, len(FEATURE_NAMES))
    np.testing.assert_array_equal(m[1], style_features(JAVA_SHORT, "java"))
    assert style_matrix([], []).shape == (0, len(FEATURE_NAMES))
    with pytest.raises(ValueError):
        style_matrix([PY_SNAKE], [])


def test_spacing_habits_separate_hand_typed_from_uniform_code() -> None:
    hand = "int f(int a,int b){\n    int c=a+b;\n    int d = c * 2;\n    c ++;\n    return foo (c)+ 1 ;  //done\n}\n"
    uniform = "int f(int a, int b) {\n    int c = a + b;\n    c++;\n    return foo(c) + 1;  // done\n}\n"
    h, u = feat(hand, "java"), feat(uniform, "java")
    assert u["binop_spaced_both_ratio"] == 1.0 and u["binop_spacing_mixed"] == 0.0
    assert h["binop_spaced_both_ratio"] < 0.5 and h["binop_spacing_mixed"] > 0.0
    assert h["binop_spaced_one_side_ratio"] > 0.0 == u["binop_spaced_one_side_ratio"]
    assert h["incdec_spaced_ratio"] == 1.0 and u["incdec_spaced_ratio"] == 0.0
    assert h["call_space_paren_ratio"] > 0.0 == u["call_space_paren_ratio"]
    assert h["space_before_semicolon_ratio"] > 0.0 == u["space_before_semicolon_ratio"]
    assert h["paren_brace_unspaced_ratio"] == 1.0 and u["paren_brace_unspaced_ratio"] == 0.0
    assert h["comment_unspaced_ratio"] == 1.0 and u["comment_unspaced_ratio"] == 0.0
    # what sits inside string literals is not a spacing habit
    s1, s2 = feat('x = "a+b  ;"\n', "python"), feat('x = "a + b ;"\n', "python")
    for name in ("binop_spaced_both_ratio", "double_space_inline_ratio", "space_before_semicolon_ratio"):
        assert s1[name] == s2[name], name
    assert feat("a = 'x'\nb = \"y\"\n", "python")["quote_style_mixed"] == 1.0
