"""prepare(): layout reaches the encoder as markers; formatting habits do not."""

from __future__ import annotations

import pytest

from ml.codetext import DEDENT, INDENT, LAYOUT_TOKENS, NEWLINE, prepare, register_layout_tokens

PY = "def f(x):\n    if x:\n        return 1\n    return 2\n"


def test_newlines_and_relative_indentation() -> None:
    out = prepare(PY)
    assert out.split() == [
        "def", "f(x):", NEWLINE, INDENT, "if", "x:", NEWLINE, INDENT, "return", "1",
        NEWLINE, DEDENT, "return", "2",
    ]


def test_tabs_and_indent_width_are_invisible() -> None:
    tabs = PY.replace("        ", "\t\t").replace("    ", "\t")
    two = PY.replace("        ", "    ").replace("    return 2", "  return 2").replace("    if", "  if")
    assert prepare(tabs) == prepare(PY)
    assert prepare(two) == prepare(PY)


def test_blank_lines_stay_visible_but_trailing_and_leading_do_not() -> None:
    a = "x = 1\ny = 2\n"
    b = "x = 1\n\ny = 2\n"
    assert prepare(a) != prepare(b)
    assert prepare(b).count(NEWLINE) == 2
    assert prepare("\n\n" + a + "\n\n\n") == prepare(a)
    assert prepare("x = 1\r\ny = 2\r\n") == prepare(a)


def test_dedent_to_unseen_column_and_multiple_levels() -> None:
    code = "a\n        b\n    c\nd\n"
    toks = prepare(code).split()
    assert toks == ["a", NEWLINE, INDENT, "b", NEWLINE, DEDENT, INDENT, "c", NEWLINE, DEDENT, "d"]
    code = "a\n  b\n    c\nd\n"
    assert prepare(code).split()[-3:] == [DEDENT, DEDENT, "d"]


def test_package_header_is_dropped_only_at_the_top() -> None:
    with_pkg = "package ch_03;\n\nimport java.util.*;\nclass A {}\n"
    without = "import java.util.*;\nclass A {}\n"
    assert prepare(with_pkg) == prepare(without)
    assert "package" in prepare("class A {}\npackage x;\n")  # not a header: kept
    assert prepare("// c\npackage a.b;\nclass A {}") == prepare("// c\nclass A {}")


def test_prepare_rejects_non_text() -> None:
    with pytest.raises(TypeError):
        prepare(b"x = 1")  # type: ignore[arg-type]


def test_markers_are_single_tokens_and_no_vocab_growth() -> None:
    from ml.config import PACKAGED_MINILM
    from ml.model import load_tokenizer

    tok = load_tokenizer(PACKAGED_MINILM)
    assert len(tok) == tok.vocab_size
    pieces = tok.tokenize(prepare(PY))
    for marker in LAYOUT_TOKENS:
        assert marker in pieces
    assert "unused" not in pieces and "##0" not in pieces
    ids = tok.convert_tokens_to_ids(list(LAYOUT_TOKENS))
    assert len(set(ids)) == 3 and tok.unk_token_id not in ids


def test_register_refuses_a_vocab_without_unused_entries() -> None:
    class Tok:
        def get_vocab(self) -> dict[str, int]:
            return {"a": 0}

    with pytest.raises(ValueError, match="layout tokens"):
        register_layout_tokens(Tok())


def test_plain_layout_removes_tab_and_package_artefacts() -> None:
    from ml.codetext import plain_layout

    code = "package ch_04;\nclass A {\n\tint x;\n\t\tint y;\n  \t\n}\n"
    out = plain_layout(code)
    assert "package" not in out and "\t" not in out
    assert "\n    int x;\n        int y;\n\n}\n" in out
    assert plain_layout("class B {}\npackage later;\n").count("package") == 1  # only a leading header
    assert plain_layout("x = 1\r\ny = 2\r\n") == "x = 1\ny = 2\n"


def test_plain_layout_lines_keep_the_file_s_own_line_numbers() -> None:
    from ml.codetext import plain_layout, plain_layout_lines

    code = "package ch_01;\r\n\r\nclass A {\r\n\tint f() { return 1; }\r}\n"
    lines = plain_layout_lines(code)
    assert [n for n, _ in lines] == [2, 3, 4, 5, 6]  # the header is line 1; a lone \r ends line 4
    assert lines[2] == (4, "    int f() { return 1; }")
    assert plain_layout(code) == "\n".join(t for _, t in lines)
