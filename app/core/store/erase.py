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

from sqlalchemy import ColumnElement, column, delete, func, select, table, text, update
from sqlalchemy.orm import Session

from app.core.store.models import Conversation, Document, Message
from app.core.store.records import PurgeCounts

UNDO_SECONDS = 10  # how long the window offers Undo before a deletion becomes final
# secure-delete takes a deleted message's words out of the index in place: about 3 ms a
# message. Past this many messages (delete all, a first retention run), re-indexing what stays
# is cheaper: the index is dropped and rebuilt from the rows that remain.
REBUILD_ABOVE = 2_000
_FTS = {"messages_fts": "messages_fts_ad", "chunks_fts": "chunks_fts_ad"}  # index: its trigger


def erase_where(session: Session, condition: ColumnElement[bool] | None) -> PurgeCounts:
    """Delete the conversations matching `condition` (None: all of them, and every document)."""
    ids = select(Conversation.id)
    if condition is not None:
        ids = ids.where(condition)
    id_list = list(session.scalars(ids))
    batches = [id_list[i : i + 500] for i in range(0, len(id_list), 500)]  # bound-parameter cap
    messages = sum(
        session.scalar(select(func.count()).where(Message.conversation_id.in_(b))) or 0
        for b in batches
    )
    documents = sum(
        session.scalar(select(func.count()).where(Document.conversation_id.in_(b))) or 0
        for b in batches
    )
    bulk = condition is None or messages > REBUILD_ABOVE
    triggers = _drop_delete_triggers(session) if bulk else {}
    for batch in batches:
        in_batch = Message.conversation_id.in_(batch)
        # A reply chain is a parent_id chain: left to ON DELETE CASCADE, deleting its first
        # message would recurse once per message, past SQLite's trigger depth (1,000). Cut
        # the links first, then each message goes on its own.
        session.execute(update(Message).where(in_batch).values(parent_id=None))
        session.execute(delete(Message).where(in_batch))
        session.execute(delete(Conversation).where(Conversation.id.in_(batch)))
    if condition is None:  # documents summarised outside any conversation go too
        documents += session.execute(delete(Document)).rowcount or 0
    if bulk:
        _rebuild_indexes(session, triggers)
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


def _drop_delete_triggers(session: Session) -> dict[str, str]:
    """Drop the FTS delete triggers for a bulk erase (inside its transaction); their SQL, as
    the schema holds it, to create them again."""
    saved = {}
    for trigger in _FTS.values():
        sql = session.scalar(
            select(column("sql"))
            .select_from(table("sqlite_master"))
            .where(column("name") == trigger)
        )
        if sql:
            saved[trigger] = sql
            session.execute(text(f"DROP TRIGGER {trigger}"))
    return saved


def _rebuild_indexes(session: Session, triggers: dict[str, str]) -> None:
    """Re-index what remains: 'rebuild' drops every old index page (zeroed by secure_delete)
    and indexes the remaining rows anew; then the triggers come back."""
    for index in _FTS:
        session.execute(text(f"INSERT INTO {index}({index}) VALUES ('rebuild')"))
    for sql in triggers.values():
        session.execute(text(sql))
