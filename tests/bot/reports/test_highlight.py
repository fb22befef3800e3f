from __future__ import annotations

import re

from bot.reports.highlight import highlight_lines, style_css


def _text(line: str) -> str:
    return re.sub(r"<[^>]+>", "", line).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def test_one_html_line_per_source_line_with_leading_blanks_and_crlf() -> None:
    src = "\n\nx = 1\r\ns = '''a\nb'''\r\n\n"
    lines = highlight_lines(src, "python", "a.py")
    assert len(lines) == len(src.replace("\r\n", "\n").splitlines())
    assert [_text(line) for line in lines] == src.replace("\r\n", "\n").splitlines()


def test_multiline_tokens_are_closed_on_each_line() -> None:
    lines = highlight_lines("/* one\ntwo */ int x;\n", "c", "a.c")
    for line in lines:
        assert line.count("<span") == line.count("</span>")
    assert lines[0].startswith("<span class=c")


def test_code_is_escaped_and_keywords_classed() -> None:
    lines = highlight_lines('def f():\n    return "</script><b>"\n', "python", "a.py")
    assert "<span class=k>def</span>" in lines[0]
    assert "</script>" not in "".join(lines) and "&lt;/script&gt;" in lines[1]


def test_unknown_language_falls_back_to_filename_then_text() -> None:
    assert "<span class=k>" in highlight_lines("fn main() {}\n", "", "main.rs")[0]
    assert highlight_lines("a < b\n", "no-such-language", "x.unknownext") == ["a &lt; b"]


def test_style_is_scoped() -> None:
    css = style_css(".src")
    assert ".src .k" in css and all(line.startswith(".src .") for line in css.splitlines())
