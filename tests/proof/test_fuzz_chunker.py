"""Fuzzing the chunker: any text, any budget from the smallest allowed, nothing lost or oversized.

Properties, for every input: each chunk fits its token budget (by the same counter that packed
it), the words come out in order with none lost or added, page spans are right (and a single
page each when chunks may not cross pages), and indexes run 0, 1, 2… One test packs with a
simple counter at every budget; one with the real model's tokenizer, whose token density
varies (emoji, CJK, digits), which is what the cut-at-spaces fallback must survive.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from app.core.documents.chunk import chunk_pages
from app.core.documents.model import Page
from tests.helpers.fuzz import fuzz_settings

WORDS = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(["budget", "été", "東京都", "😀😀😀", "3.14159", "—", "\u200b", "x" * 300]),
)
SEPARATORS = st.sampled_from([" ", " ", " ", "\n", "\n\n", ". ", "! ", "\t", "\r\n", "…", "\n \n"])


@st.composite
def page_texts(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 60))):
        parts.append(draw(WORDS))
        parts.append(draw(SEPARATORS))
    return "".join(parts)


pages_strategy = st.lists(page_texts(), min_size=1, max_size=5).map(
    lambda texts: [Page(number, text) for number, text in enumerate(texts, start=1)]
)


def words(text: str) -> list[str]:
    return "".join(text.split())  # type: ignore[return-value]


def check_chunks(pages: list[Page], count: Callable[[str], int], budget: int, cross: bool) -> None:
    chunks = chunk_pages(pages, count, budget, cross_pages=cross)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert words("".join(c.text for c in chunks)) == words("".join(p.text for p in pages))
    previous_end = 1
    for chunk in chunks:
        assert chunk.text.strip(), "an empty chunk"
        assert chunk.tokens <= budget, (chunk.tokens, budget)
        assert count(chunk.text) <= budget, (count(chunk.text), budget, chunk.text[:80])
        assert previous_end <= chunk.page_start <= chunk.page_end <= len(pages)
        if not cross:
            assert chunk.page_start == chunk.page_end
        previous_end = chunk.page_start


def simple_count(text: str) -> int:
    """A stand-in tokenizer: a token per word plus one per 4 bytes of long words."""
    return sum(1 + len(w.encode("utf-8")) // 4 for w in text.split())


@fuzz_settings(examples=300)
@given(pages=pages_strategy, budget=st.integers(16, 400), cross=st.booleans())
def test_any_text_is_chunked_within_budget_and_whole(
    pages: list[Page], budget: int, cross: bool
) -> None:
    check_chunks(pages, simple_count, budget, cross)


@fuzz_settings(examples=60)
@given(pages=pages_strategy, budget=st.integers(16, 200), cross=st.booleans())
def test_real_tokenizer_chunks_within_budget(
    engine, pages: list[Page], budget: int, cross: bool
) -> None:
    check_chunks(pages, engine.count_tokens, budget, cross)
