"""HTML pages: visible text by block (paragraphs, headings, list items, table rows).

Scripts, styles and other invisible parts are dropped. The stdlib tokenizer is enough here: we
need the text in reading order, not a DOM, and it never fetches anything.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from app.core.documents.extract.guards import decode_text
from app.core.documents.extract.pages import Extracted, paginate
from app.core.documents.model import DocumentLimits

_SKIP = {"script", "style", "noscript", "template", "head", "svg", "iframe", "object"}
_BLOCKS = {
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "aside",
    "nav",
    "blockquote",
    "pre",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "table",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "br",
    "hr",
    "figure",
    "figcaption",
    "form",
    "fieldset",
    "address",
    "title",
    "body",
}
_CELLS = {"td", "th"}
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._current: list[str] = []
        self._skip_depth = 0
        self._title: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip_depth += 1
        elif tag in _BLOCKS:
            self._end_block()
        elif tag in _CELLS and self._current:
            self._current.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCKS:
            self._end_block()

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self._current.append(data)

    def close(self) -> None:
        super().close()
        self._end_block()

    def _end_block(self) -> None:
        text = _SPACES.sub(" ", "".join(self._current)).strip()
        text = "\n".join(line.strip() for line in text.split("\n") if line.strip())
        if text:
            self.blocks.append(text)
        self._current.clear()


def html_blocks(markup: str) -> list[str]:
    """The visible text of an HTML document, one entry per block element."""
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    return collector.blocks


def extract_html(path: Path, limits: DocumentLimits) -> Extracted:
    return Extracted(paginate(html_blocks(decode_text(path, limits))))
