"""Erasing for good: the rows, their full-text entries, and the bytes they left on disk.

A purge deletes conversations (their messages, documents and chunks go by cascade; the FTS
triggers remove their index entries, and FTS5 `secure-delete` takes the tokens out of the index
segments at once). `secure_delete` zeroes the freed pages, and after the transaction the WAL is
checkpointed and truncated, so no old copy of a page stays in the -wal file while the app runs.
Every way history is erased goes through here: Undo expiry, the command line, retention and
"Delete all history".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from app.core.store.models import Conversation, Document, Message
from app.core.store.records import PurgeCounts

UNDO_SECONDS = 10  # how long the window offers Undo before a deletion becomes final


def erase_where(session: Session, condition: ColumnElement[bool] | None) -> PurgeCounts:
    """Delete the conversations matching `condition` (None: all of them, and every document)."""
    ids = select(Conversation.id)
    if condition is not None:
        ids = ids.where(condition)
    id_list = list(session.scalars(ids))
    if condition is None:
        documents = session.scalar(select(func.count()).select_from(Document)) or 0
    elif id_list:
        documents = (
            session.scalar(select(func.count()).where(Document.conversation_id.in_(id_list))) or 0
        )
    else:
        return PurgeCounts()
    messages = 0
    for start in range(0, len(id_list), 500):  # SQLite caps the number of bound parameters
        batch = id_list[start : start + 500]
        messages += (
            session.scalar(select(func.count()).where(Message.conversation_id.in_(batch))) or 0
        )
        session.execute(delete(Conversation).where(Conversation.id.in_(batch)))
    if condition is None:  # documents summarised outside any conversation go too
        session.execute(delete(Document))
    return PurgeCounts(len(id_list), int(messages), int(documents))


def deleted_before(cutoff: datetime | None) -> ColumnElement[bool]:
    condition = Conversation.deleted_at.is_not(None)
    if cutoff is not None:
        condition = condition & (Conversation.deleted_at <= cutoff)
    return condition


def untouched_for(now: datetime, days: int) -> ColumnElement[bool]:
    return Conversation.updated_at < now - timedelta(days=days)


def undo_expired(now: datetime) -> ColumnElement[bool]:
    """Deleted conversations whose Undo time is over (left by a window closed or killed)."""
    return deleted_before(now - timedelta(seconds=UNDO_SECONDS))
