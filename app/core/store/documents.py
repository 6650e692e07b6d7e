"""Documents attached to conversations and their retrieval chunks (the file is not copied)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, undefer

from app.core.store import conversations
from app.core.store.models import Chunk, Document
from app.core.store.records import NewChunk, NotFoundError, storable_text

_CHUNK_FIELDS = ("text", "page_start", "page_end", "tokens")


def get(session: Session, document_id: int, *, with_text: bool = False) -> Document:
    options = [undefer(Document.text)] if with_text else []
    document = session.get(Document, document_id, options=options)
    if document is None:
        raise NotFoundError(
            f"There is no document with id {document_id}; it may have been removed."
        )
    return document


def add(
    session: Session,
    now: datetime,
    conversation_id: int | None,
    *,
    name: str,
    sha256: str,
    size_bytes: int,
    path: str | None,
    pages: int | None,
    language: str | None,
    text: str,
) -> Document:
    if conversation_id is not None:
        conversations.get(session, conversation_id)
    document = Document(
        conversation_id=conversation_id,
        name=storable_text(name, "document name"),
        path=None if path is None else storable_text(path, "document path"),
        sha256=sha256,
        size_bytes=int(size_bytes),
        pages=pages,
        language=language,
        text=storable_text(text, "document text"),
        created_at=now,
    )
    session.add(document)
    session.flush()
    return document


def _chunk_values(chunk: NewChunk | Mapping[str, Any] | Any) -> dict[str, Any]:
    """Accept NewChunk, a mapping, or any object with the same attributes (e.g. the chunker's)."""
    if isinstance(chunk, Mapping):
        values = {name: chunk.get(name) for name in _CHUNK_FIELDS}
    else:
        values = {name: getattr(chunk, name, None) for name in _CHUNK_FIELDS}
    values["text"] = storable_text(values["text"], "document chunk text")
    return values


def add_chunks(session: Session, document_id: int, chunks: Iterable[Any]) -> int:
    """Append chunks in order after those already stored; returns how many were added."""
    get(session, document_id)
    start = session.scalar(
        select(func.coalesce(func.max(Chunk.idx) + 1, 0)).where(Chunk.document_id == document_id)
    )
    rows = [
        {"document_id": document_id, "idx": start + offset, **_chunk_values(chunk)}
        for offset, chunk in enumerate(chunks)
    ]
    if rows:
        session.execute(insert(Chunk), rows)
    return len(rows)


def for_conversation(session: Session, conversation_id: int) -> list[Document]:
    stmt = (
        select(Document)
        .where(Document.conversation_id == conversation_id)
        .order_by(Document.created_at, Document.id)
    )
    return list(session.scalars(stmt))


def chunks(session: Session, document_id: int) -> list[Chunk]:
    get(session, document_id)
    stmt = select(Chunk).where(Chunk.document_id == document_id).order_by(Chunk.idx)
    return list(session.scalars(stmt))
