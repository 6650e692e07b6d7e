"""Token-aware chunks on paragraph, then sentence boundaries, each with its page span.

`count_tokens` is the model's own tokenizer (`Backend.count_tokens`), so a chunk's budget is
exact for the model that reads it. Long paragraphs are split into sentences, and a sentence
longer than the budget (a table dump, minified text) at spaces.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from app.core.documents.model import Page

TokenCounter = Callable[[str], int]
_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?…;:])\s+|\n")
_SEPARATOR_TOKENS = 1


@dataclass(frozen=True, slots=True)
class Chunk:
    index: int  # 0-based, in reading order
    text: str
    page_start: int
    page_end: int
    tokens: int


@dataclass(frozen=True, slots=True)
class _Unit:
    text: str
    page: int
    tokens: int


def chunk_pages(
    pages: Sequence[Page], count_tokens: TokenCounter, max_tokens: int, *, cross_pages: bool = True
) -> list[Chunk]:
    """Pack the document into chunks of at most `max_tokens` tokens.

    `cross_pages=False` starts a new chunk at every page, so each chunk cites exactly one page
    (used for the retrieval index).
    """
    if max_tokens < 16:
        raise ValueError("chunks need a budget of at least 16 tokens")
    chunks: list[Chunk] = []
    current: list[_Unit] = []
    used = 0

    def flush() -> None:
        nonlocal used
        if current:
            chunks.append(
                Chunk(
                    index=len(chunks),
                    text="\n\n".join(u.text for u in current),
                    page_start=current[0].page,
                    page_end=current[-1].page,
                    tokens=used,
                )
            )
        current.clear()
        used = 0

    for page in pages:
        if not cross_pages:
            flush()
        for unit in _units(page, count_tokens, max_tokens):
            cost = unit.tokens + (_SEPARATOR_TOKENS if current else 0)
            if current and used + cost > max_tokens:
                flush()
                cost = unit.tokens
            current.append(unit)
            used += cost
    flush()
    return chunks


def _units(page: Page, count_tokens: TokenCounter, max_tokens: int) -> Iterator[_Unit]:
    """Paragraphs of the page; over-long ones as sentences; over-long sentences cut at spaces."""
    for paragraph in _PARAGRAPH.split(page.text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        tokens = count_tokens(paragraph)
        if tokens <= max_tokens:
            yield _Unit(paragraph, page.number, tokens)
            continue
        for sentence in _sentences(paragraph):
            yield from _fit(sentence, page.number, count_tokens, max_tokens)


def _fit(text: str, page: int, count_tokens: TokenCounter, max_tokens: int) -> Iterator[_Unit]:
    tokens = count_tokens(text)
    if tokens <= max_tokens:
        yield _Unit(text, page, tokens)
        return
    for piece in _cut(text, tokens, max_tokens):
        yield from _fit(piece, page, count_tokens, max_tokens)


def _sentences(paragraph: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip()]


def _cut(text: str, tokens: int, max_tokens: int) -> Iterator[str]:
    """Cut at spaces into pieces of about 80% of the budget (token density is not uniform)."""
    chars_per_piece = max(1, int(len(text) * max_tokens * 0.8 / max(tokens, 1)))
    while text:
        if len(text) <= chars_per_piece:
            yield text
            return
        cut = text.rfind(" ", chars_per_piece // 2, chars_per_piece)
        cut = cut if cut > 0 else chars_per_piece
        yield text[:cut].strip()
        text = text[cut:].strip()
