"""The HTML an LMS's online-text editor stored -> the code the student typed into it.

Moodle's and Canvas's editors keep each line as a paragraph (or a `<br>`), indentation as
non-breaking spaces, and pasted blocks sometimes in `<pre>`; `html_text` gives back the lines
and spaces. Pure: the text is only read.
"""

from __future__ import annotations

from html.parser import HTMLParser

_BLOCK_TAGS = frozenset({"p", "div", "li", "pre", "tr", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"})


class _TextOf(HTMLParser):
    """The text an LMS's rich-text editor shows: a line per paragraph, `<br>` and block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pre = 0
        # Text since the last line break: a block ends a line only if one is open, so nested blocks
        # and `<p>...<br></p>` do not add blank lines the student never typed.
        self.line_open = False

    def _newline(self) -> None:
        self.parts.append("\n")
        self.line_open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._newline()
        elif tag == "pre":
            self.pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in _BLOCK_TAGS and self.line_open:
            self._newline()

    def handle_data(self, data: str) -> None:
        if not self.pre and not data.strip() and "\n" in data:
            return  # the editor's own line breaks between tags, not the student's
        self.parts.append(data)
        self.line_open = not data.endswith("\n")


def html_text(html: str) -> str:
    """The code a student pasted into an LMS's online-text editor, from the HTML it stored.

    Editors keep indentation as non-breaking spaces and lines as paragraphs; both come back
    as the spaces and line breaks the student typed."""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ").replace("\r\n", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n") + "\n"
