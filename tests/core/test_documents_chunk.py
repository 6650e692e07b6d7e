"""Chunking: token budgets, paragraph and sentence boundaries, page spans; language detection."""

from __future__ import annotations

import pytest

from app.core.documents.chunk import chunk_pages
from app.core.documents.language import detect_language, resolve_language
from app.core.documents.model import Page, page_label
from tests.helpers.make_documents import LOREM, LOREM_FR


def words(text: str) -> int:
    return len(text.split())


def _pages(count: int, paragraphs: int = 3) -> list[Page]:
    return [
        Page(n, "\n\n".join(f"P{n}.{k} {LOREM}" for k in range(paragraphs)))
        for n in range(1, count + 1)
    ]


def test_chunks_respect_the_budget_and_cover_everything_in_order() -> None:
    pages = _pages(10)
    chunks = chunk_pages(pages, words, max_tokens=200)
    assert len(chunks) > 3
    assert all(c.tokens <= 200 and words(c.text) <= 200 for c in chunks)
    joined = "\n\n".join(c.text for c in chunks)
    assert joined == "\n\n".join(p.text for p in pages)  # nothing lost, nothing repeated
    assert [c.index for c in chunks] == list(range(len(chunks)))


def test_page_spans_are_exact() -> None:
    chunks = chunk_pages(_pages(10), words, max_tokens=200)
    for chunk in chunks:
        first = int(chunk.text.split(".", 1)[0].removeprefix("P"))
        last = int(chunk.text.rsplit("\n\nP", 1)[-1].split(".", 1)[0].removeprefix("P"))
        assert (chunk.page_start, chunk.page_end) == (first, last)
    assert chunks[0].page_start == 1 and chunks[-1].page_end == 10


def test_paragraph_boundaries_are_preferred() -> None:
    chunks = chunk_pages(_pages(4), words, max_tokens=120)
    for chunk in chunks:
        for paragraph in chunk.text.split("\n\n"):
            assert paragraph.startswith("P") and paragraph.endswith("suppliers.")


def test_long_paragraph_splits_on_sentences_then_spaces() -> None:
    sentence = "This sentence has exactly nine words in it. "
    chunks = chunk_pages([Page(1, sentence * 40)], words, max_tokens=30)
    assert all(c.tokens <= 30 for c in chunks)
    assert all(c.text.endswith("in it.") for c in chunks)
    run_on = " ".join(f"w{n}" for n in range(500))  # no sentence end at all
    pieces = chunk_pages([Page(7, run_on)], words, max_tokens=50)
    assert all(c.tokens <= 50 and c.page_start == c.page_end == 7 for c in pieces)
    assert " ".join(c.text for c in pieces).split() == run_on.split()


def test_retrieval_chunks_never_cross_a_page() -> None:
    chunks = chunk_pages(_pages(6, paragraphs=1), words, max_tokens=500, cross_pages=False)
    assert [(c.page_start, c.page_end) for c in chunks] == [(n, n) for n in range(1, 7)]


def test_real_tokenizer_budget(engine) -> None:
    pages = _pages(8)
    chunks = chunk_pages(pages, engine.count_tokens, max_tokens=256)
    assert all(engine.count_tokens(c.text) <= 256 + 8 for c in chunks)  # joins may merge
    assert sum(c.tokens for c in chunks) >= engine.count_tokens(pages[0].text) * 8 * 0.95


def test_tiny_budget_is_refused() -> None:
    with pytest.raises(ValueError):
        chunk_pages(_pages(1), words, max_tokens=4)


def test_language_detection() -> None:
    assert detect_language(LOREM) == "en"
    assert detect_language(LOREM_FR) == "fr"
    assert detect_language("12 345 678") == "en"
    assert resolve_language("auto", "fr") == "fr"
    assert resolve_language("en", "fr") == "en"
    assert resolve_language("auto", "de") == "en"


@pytest.mark.parametrize(
    ("unit", "start", "end", "lang", "label"),
    [
        ("page", 3, 3, "en", "p. 3"),
        ("page", 3, 5, "en", "pp. 3–5"),
        ("approx", 2, 2, "en", "p. ~2"),
        ("slide", 4, 4, "en", "slide 4"),
        ("sheet", 1, 2, "fr", "feuilles 1–2"),
        ("page", 3, 5, "fr", "p. 3–5"),
    ],
)
def test_page_labels(unit, start, end, lang, label) -> None:
    assert page_label(unit, start, end, lang) == label
