"""The tables, as SQLAlchemy 2 declarative models (the schema itself is made by the migrations).

The FTS5 tables `messages_fts` and `chunks_fts` are external-content indexes kept in sync by
triggers created in the migrations; they are queried with plain SQL, so they are not mapped here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.core.store.records import (
    ROLES,
    STATUSES,
    ChunkRecord,
    ConversationRecord,
    DocumentRecord,
    MessageRecord,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC text (sorts correctly in SQLite), returned as aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any]:
        # One C-level parse instead of SQLAlchemy's generic string parsing plus a second step:
        # lists of thousands of rows (sidebar, long conversations) read several times faster.
        def process(value: Any) -> datetime | None:
            if value is None:
                return None
            if isinstance(value, str):
                return datetime.fromisoformat(value).replace(tzinfo=UTC)
            return value.replace(tzinfo=UTC)

        return process


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def record_columns(model: type[Base], record: type) -> list[Any]:
    """The model's columns in the order of the record's fields, so `record(*row)` works."""
    table = model.__table__
    return [table.c[f.name] for f in fields(record)]


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        # The sidebar: live rows, pinned first, most recently updated first.
        Index("ix_conversations_list", "deleted_at", "pinned", "updated_at"),
        Index("ix_conversations_updated_at", "updated_at"),
        Index("ix_conversations_active_leaf_id", "active_leaf_id"),  # fast message deletes
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")
    title_is_auto: Mapped[bool] = mapped_column(default=True)
    system_prompt: Mapped[str] = mapped_column(Text, default="")
    model: Mapped[str | None] = mapped_column(Text)  # the spec it was chosen by (id, path, ...)
    model_name: Mapped[str | None] = mapped_column(Text)
    model_sha256: Mapped[str | None] = mapped_column(String(64))
    pinned: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    active_leaf_id: Mapped[int | None] = mapped_column(
        ForeignKey(
            "messages.id",
            ondelete="SET NULL",
            use_alter=True,
            name="fk_conversations_active_leaf_id_messages",
        )
    )

    def record(self) -> ConversationRecord:
        return ConversationRecord(
            id=self.id,
            title=self.title,
            title_is_auto=bool(self.title_is_auto),
            system_prompt=self.system_prompt,
            model=self.model,
            model_name=self.model_name,
            model_sha256=self.model_sha256,
            pinned=bool(self.pinned),
            created_at=self.created_at,
            updated_at=self.updated_at,
            deleted_at=self.deleted_at,
            active_leaf_id=self.active_leaf_id,
        )


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="ck_messages_role"),
        CheckConstraint(_in("status", STATUSES), name="ck_messages_status"),
        Index("ix_messages_conversation_id", "conversation_id", "id"),
        Index("ix_messages_parent_id", "parent_id"),
        # Tiny partial index: finds replies left 'streaming' by a crash without a table scan.
        Index("ix_messages_streaming", "status", sqlite_where=text("status = 'streaming'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="complete")
    model_name: Mapped[str | None] = mapped_column(Text)
    model_sha256: Mapped[str | None] = mapped_column(String(64))
    params: Mapped[dict[str, Any] | None]
    prompt_tokens: Mapped[int | None]
    generated_tokens: Mapped[int | None]
    time_to_first_token_s: Mapped[float | None]
    tokens_per_s: Mapped[float | None]
    stats: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    def record(self) -> MessageRecord:
        return MessageRecord(
            id=self.id,
            conversation_id=self.conversation_id,
            parent_id=self.parent_id,
            role=self.role,  # type: ignore[arg-type]  # guarded by a CHECK constraint
            content=self.content,
            status=self.status,  # type: ignore[arg-type]
            model_name=self.model_name,
            model_sha256=self.model_sha256,
            params=self.params,
            prompt_tokens=self.prompt_tokens,
            generated_tokens=self.generated_tokens,
            time_to_first_token_s=self.time_to_first_token_s,
            tokens_per_s=self.tokens_per_s,
            stats=self.stats,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_conversation_id", "conversation_id"),
        Index("ix_documents_sha256", "sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(Text)
    path: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    pages: Mapped[int | None]
    language: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="", deferred=True)
    created_at: Mapped[datetime]

    def record(self, *, with_text: bool = False) -> DocumentRecord:
        return DocumentRecord(
            id=self.id,
            conversation_id=self.conversation_id,
            name=self.name,
            path=self.path,
            sha256=self.sha256,
            size_bytes=self.size_bytes,
            pages=self.pages,
            language=self.language,
            created_at=self.created_at,
            text=self.text if with_text else None,
        )


class Chunk(Base):
    __tablename__ = "chunks"
    __table_args__ = (UniqueConstraint("document_id", "idx", name="uq_chunks_document_id_idx"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    idx: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    page_start: Mapped[int | None]
    page_end: Mapped[int | None]
    tokens: Mapped[int | None]

    def record(self) -> ChunkRecord:
        return ChunkRecord(
            id=self.id,
            document_id=self.document_id,
            idx=self.idx,
            text=self.text,
            page_start=self.page_start,
            page_end=self.page_end,
            tokens=self.tokens,
        )
