"""Questions about a conversation's documents, answered from the best-matching chunks.

The question's words (minus common ones) go to the store's FTS5 index (bm25); the best chunks,
each exactly one page, are laid out as numbered extracts in the prompt, and the answer comes
back with the list of those extracts as citations (file, page), most relevant first. The
citations come from the retrieval, not from the model's text, so they are right even when a
small model's wording is not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from app.core.backend import Backend
from app.core.documents.generation import Usage, clean, complete, context_size
from app.core.documents.language import detect_language, is_stopword
from app.core.documents.model import Citation, merge_citations, page_label, page_unit_for
from app.core.documents.prompts import prompts_for
from app.core.errors import DocumentError
from app.core.store import ChunkHit, DocumentRecord, Store
from app.core.types import CancelToken, GenerationParams, GenerationStats

MAX_EXTRACTS = 4
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_MARGIN_TOKENS = 24


@dataclass(frozen=True, slots=True)
class Answer:
    text: str  # the model's answer followed by the numbered sources
    citations: list[Citation]
    stats: GenerationStats


def answer_question(
    engine: Backend,
    store: Store,
    conversation_id: int,
    question: str,
    params: GenerationParams | None = None,
    cancel: CancelToken | None = None,
    progress: Callable[[object], None] | None = None,
) -> tuple[str, list[Citation]]:
    """Answer `question` from the conversation's documents; `progress` gets each text piece."""
    answer = ask(engine, store, conversation_id, question, params, cancel, progress)
    return answer.text, answer.citations


def ask(
    engine: Backend,
    store: Store,
    conversation_id: int,
    question: str,
    params: GenerationParams | None = None,
    cancel: CancelToken | None = None,
    progress: Callable[[object], None] | None = None,
) -> Answer:
    """`answer_question` with the generation statistics (for the window's message details)."""
    params = params or GenerationParams(max_tokens=256, temperature=0.2, seed=1)
    documents = {d.id: d for d in store.documents(conversation_id)}
    if not documents:
        raise DocumentError(
            "This conversation has no document attached; drop a document on the window first."
        )
    language = detect_language(question, default=_main_language(documents.values()))
    prompts = prompts_for(language)
    hits = store.search_chunks(
        search_terms(question), conversation_id=conversation_id, limit=MAX_EXTRACTS * 2
    )
    if not hits:
        return Answer(prompts.no_match, [], GenerationStats())
    n_ctx = context_size(engine)
    frame = prompts.answer.format(items="", question=question)
    budget = n_ctx - engine.count_tokens(frame) - params.max_tokens - _MARGIN_TOKENS
    chosen: list[tuple[ChunkHit, str]] = []
    numbers: dict[int, int] = {}  # document id -> its source number (one per document)
    for hit in hits[:MAX_EXTRACTS]:
        document = documents[hit.document_id]
        unit = page_unit_for(document.name)
        source = f"{document.name}, {page_label(unit, hit.page_start, hit.page_end, language)}"
        number = numbers.get(hit.document_id, len(numbers) + 1)
        item = prompts.answer_item.format(number=number, source=source, text=hit.text)
        cost = engine.count_tokens(item) + 2
        if cost > budget:
            break
        budget -= cost
        numbers[hit.document_id] = number
        chosen.append((hit, item))
    if not chosen:
        raise DocumentError(
            "The model's context is too small to hold even one extract of the document; choose "
            "a larger context size in Settings."
        )
    prompt = prompts.answer.format(items="\n\n".join(i for _, i in chosen), question=question)
    answer_params = replace(params, stop=prompts.stops)
    text, stats = complete(
        engine, prompt, answer_params, cancel or CancelToken(), Usage(), progress
    )
    citations = merge_citations([_citation(hit, documents[hit.document_id]) for hit, _ in chosen])
    answer = clean(text, prompts.stops, truncated=stats.stop_reason == "length")
    return Answer(_with_sources(answer, citations, prompts.sources), citations, stats)


def search_terms(question: str) -> str:
    """The words worth searching for: common words only add noise to bm25's ranking."""
    words = [w for w in _WORD.findall(question) if not is_stopword(w)]
    return " ".join(words) if words else question


def _citation(hit: ChunkHit, document: DocumentRecord) -> Citation:
    name = document.name
    return Citation(
        document_name=name,
        page_start=hit.page_start,
        page_end=hit.page_end,
        path=document.path,
        document_id=hit.document_id,
        snippet=hit.snippet,
        unit=page_unit_for(name),
    )


def _with_sources(answer: str, citations: list[Citation], heading: str) -> str:
    listed = "; ".join(f"[{n}] {c.label}" for n, c in enumerate(citations, start=1))
    return f"{answer}\n\n{heading}: {listed}" if answer else f"{heading}: {listed}"


def _main_language(documents: Iterable[DocumentRecord]) -> str:
    languages = [d.language or "en" for d in documents]
    return max(set(languages), key=languages.count) if languages else "en"
