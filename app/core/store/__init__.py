"""The conversation store: SQLite (WAL, foreign keys, FTS5) through SQLAlchemy, Alembic-managed.

    store = Store.open(path, history_enabled=True)
    conv = store.create_conversation()
    store.add_message(conv.id, "user", "Bonjour")

Everything returned is a frozen record (never an ORM object), safe to hand between threads.
"""

from app.core.store.records import (
    MARK_END,
    MARK_START,
    ROLES,
    ROOT,
    STATUSES,
    ChunkHit,
    ChunkRecord,
    ConversationRecord,
    DeletedError,
    DocumentRecord,
    ImportedConversation,
    ImportedMessage,
    MessageRecord,
    NewChunk,
    NotFoundError,
    PurgeCounts,
    SearchHit,
)
from app.core.store.store import Store
from app.core.store.streaming import StreamWriter

__all__ = [
    "MARK_END",
    "MARK_START",
    "ROLES",
    "ROOT",
    "STATUSES",
    "ChunkHit",
    "ChunkRecord",
    "ConversationRecord",
    "DeletedError",
    "DocumentRecord",
    "ImportedConversation",
    "ImportedMessage",
    "MessageRecord",
    "NewChunk",
    "NotFoundError",
    "PurgeCounts",
    "SearchHit",
    "Store",
    "StreamWriter",
]
