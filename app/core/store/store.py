"""The conversation store: the one object the window, the command line and workers use.

Each call opens a short session and returns frozen records, so the GUI thread (reads) and the
worker thread (writes while streaming) can share one Store. With WAL, readers never wait for
the writer. With history off, an in-memory database with the same schema serves the session
and nothing is written to disk; its single shared connection is guarded by a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from app.core import kv_cache
from app.core.audit import AuditTrail
from app.core.config.paths import Paths
from app.core.store import conversations, database, documents, erase, messages, search
from app.core.store.failures import translated
from app.core.store.models import Conversation
from app.core.store.records import (
    ROOT,
    ChunkHit,
    ChunkRecord,
    ConversationRecord,
    DeletedError,
    DocumentRecord,
    ImportedConversation,
    MessageRecord,
    PurgeCounts,
    SearchHit,
    utc_now,
)
from app.core.store.streaming import StreamWriter

_UNSET: Any = object()


class Store:
    def __init__(
        self, engine: Engine, path: Path | None, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._engine = engine
        self.path = path
        self._now = clock
        self._reader = sessionmaker(engine, expire_on_commit=False)
        self._writer = sessionmaker(database.write_engine(engine), expire_on_commit=False)
        # One shared in-memory connection must not interleave two threads' transactions.
        self._lock: AbstractContextManager[Any] = (
            threading.RLock() if path is None else nullcontext()
        )
        self.encrypted = False
        self.closed = False
        self.audit: AuditTrail | None = None  # where erasures are recorded (by counts)
        # Set on the in-memory stand-in when the encrypted history's key is out of reach.
        self.unavailable_reason: str | None = None  # a keys.REASONS value
        self.unavailable_message = ""

    # -- opening and closing -------------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: str | Path | None,
        history_enabled: bool = True,
        *,
        key: bytes | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> Store:
        """Open (creating or upgrading) the database, encrypted with `key` when given; with
        history off, a private in-memory one. Choosing and converting: see opening.py."""
        if not history_enabled or path is None:
            engine = database.create_memory_engine()
            database.migrate(engine, None)
            return cls(engine, None, clock)
        db_path = Path(path).expanduser().absolute()
        database.prepare_file(db_path, encrypted=key is not None)
        database.refuse_foreign(db_path, key)
        engine = database.create_file_engine(db_path, key=key)
        try:
            database.migrate(engine, db_path)
            database.secure_side_files(db_path)
        except BaseException:
            engine.dispose()
            raise
        store = cls(engine, db_path, clock)
        store.encrypted = key is not None
        if store.encrypted:  # saved KV states are plain text: none is kept beside it
            kv_cache.erase_all(store.states_dir)
        return store

    def reopen(self, key: bytes | None) -> None:
        """Open the same file again (after a conversion) in place: every holder of this Store
        keeps working. The caller makes sure nothing uses the store meanwhile."""
        assert self.path is not None
        self._engine.dispose()  # a disposed engine would connect again with the old key
        fresh = Store.open(self.path, key=key, clock=self._now)
        self._engine, self._reader, self._writer = fresh._engine, fresh._reader, fresh._writer
        self.encrypted = fresh.encrypted
        self.closed = False

    @property
    def history_enabled(self) -> bool:
        return self.path is not None

    @property
    def engine(self) -> Engine:
        return self._engine

    def disconnect(self) -> None:
        """Close every connection (so the file can be converted); the next call reconnects."""
        self._engine.dispose()

    def close(self) -> None:
        self._engine.dispose()
        self.closed = True  # an in-memory history is gone; a file one would open again

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._lock, translated(self.path, "read"), self._reader() as session:
            yield session

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with self._lock, translated(self.path, "save"), self._writer.begin() as session:
            yield session

    # -- conversations -------------------------------------------------------------------
    def create_conversation(
        self, title: str | None = None, system_prompt: str = "", model: str | None = None
    ) -> ConversationRecord:
        with self._write() as s:
            return conversations.create(s, self._now(), title, system_prompt, model).record()

    def list_conversations(
        self, query: str | None = None, limit: int = 500
    ) -> list[ConversationRecord]:
        """Live conversations, pinned first, newest first; `query` matches titles and messages."""
        with self._read() as s:
            return conversations.listing(s, query, limit)

    def get_conversation(self, conversation_id: int) -> ConversationRecord:
        """The conversation; NotFoundError if there is none, DeletedError if it was deleted
        (a deleted conversation cannot be opened, continued or exported, even during Undo)."""
        with self._read() as s:
            record = conversations.get(s, conversation_id).record()
        _refuse_deleted(record)
        return record

    def find_conversation(self, conversation_id: int) -> ConversationRecord | None:
        """The conversation, or None when there is none or it was deleted."""
        with self._read() as s:
            found = s.get(Conversation, conversation_id)
            return None if found is None or found.deleted_at is not None else found.record()

    def rename_conversation(self, conversation_id: int, title: str) -> ConversationRecord:
        clean = conversations.clean_title(title)
        with self._write() as s:
            return conversations.set_fields(
                s, conversation_id, title=clean, title_is_auto=False
            ).record()

    def set_pinned(self, conversation_id: int, pinned: bool) -> ConversationRecord:
        with self._write() as s:
            return conversations.set_fields(s, conversation_id, pinned=bool(pinned)).record()

    def set_system_prompt(self, conversation_id: int, system_prompt: str) -> ConversationRecord:
        with self._write() as s:
            return conversations.set_fields(
                s, conversation_id, system_prompt=system_prompt
            ).record()

    def set_conversation_model(
        self,
        conversation_id: int,
        model: str | None,
        name: str | None = None,
        sha256: str | None = None,
    ) -> ConversationRecord:
        """The model this conversation uses from now on: its spec, name and sha256."""
        with self._write() as s:
            return conversations.set_fields(
                s, conversation_id, model=model, model_name=name, model_sha256=sha256
            ).record()

    def delete_conversation(self, conversation_id: int) -> ConversationRecord:
        """Delete with Undo: hidden everywhere at once; erased by `purge_deleted` when the
        window's Undo time (erase.UNDO_SECONDS) is over, or at the next start at the latest."""
        with self._write() as s:
            return conversations.set_fields(s, conversation_id, deleted_at=self._now()).record()

    def restore_conversation(self, conversation_id: int) -> ConversationRecord:
        with self._write() as s:
            return conversations.set_fields(s, conversation_id, deleted_at=None).record()

    def erase_conversations(self, conversation_ids: Sequence[int]) -> PurgeCounts:
        """Delete for good now, no Undo (the command line's `history delete`)."""
        ids = sorted(set(conversation_ids))
        with self._read() as s:
            for conversation_id in ids:
                conversations.get(s, conversation_id)  # NotFoundError before anything goes
        return self._erase(Conversation.id.in_(ids), "conversation_deleted", "now")

    def purge_deleted(self, before: datetime | None = None) -> PurgeCounts:
        """Erase the deleted conversations (those deleted at or before `before`, if given)."""
        return self._erase(erase.deleted_before(before), "conversation_deleted", "undo_over")

    def purge_expired_deletions(self) -> PurgeCounts:
        """Erase deletions whose Undo time is over: left by a window that closed or crashed."""
        return self._erase(erase.undo_expired(self._now()), "conversation_deleted", "undo_over")

    def purge_older_than(self, days: int) -> PurgeCounts:
        """Erase conversations untouched for `days` days (the retention policy); 0 keeps all."""
        if days <= 0:
            return PurgeCounts()
        return self._erase(
            erase.untouched_for(self._now(), days), "history_purged", f"older_than_{days}_days"
        )

    def purge_all(self) -> PurgeCounts:
        """Erase every conversation and document ("Delete all history")."""
        return self._erase(None, "history_purged", "all")

    def _erase(self, condition: Any, event: str, reason: str) -> PurgeCounts:
        with self._write() as s:
            counts = erase.erase_where(s, condition)
        self._erase_orphan_states()
        if not (counts.conversations or counts.documents):
            return counts
        if self.path is not None:
            with translated(self.path, "save"):
                database.checkpoint(self._engine)
        if self.audit is not None:  # counts only, never a title or a word
            self.audit.record(
                event,
                reason=reason,
                conversations=counts.conversations,
                messages=counts.messages,
                documents=counts.documents,
            )
        return counts

    @property
    def states_dir(self) -> Path:
        """Where the engine keeps conversations' KV states (app.core.kv_cache)."""
        assert self.path is not None
        return Paths(self.path.parent).kv_cache_dir

    def _erase_orphan_states(self) -> None:
        """A conversation's saved KV state holds its content: it goes with the conversation."""
        if self.path is None:
            return

        def existing(ids: list[int]) -> set[int]:
            with self._read() as s:
                return set(s.scalars(select(Conversation.id).where(Conversation.id.in_(ids))))

        kv_cache.erase_orphans(self.states_dir, existing)

    def count_conversations(self, include_deleted: bool = False) -> int:
        with self._read() as s:
            return conversations.count(s, include_deleted)

    def import_conversation(self, data: ImportedConversation) -> ConversationRecord:
        """Insert a validated import (see app.core.export.import_json) in one transaction."""
        with self._write() as s:
            return conversations.import_conversation(s, data).record()

    # -- messages ------------------------------------------------------------------------
    def add_message(
        self,
        conversation_id: int,
        role: str,
        content: str,
        parent_id: Any = None,
        status: str = "complete",
        model_name: str | None = None,
        model_sha256: str | None = None,
        params: Any = None,
        stats: Any = None,
    ) -> MessageRecord:
        """Append a message. parent_id None: after the active leaf; ROOT: a new first turn;
        an id: a branch under that message. The new message becomes the active leaf."""
        with self._write() as s:
            return messages.add(
                s,
                self._now(),
                conversation_id,
                role,
                content,
                parent_id=parent_id,
                status=status,
                model_name=model_name,
                model_sha256=model_sha256,
                params=params,
                stats=stats,
            ).record()

    def add_turn(
        self,
        conversation_id: int | None,
        question: str | None,
        *,
        parent_id: Any = None,
        system_prompt: str = "",
        params: Any = None,
    ) -> tuple[ConversationRecord, list[MessageRecord]]:
        """A turn's question and its empty 'streaming' reply, in one transaction: in a new
        conversation (with `system_prompt`) when `conversation_id` is None. `question` None
        regenerates: a new reply under the message `parent_id`; else parent_id is as for
        add_message. Returns the conversation and its active path, ending with the reply."""
        now = self._now()
        with self._write() as s:
            if conversation_id is None:
                conversation = conversations.create(s, now, None, system_prompt, None)
            else:
                conversation = conversations.get(s, conversation_id)
                _refuse_deleted(conversation.record())
            path = messages.add_turn(s, now, conversation, question, parent_id=parent_id,
                                     params=params, empty=conversation_id is None)  # fmt: skip
            return conversation.record(), path

    def warm_up(self) -> None:
        """Store a turn and read it back the way the window does, in a transaction that is
        rolled back: nothing is kept, but SQLAlchemy has compiled (and cached, per engine)
        every statement of a turn, so the first question of a process is stored as fast as
        the next. Call it off the GUI thread (it may wait for another writer)."""
        now = self._now()
        with self._lock, translated(self.path, "save"), self._writer() as s:
            try:
                conversation = conversations.create(s, now, None, "", None)
                messages.add_turn(s, now, conversation, "warm-up", parent_id=None, params={},
                                  empty=True)  # fmt: skip
                path = messages.add_turn(s, now, conversation, "warm-up", parent_id=None,
                                         params={})  # fmt: skip
                s.expunge_all()  # read back from the database, not the session's objects
                conversations.get(s, conversation.id)
                messages.sibling_ids(s, [m.id for m in path])
                documents.for_conversation(s, conversation.id)
            finally:
                s.rollback()

    def add_sibling(self, message_id: int, content: str = "", **fields: Any) -> MessageRecord:
        """An alternative to a message (regenerate, edit and resend): same parent and role."""
        with self._read() as s:
            original = messages.get(s, message_id).record()
        parent = ROOT if original.parent_id is None else original.parent_id
        fields.setdefault("role", original.role)
        return self.add_message(
            original.conversation_id, content=content, parent_id=parent, **fields
        )

    def get_message(self, message_id: int) -> MessageRecord:
        with self._read() as s:
            return messages.get(s, message_id).record()

    def active_path(self, conversation_id: int) -> list[MessageRecord]:
        """The messages on screen, root first, following the active branch."""
        with self._read() as s:
            return messages.active_path(s, conversation_id)

    def all_messages(self, conversation_id: int) -> list[MessageRecord]:
        """Every message of every branch, oldest first."""
        with self._read() as s:
            return messages.all_messages(s, conversation_id)

    def siblings(self, message_id: int) -> list[MessageRecord]:
        with self._read() as s:
            return messages.siblings(s, message_id)

    def sibling_ids(self, message_ids: Sequence[int]) -> dict[int, list[int]]:
        """Each message's alternatives (ids, oldest first, itself included), in one read."""
        with self._read() as s:
            return messages.sibling_ids(s, message_ids)

    def set_active_leaf(self, conversation_id: int, message_id: int) -> MessageRecord:
        """Show the branch through `message_id`, down to its newest message (returned)."""
        with self._write() as s:
            return messages.set_active_leaf(s, conversation_id, message_id).record()

    def update_message(
        self,
        message_id: int,
        *,
        content: str = _UNSET,
        status: str = _UNSET,
        stats: Any = _UNSET,
        params: Any = _UNSET,
        model_name: str | None = _UNSET,
        model_sha256: str | None = _UNSET,
    ) -> MessageRecord:
        given = {
            "content": content,
            "status": status,
            "stats": stats,
            "params": params,
            "model_name": model_name,
            "model_sha256": model_sha256,
        }
        fields = {k: v for k, v in given.items() if v is not _UNSET}
        with self._write() as s:
            return messages.update_fields(s, self._now(), message_id, **fields).record()

    def stream_writer(
        self,
        message_id: int,
        flush_interval_s: float = 1.0,
        clock: Callable[[], float] | None = None,
    ) -> StreamWriter:
        """A writer for a reply being generated; the message is marked 'streaming' now."""
        with self._write() as s:
            message = messages.update_fields(s, self._now(), message_id, status="streaming")
            initial = message.content

        def save(content: str, status: str | None, stats: Any) -> MessageRecord | None:
            with self._write() as s:
                messages.write_stream(s, self._now(), message_id, content, status, stats)
                if status is None:
                    return None
                message = messages.get(s, message_id)
                messages.touch_conversation(s, message.conversation_id, self._now())
                return message.record()

        kwargs = {} if clock is None else {"clock": clock}
        return StreamWriter(save, initial, flush_interval_s, **kwargs)

    def mark_interrupted(self) -> int:
        """Replies left 'streaming' by a crash become 'partial'. Call once at start-up."""
        with self._write() as s:
            return messages.mark_interrupted(s, self._now())

    def count_messages(self, conversation_id: int | None = None) -> int:
        with self._read() as s:
            return messages.count(s, conversation_id)

    # -- search --------------------------------------------------------------------------
    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Best-matching messages (bm25) of live conversations, with highlighted snippets."""
        with self._read() as s:
            return search.search_messages(s, query, limit)

    # -- documents -----------------------------------------------------------------------
    def add_document(
        self,
        conversation_id: int | None,
        *,
        name: str,
        sha256: str,
        size_bytes: int,
        path: str | None = None,
        pages: int | None = None,
        language: str | None = None,
        text: str = "",
    ) -> DocumentRecord:
        with self._write() as s:
            document = documents.add(
                s,
                self._now(),
                conversation_id,
                name=name,
                sha256=sha256,
                size_bytes=size_bytes,
                path=path,
                pages=pages,
                language=language,
                text=text,
            )
            return document.record()

    def add_chunks(self, document_id: int, chunks: Iterable[Any]) -> int:
        with self._write() as s:
            return documents.add_chunks(s, document_id, chunks)

    def search_chunks(
        self,
        query: str,
        document_ids: Sequence[int] | None = None,
        conversation_id: int | None = None,
        limit: int = 8,
    ) -> list[ChunkHit]:
        with self._read() as s:
            return search.search_chunks(
                s, query, document_ids=document_ids, conversation_id=conversation_id, limit=limit
            )

    def documents(self, conversation_id: int) -> list[DocumentRecord]:
        """The conversation's documents, without their text (see get_document)."""
        with self._read() as s:
            return [d.record() for d in documents.for_conversation(s, conversation_id)]

    def get_document(self, document_id: int, with_text: bool = True) -> DocumentRecord:
        with self._read() as s:
            return documents.get(s, document_id, with_text=with_text).record(with_text=with_text)

    def chunks(self, document_id: int) -> list[ChunkRecord]:
        with self._read() as s:
            return [c.record() for c in documents.chunks(s, document_id)]

    # -- health --------------------------------------------------------------------------
    def integrity_check(self) -> list[str]:
        """Problems SQLite and the FTS indexes report; an empty list means all is well."""
        problems: list[str] = []
        with self._read() as s:
            rows = [str(r[0]) for r in s.execute(text("PRAGMA integrity_check"))]
            problems += [r for r in rows if r != "ok"]
        for table in ("messages_fts", "chunks_fts"):
            try:
                with self._write() as s:
                    s.execute(text(f"INSERT INTO {table}({table}) VALUES ('integrity-check')"))
            except Exception as exc:  # reported, not raised: this is a check
                problems.append(f"{table}: {exc}")
        return problems


def _refuse_deleted(record: ConversationRecord) -> None:
    if record.is_deleted:
        raise DeletedError(
            f"Conversation {record.id} was deleted; it cannot be opened, continued or exported."
        )
