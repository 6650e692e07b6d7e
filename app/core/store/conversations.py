"""Conversation rows: create, list for the sidebar, rename, pin, soft delete, import (erasing
for good is in erase.py)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.errors import EnclaveError
from app.core.store.models import Conversation, Message, record_columns
from app.core.store.records import (
    ConversationRecord,
    ImportedConversation,
    NotFoundError,
    storable_text,
)
from app.core.store.search import build_match, matching_conversation_ids

TITLE_CHARS = 60
MAX_TITLE_CHARS = 200


def derive_title(text: str, limit: int = TITLE_CHARS) -> str:
    """The first non-empty line, whitespace collapsed, cut at a word boundary with an ellipsis."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    line = " ".join(line.split())
    if len(line) <= limit:
        return line
    cut = line[: limit + 1].rsplit(" ", 1)[0] if " " in line[: limit + 1] else line[:limit]
    return cut.rstrip(" ,;:.-–—") + "…"


def clean_title(title: str) -> str:
    cleaned = " ".join(storable_text(title, "title").split())
    if not cleaned:
        raise EnclaveError("A conversation title cannot be empty; type at least one character.")
    return cleaned[:MAX_TITLE_CHARS]


def get(session: Session, conversation_id: int) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFoundError(
            f"There is no conversation with id {conversation_id}; it may have been deleted."
        )
    return conversation


def create(
    session: Session,
    now: datetime,
    title: str | None,
    system_prompt: str,
    model: str | None,
) -> Conversation:
    conversation = Conversation(
        title=clean_title(title) if title else "",
        title_is_auto=not title,
        system_prompt=storable_text(system_prompt or "", "system prompt"),
        model=model,
        pinned=False,
        created_at=now,
        updated_at=now,
    )
    session.add(conversation)
    session.flush()
    return conversation


def _like_pattern(query: str) -> str:
    escaped = re.sub(r"([\\%_])", r"\\\1", " ".join(query.split()))
    return f"%{escaped}%"


def listing(session: Session, query: str | None, limit: int) -> list[ConversationRecord]:
    """Live conversations, pinned first, then the most recently updated; no messages loaded.

    Rows go straight to records (no ORM objects): ten times faster for a full sidebar."""
    stmt = select(*record_columns(Conversation, ConversationRecord)).where(
        Conversation.deleted_at.is_(None)
    )
    if query and query.strip():
        title_match = Conversation.title.like(_like_pattern(query), escape="\\")
        match = build_match(query)
        if match is not None:
            stmt = stmt.where(title_match | Conversation.id.in_(matching_conversation_ids(match)))
        else:
            stmt = stmt.where(title_match)
    stmt = stmt.order_by(Conversation.pinned.desc(), Conversation.updated_at.desc()).limit(limit)
    return [ConversationRecord(*row) for row in session.execute(stmt)]


def set_fields(session: Session, conversation_id: int, **fields: object) -> Conversation:
    conversation = get(session, conversation_id)
    for name, value in fields.items():
        setattr(conversation, name, value)
    session.flush()
    return conversation


def count(session: Session, include_deleted: bool) -> int:
    stmt = select(func.count()).select_from(Conversation)
    if not include_deleted:
        stmt = stmt.where(Conversation.deleted_at.is_(None))
    return int(session.scalar(stmt) or 0)


def import_conversation(session: Session, data: ImportedConversation) -> Conversation:
    """Insert a validated import in one transaction; ids are new, the tree shape is kept."""
    conversation = Conversation(
        title=data.title,
        title_is_auto=data.title_is_auto,
        system_prompt=data.system_prompt,
        model=data.model,
        model_name=data.model_name,
        model_sha256=data.model_sha256,
        pinned=data.pinned,
        created_at=data.created_at,
        updated_at=data.updated_at,
    )
    session.add(conversation)
    session.flush()
    new_ids: dict[int, int] = {}
    for item in data.messages:  # validated: parents come before their children
        message = Message(
            conversation_id=conversation.id,
            parent_id=None if item.parent_key is None else new_ids[item.parent_key],
            role=item.role,
            content=item.content,
            status=item.status,
            model_name=item.model_name,
            model_sha256=item.model_sha256,
            params=item.params,
            prompt_tokens=item.prompt_tokens,
            generated_tokens=item.generated_tokens,
            time_to_first_token_s=item.time_to_first_token_s,
            tokens_per_s=item.tokens_per_s,
            stats=item.stats,
            created_at=item.created_at,
            updated_at=item.updated_at,
        )
        session.add(message)
        session.flush()
        new_ids[item.key] = message.id
    if data.active_leaf_key is not None:
        conversation.active_leaf_id = new_ids[data.active_leaf_key]
    elif new_ids:
        conversation.active_leaf_id = new_ids[data.messages[-1].key]
    session.flush()
    return conversation
