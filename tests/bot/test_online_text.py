"""bot/online_text.py: the HTML an LMS editor stored gives back the lines the student typed."""

from __future__ import annotations

import pytest

from bot.online_text import html_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        # Atto/TinyMCE: a paragraph per line, indentation as non-breaking spaces, `<p><br></p>` a blank line.
        ("<p>def f(x):</p>\n<p>&nbsp;&nbsp;&nbsp; return x &lt; 2</p>\n<p><br></p>\n<p>print(f(1))</p>",
         "def f(x):\n    return x < 2\n\nprint(f(1))\n"),
        ("<pre>def f(x):\n    return x\n\nprint(1)</pre>", "def f(x):\n    return x\n\nprint(1)\n"),
        ("def f(x):<br>&nbsp; &nbsp; return 1<br>", "def f(x):\n    return 1\n"),
        ("<div><p>a<br>b</p></div>\n<div><p>c</p></div>", "a\nb\nc\n"),  # nested blocks add no blank lines
    ],
)
def test_html_text_is_what_the_student_typed(html: str, text: str) -> None:
    assert html_text(html) == text
