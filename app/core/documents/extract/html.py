"""HTML pages: visible text by block (paragraphs, headings, list items, table rows).

Scripts, styles and other invisible parts are dropped. The markup is read by libxml2's HTML
parser (lxml, with the network off), walked without recursion: the standard library's tokenizer
took minutes on 2 MB of `</` (quadratic rescans) and raised AssertionError on `<![`.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

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


class _TextCollector:
    def __init__(self) -> None:
        self.blocks: list[str] = []
        self._current: list[str] = []
        self._skip_depth = 0

    def start(self, tag: str, text: str | None) -> None:
        if tag in _SKIP:
            self._skip_depth += 1
        elif tag in _BLOCKS:
            self._end_block()
        elif tag in _CELLS and self._current:
            self._current.append(" | ")
        self._data(text)

    def end(self, tag: str, tail: str | None) -> None:
        if tag in _SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCKS:
            self._end_block()
        self._data(tail)

    def _data(self, data: str | None) -> None:
        if data and not self._skip_depth:
            self._current.append(data)

    def close(self) -> list[str]:
        self._end_block()
        return self.blocks

    def _end_block(self) -> None:
        text = _SPACES.sub(" ", "".join(self._current)).strip()
        text = "\n".join(line.strip() for line in text.split("\n") if line.strip())
        if text:
            self.blocks.append(text)
        self._current.clear()


def html_blocks(markup: str) -> list[str]:
    """The visible text of an HTML document, one entry per block element."""
    parser = etree.HTMLParser(
        encoding="utf-8", no_network=True, remove_comments=True, remove_pis=True
    )
    root = etree.fromstring(markup.encode("utf-8", errors="replace"), parser)
    collector = _TextCollector()
    if root is None:
        return []
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if event == "start":
            collector.start(tag, element.text)
        else:
            collector.end(tag, element.tail if element is not root else None)
    return collector.close()


def extract_html(path: Path, limits: DocumentLimits) -> Extracted:
    return Extracted(paginate(html_blocks(decode_text(path, limits))))
