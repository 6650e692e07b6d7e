"""Summaries and questions with the real model: a 62-page PDF many times the context, and French.

The model is the bundled 270M base model, loaded here with a 512-token context so the long
PDF needs map-reduce; generation caps are small to keep the run short. Page references are
checked exactly: they come from the chunks' spans and the retrieval, not from the model.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.documents.extract import extract
from app.core.documents.model import page_label
from app.core.documents.pipeline import SummaryOutcome, summarise_file
from app.core.documents.retrieve import answer_question
from app.core.documents.summarise import SummaryOptions, SummaryProgress, summarise
from app.core.store import Store
from app.core.types import GenerationParams
from tests.helpers import make_documents as make
from tests.helpers.fake_summary_engine import RecordingBackend

pytestmark = pytest.mark.model

PAGES = 62
PLANTED_PAGE = 37
PLANTED = "The lighthouse keeper keeps the spare harbour key inside the blue tide clock."
TOPICS = ["budget", "roofs", "training", "library", "parking", "gardens", "transport", "schools"]
OPTIONS = SummaryOptions(map_max_tokens=32, reduce_max_tokens=64)


@pytest.fixture(scope="module")
def small_engine(model_path: Path) -> Iterator[object]:
    """The real model with a 512-token context (one thread: steady on a busy machine)."""
    from app.core.engine import LocalEngine
    from app.core.types import LoadOptions

    engine = LocalEngine()
    engine.load(model_path, LoadOptions(context_size=512, threads=1))
    yield engine
    engine.unload()


def _page_text(number: int) -> str:
    topic = TOPICS[number % len(TOPICS)]
    text = (
        f"Page {number} marker. The council discussed {topic} at meeting {number}. "
        f"Members compared the {topic} costs with last year and asked for a report on {topic} "
        f"before the next session. The clerk noted that {topic} remains a priority for the "
        f"district and that residents had sent letters about it."
    )
    return f"{text} {PLANTED}" if number == PLANTED_PAGE else text


@pytest.fixture(scope="module")
def long_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("long")
    return make.make_pdf(folder / "council.pdf", [_page_text(n) for n in range(1, PAGES + 1)])


@pytest.fixture(scope="module")
def long_run(
    small_engine, long_pdf: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[SummaryOutcome, RecordingBackend, list[SummaryProgress], Store]:
    store = Store.open(tmp_path_factory.mktemp("db") / "enclave.db")
    backend = RecordingBackend(small_engine)
    events: list[SummaryProgress] = []
    outcome = summarise_file(backend, store, long_pdf, options=OPTIONS, progress=events.append)
    yield outcome, backend, events, store
    store.close()


def test_long_pdf_takes_the_map_reduce_path(long_run, small_engine, long_pdf: Path) -> None:
    outcome, _backend, _events, _store = long_run
    tokens = sum(small_engine.count_tokens(p.text) for p in extract(long_pdf).pages)
    assert tokens > 5 * small_engine.info.n_ctx  # the document is many times the context
    assert outcome.summary.mode == "map-reduce" and not outcome.cancelled
    assert outcome.summary.chunks_total >= 5
    assert outcome.summary.chunks_done == outcome.summary.chunks_total
    assert outcome.summary.overview


def test_every_chunk_is_mapped_exactly_once(long_run) -> None:
    outcome, backend, events, _store = long_run
    total = outcome.summary.chunks_total
    map_prompts = [p for p in backend.prompts if re.search(r"^Part \d+ of \d+", p, re.M)]
    assert len(map_prompts) == total
    parts = [int(re.search(r"^Part (\d+) of", p, re.M).group(1)) for p in map_prompts]
    assert parts == list(range(1, total + 1))
    for number in range(1, PAGES + 1):  # every page went through exactly one map step
        assert sum(f"Page {number} marker." in p for p in map_prompts) == 1
    map_events = [e for e in events if e.stage == "map"]
    assert [e.completed for e in map_events] == list(range(0, total + 1))
    assert map_events[-1].completed == map_events[-1].total == total
    assert any(e.stage == "reduce" and e.completed == e.total for e in events)
    assert events[-1].stage == "done"
    assert any(e.eta_s is not None and e.eta_s > 0 for e in map_events[1:-1])


def test_sections_cite_the_pages_they_came_from(long_run) -> None:
    outcome, backend, _events, _store = long_run
    sections = outcome.summary.sections
    assert sections[0].page_start == 1 and sections[-1].page_end == PAGES
    for before, after in itertools.pairwise(sections):
        assert after.page_start in (before.page_end, before.page_end + 1)
    map_prompts = [p for p in backend.prompts if re.search(r"^Part \d+ of", p, re.M)]
    for section, prompt in zip(sections, map_prompts, strict=True):
        pages = re.findall(r"Page (\d+) marker\.", prompt)
        assert (section.page_start, section.page_end) == (int(pages[0]), int(pages[-1]))
        label = page_label("page", section.page_start, section.page_end)
        assert f"**{label}** — {section.text}" in outcome.markdown


def test_document_and_summary_are_stored(long_run) -> None:
    outcome, _backend, _events, store = long_run
    [document] = store.documents(outcome.conversation_id)
    assert (document.name, document.pages) == ("council.pdf", PAGES)
    assert document.sha256 == outcome.sha256
    chunks = store.chunks(document.id)
    assert {c.page_start for c in chunks} == set(range(1, PAGES + 1))
    assert all(c.page_start == c.page_end for c in chunks)
    messages = store.active_path(outcome.conversation_id)
    assert [m.role for m in messages] == ["user", "assistant"]
    assert messages[1].content == outcome.markdown and messages[1].status == "complete"


def test_planted_fact_is_cited_with_its_page(long_run, small_engine) -> None:
    outcome, _backend, _events, store = long_run
    pieces: list[object] = []
    text, citations = answer_question(
        small_engine,
        store,
        outcome.conversation_id,
        "Where does the lighthouse keeper keep the spare harbour key?",
        GenerationParams(max_tokens=24, temperature=0.0, seed=1),
        progress=pieces.append,
    )
    assert citations[0].page_start == citations[0].page_end == PLANTED_PAGE
    assert citations[0].label == "council.pdf, p. 37"
    assert citations[0].path == outcome.path
    assert "[1] council.pdf, p. 37" in text
    assert pieces and all(isinstance(p, str) for p in pieces)


def test_french_document_takes_the_french_path(small_engine, tmp_path: Path) -> None:
    source = Path(__file__).parents[1] / "fixtures" / "documents" / "compte-rendu.md"
    document = extract(source)
    assert document.language == "fr"
    backend = RecordingBackend(small_engine)
    summary = summarise(backend, document, SummaryOptions(map_max_tokens=32, reduce_max_tokens=48))
    assert summary.language == "fr" and summary.mode == "single" and summary.overview
    [prompt] = backend.prompts
    assert "Texte :" in prompt and "Résumé du document" in prompt
    assert "Summary" not in prompt


def test_language_can_be_chosen(small_engine) -> None:
    source = Path(__file__).parents[1] / "fixtures" / "documents" / "compte-rendu.md"
    backend = RecordingBackend(small_engine)
    options = SummaryOptions(language="en", map_max_tokens=16, reduce_max_tokens=16)
    summary = summarise(backend, extract(source), options)
    assert summary.language == "en" and "Summary of the document" in backend.prompts[0]
