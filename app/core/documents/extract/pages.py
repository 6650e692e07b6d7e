"""Approximate pages for formats that have none (text, Word, HTML…): ~3000 characters each.

A form feed or an explicit page break in the source starts a new page; otherwise a page ends at
the first paragraph end past `page_chars`, so pages never cut a paragraph unless it is huge.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.core.documents.model import APPROX_PAGE_CHARS, Page, PageUnit

PAGE_BREAK = "\f"


def paginate(blocks: Iterable[str], page_chars: int = APPROX_PAGE_CHARS) -> list[Page]:
    """Pack paragraphs into pages; a block equal to `PAGE_BREAK` ends the page; no empty pages."""
    pages: list[str] = []
    current: list[str] = []
    size = 0

    def flush() -> None:
        nonlocal size
        text = "\n\n".join(current).strip()
        if text:
            pages.append(text)
        current.clear()
        size = 0

    for block in blocks:
        if block == PAGE_BREAK:
            flush()
            continue
        for piece in _split_long(block.strip(), page_chars * 2):
            if size and size + len(piece) > page_chars:
                flush()
            if piece:
                current.append(piece)
                size += len(piece) + 2
    flush()
    return [Page(i, text) for i, text in enumerate(pages, start=1)]


def paragraphs(text: str) -> list[str]:
    """Split plain text into paragraphs on blank lines, keeping form feeds as page breaks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: list[str] = []
    for i, page in enumerate(text.split(PAGE_BREAK)):
        if i:
            out.append(PAGE_BREAK)
        out.extend(p for p in page.split("\n\n") if p.strip())
    return out


def _split_long(text: str, limit: int) -> list[str]:
    """A paragraph longer than two pages is cut at line ends, else at spaces."""
    if len(text) <= limit:
        return [text]
    out: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = text.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        out.append(text[:cut].strip())
        text = text[cut:].strip()
    out.append(text)
    return out


@dataclass(frozen=True, slots=True)
class Extracted:
    """What one format's reader returns; `extract()` adds the name, hash and language."""

    pages: list[Page]
    unit: PageUnit = "approx"
