"""From a file to a conversation: extract, attach the document, summarise, store the reply.

This is the whole "drop a document" job, shared by the window (run on the model worker) and
`enclave summarize`. The document and its retrieval chunks are stored *before* summarising, so a
cancelled or failed summary still leaves the document attached and questions answerable; the
summary message is stored with status `cancelled` and the parts finished so far.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.core.backend import Backend
from app.core.documents.chunk import chunk_pages
from app.core.documents.extract import extract
from app.core.documents.model import DocumentLimits, ExtractedDocument, Summary
from app.core.documents.prompts import prompts_for
from app.core.documents.summarise import (
    SummaryOptions,
    SummaryProgress,
    render_markdown,
    summarise,
)
from app.core.errors import EnclaveError
from app.core.store import DocumentRecord, Store
from app.core.types import CancelToken

# Retrieval chunks are small and never cross a page, so an answer cites one exact page.
RETRIEVAL_CHUNK_TOKENS = 160


@dataclass(frozen=True, slots=True)
class SummaryOutcome:
    conversation_id: int
    document_id: int
    message_id: int
    name: str
    path: str
    pages: int
    language: str
    format: str
    sha256: str
    summary: Summary
    markdown: str

    @property
    def cancelled(self) -> bool:
        return self.summary.cancelled


def attach_document(
    store: Store,
    conversation_id: int,
    document: ExtractedDocument,
    count_tokens: Callable[[str], int],
) -> DocumentRecord:
    """Store the document's text and page-exact retrieval chunks in the conversation."""
    record = store.add_document(
        conversation_id,
        name=document.name,
        sha256=document.sha256,
        size_bytes=document.size_bytes,
        path=document.path,
        pages=max((p.number for p in document.pages), default=0),
        language=document.language,
        text="\f".join(p.text for p in document.pages),  # form feeds keep the page breaks
    )
    chunks = chunk_pages(document.pages, count_tokens, RETRIEVAL_CHUNK_TOKENS, cross_pages=False)
    store.add_chunks(record.id, chunks)
    return record


def summarise_file(
    backend: Backend,
    store: Store,
    path: str | Path,
    *,
    conversation_id: int | None = None,
    options: SummaryOptions | None = None,
    limits: DocumentLimits | None = None,
    cancel: CancelToken | None = None,
    progress: Callable[[SummaryProgress], None] | None = None,
    password: str | None = None,
) -> SummaryOutcome:
    """Summarise one file into a conversation (a new one unless `conversation_id` is given).

    An encrypted PDF raises `PasswordRequired` (before anything is stored) unless `password`
    opens it.
    """
    options = options or SummaryOptions()
    cancel = cancel or CancelToken()
    report = progress or (lambda _event: None)
    name = Path(path).name
    report(SummaryProgress(name, "extract", 0, 1, None))
    document = extract(path, limits, password)
    report(SummaryProgress(name, "extract", 1, 1, None))
    prompts = prompts_for(options.language if options.language != "auto" else document.language)
    if conversation_id is None:
        conversation_id = store.create_conversation(
            title=prompts.title.format(name=document.name)
        ).id
    record = attach_document(store, conversation_id, document, backend.count_tokens)
    request = store.add_message(conversation_id, "user", prompts.request.format(name=name))
    try:
        summary = summarise(backend, document, options, cancel, progress)
    except EnclaveError as exc:  # e.g. no model loaded: the request stays, marked as failed
        store.add_message(
            conversation_id, "assistant", str(exc), parent_id=request.id, status="failed"
        )
        raise
    markdown = render_markdown(summary)
    info = backend.info
    reply = store.add_message(
        conversation_id,
        "assistant",
        markdown,
        parent_id=request.id,
        status="cancelled" if summary.cancelled else "complete",
        model_name=info.name if info else None,
        model_sha256=info.sha256 if info else None,
        stats={
            "prompt_tokens": summary.prompt_tokens,
            "generated_tokens": summary.generated_tokens,
            "total_s": round(summary.wall_s, 3),
            "mode": summary.mode,
            "chunks": summary.chunks_total,
            "document_id": record.id,
        },
    )
    return SummaryOutcome(
        conversation_id=conversation_id,
        document_id=record.id,
        message_id=reply.id,
        name=document.name,
        path=document.path,
        pages=record.pages or 0,
        language=summary.language,
        format=document.format,
        sha256=document.sha256,
        summary=summary,
        markdown=markdown,
    )
