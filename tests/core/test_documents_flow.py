"""Map-reduce control flow with a fast scripted backend: cancel, recursive reduce, fallbacks.

The real model checks the same paths in test_documents_summarise.py; here the backend is a
scripted stand-in so the edge cases (cancel mid-map, a reduce that needs several levels) are
fast and deterministic.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from app.core.documents.generation import clean, degenerate
from app.core.documents.model import ExtractedDocument, Page, Summary
from app.core.documents.pipeline import summarise_file
from app.core.documents.retrieve import answer_question, search_terms
from app.core.documents.summarise import SummaryOptions, SummaryProgress, render_markdown, summarise
from app.core.errors import DocumentError, ModelError
from app.core.store import Store
from app.core.types import CancelToken
from tests.helpers import make_documents as make
from tests.helpers.fake_summary_engine import FakeSummaryEngine


def _document(pages: int, words_per_page: int = 60, unit: str = "page") -> ExtractedDocument:
    return ExtractedDocument(
        name="doc.pdf",
        path="/nowhere/doc.pdf",
        sha256="0" * 64,
        size_bytes=1,
        format="pdf",
        pages=tuple(
            Page(n, f"Marker{n} " + " ".join(f"word{n}x{k}." for k in range(words_per_page)))
            for n in range(1, pages + 1)
        ),
        page_unit=unit,  # type: ignore[arg-type]
    )


def test_cancel_during_map_keeps_the_parts_done() -> None:
    engine = FakeSummaryEngine(n_ctx=256)
    cancel = CancelToken()
    events: list[SummaryProgress] = []

    def progress(event: SummaryProgress) -> None:
        events.append(event)
        if event.stage == "map" and event.completed == 2:
            cancel.cancel()

    summary = summarise(engine, _document(20), SummaryOptions(), cancel, progress)
    assert summary.cancelled and summary.mode == "map-reduce"
    assert summary.chunks_done == 2 < summary.chunks_total
    assert [s.index for s in summary.sections] == [1, 2]
    assert len(engine.prompts) == 2  # no step started after the cancel
    assert events[-1].stage == "done" and not summary.overview
    markdown = render_markdown(summary)
    assert "**By part**" in markdown and "p. 1" in markdown


def test_cancel_inside_a_step_drops_that_unfinished_step() -> None:
    engine = FakeSummaryEngine(n_ctx=256, hold_on_call=3)
    cancel = CancelToken()
    result: list[Summary] = []
    runner = threading.Thread(
        target=lambda: result.append(summarise(engine, _document(20), cancel=cancel))
    )
    runner.start()
    assert engine.holding.wait(10)  # the third map step is mid-generation
    cancel.cancel()
    runner.join(10)
    assert not runner.is_alive()
    [summary] = result
    assert summary.cancelled and len(summary.sections) == 2 and summary.chunks_done == 2
    assert len(engine.prompts) == 3


def test_reduce_recurses_when_the_parts_do_not_fit() -> None:
    engine = FakeSummaryEngine(n_ctx=200)
    options = SummaryOptions(map_max_tokens=20, reduce_max_tokens=40)
    events: list[SummaryProgress] = []
    summary = summarise(engine, _document(60, words_per_page=30), options, progress=events.append)
    map_prompts = [p for p in engine.prompts if re.search(r"^Part \d+ of", p, re.M)]
    reduce_prompts = [p for p in engine.prompts if "Summaries of its parts" in p]
    assert len(map_prompts) == summary.chunks_total > 10
    assert len(reduce_prompts) > 2  # batches, then at least one more level
    assert all(engine.count_tokens(p) + 40 <= 200 for p in engine.prompts)
    assert summary.overview and not summary.cancelled
    assert events[-1].stage == "done"
    assert sum(1 for e in events if e.stage == "reduce") >= len(reduce_prompts)


def test_single_pass_when_it_fits() -> None:
    engine = FakeSummaryEngine(n_ctx=2048)
    summary = summarise(engine, _document(3, words_per_page=20))
    assert summary.mode == "single" and len(engine.prompts) == 1
    assert summary.sections[0].page_start == 1 and summary.sections[0].page_end == 3
    assert render_markdown(summary).rstrip().endswith("(doc.pdf, pp. 1–3)")


def test_context_too_small_is_a_clear_error() -> None:
    with pytest.raises(ModelError, match="too small to summarise"):
        summarise(FakeSummaryEngine(n_ctx=64), _document(3))


def test_model_page_citations_outside_the_span_are_dropped() -> None:
    class Citing(FakeSummaryEngine):
        def complete(self, prompt, params, cancel=None):
            stream = super().complete(prompt, params, cancel)
            stream._reply = "Costs rose (p. 2) and fell (p. 99) as noted (p. X)."
            return stream

    summary = summarise(Citing(n_ctx=2048), _document(3, words_per_page=20))
    assert summary.overview == "Costs rose (p. 2) and fell as noted."


def test_degenerate_output_falls_back_to_the_passage() -> None:
    class Looping(FakeSummaryEngine):
        def complete(self, prompt, params, cancel=None):
            stream = super().complete(prompt, params, cancel)
            stream._reply = "the the the the the the the the the the the the"
            return stream

    summary = summarise(Looping(n_ctx=2048), _document(2, words_per_page=5))
    assert summary.overview.startswith("Marker1 word1x0.")
    assert degenerate("") and not degenerate("A normal sentence with words.")
    assert clean("Good start. Cut off mid", ("\nText:",), truncated=True) == "Good start."
    looping = "Costs rose.\nCosts rose. Staff left.\n## Notes\nStaff left.\nText: ignored"
    assert clean(looping, ("\nText:",), truncated=False) == "Costs rose. Staff left."
    listed = "- Roof repaired.\n- Budget\nvoted.\n# Heading\n- Roof repaired."
    assert clean(listed, (), truncated=False, bullets=True) == "- Roof repaired.\n- Budget voted."


def test_pipeline_stores_the_document_even_when_cancelled(tmp_path: Path) -> None:
    pdf = make.make_pdf(tmp_path / "notes.pdf", [f"Page {n}. {make.LOREM}" for n in range(1, 30)])
    engine = FakeSummaryEngine(n_ctx=256)
    cancel = CancelToken()

    def progress(event: SummaryProgress) -> None:
        if event.stage == "map" and event.completed == 1:
            cancel.cancel()

    with Store.open(tmp_path / "db.sqlite") as store:
        outcome = summarise_file(engine, store, pdf, cancel=cancel, progress=progress)
        assert outcome.cancelled
        [document] = store.documents(outcome.conversation_id)
        assert document.pages == 29 and store.chunks(document.id)
        reply = store.active_path(outcome.conversation_id)[-1]
        assert reply.status == "cancelled" and reply.content == outcome.markdown
        assert "pp. 1–" in reply.content or "p. 1" in reply.content


def test_pipeline_refuses_a_bad_file_and_stores_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.docx"
    path.touch()
    with Store.open(tmp_path / "db.sqlite") as store:
        with pytest.raises(DocumentError, match="empty"):
            summarise_file(FakeSummaryEngine(), store, path)
        assert store.count_conversations() == 0


def test_questions_need_a_document_and_matching_words(tmp_path: Path) -> None:
    engine = FakeSummaryEngine(n_ctx=1024)
    with Store.open(tmp_path / "db.sqlite") as store:
        bare = store.create_conversation()
        with pytest.raises(DocumentError, match="no document attached"):
            answer_question(engine, store, bare.id, "What is the budget?")
        path = make.make_docx(tmp_path / "b.docx", [make.LOREM] * 30)
        outcome = summarise_file(engine, store, path)
        text, citations = answer_question(
            engine, store, outcome.conversation_id, "zeppelin aquarium?"
        )
        assert citations == [] and "nothing that matches" in text
        text, citations = answer_question(
            engine, store, outcome.conversation_id, "What did the suppliers say?"
        )
        assert citations and citations[0].label.startswith("b.docx, p")  # p. ~1 or pp. ~1, ~3
        assert len({c.document_name for c in citations}) == len(citations)  # one per document
        assert f"Sources: [1] {citations[0].label}" in text


def test_search_terms_drop_common_words() -> None:
    assert search_terms("What is the budget for the roof?") == "budget roof"
    assert search_terms("Quel est le budget de la toiture ?") == "budget toiture"
    assert search_terms("the of?") == "the of?"
    assert search_terms("Where's the keeper's key?") == "Where's keeper's key"


def test_a_summary_that_fails_leaves_the_document_and_a_failed_reply(tmp_path: Path) -> None:
    class Unloaded(FakeSummaryEngine):
        @property
        def info(self):
            return None  # no model loaded

    path = make.make_docx(tmp_path / "c.docx", [make.LOREM] * 3)
    with Store.open(tmp_path / "db.sqlite") as store:
        with pytest.raises(ModelError, match="No model is loaded"):
            summarise_file(Unloaded(), store, path)
        [conversation] = store.list_conversations()
        assert store.documents(conversation.id)[0].name == "c.docx"
        request, reply = store.active_path(conversation.id)
        assert (request.role, reply.role, reply.status) == ("user", "assistant", "failed")
        assert "No model is loaded" in reply.content
