"""Plain, frozen records the store hands out: safe to pass between the worker and GUI threads.

The store never returns ORM objects; each call converts rows to these before its session ends.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

from app.core.errors import StoreError

Role = Literal["system", "user", "assistant"]
Status = Literal["streaming", "complete", "partial", "cancelled", "failed"]
ROLES: Final = ("system", "user", "assistant")
STATUSES: Final = ("streaming", "complete", "partial", "cancelled", "failed")

# Search snippets mark matched words with these two control characters, which never occur in
# typed text; `SearchHit.snippet_text` / `snippet_html()` turn them into something displayable.
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
MARK_START: Final = "\x02"
MARK_END: Final = "\x03"


class NotFoundError(StoreError):
    """A conversation, message or document id that does not exist (any more)."""


class DeletedError(NotFoundError):
    """A conversation the user deleted: it cannot be opened, continued or exported any more."""


@dataclass(frozen=True)
class PurgeCounts:
    """What a purge erased for good (the audit trail records these numbers, never content)."""

    conversations: int = 0
    messages: int = 0
    documents: int = 0


class _Root:
    """Sentinel: `add_message(..., parent_id=ROOT)` starts a new root (editing the first turn)."""

    _instance: _Root | None = None

    def __new__(cls) -> _Root:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ROOT"


ROOT: Final = _Root()


def storable_text(value: str, what: str = "message text") -> str:
    """Text SQLite can store as UTF-8: lone surrogates (from a broken decoder) become U+FFFD."""
    if not isinstance(value, str):
        raise StoreError(f"The {what} must be text, not {type(value).__name__}; nothing was saved.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", value)
    return value


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    id: int
    title: str
    title_is_auto: bool
    system_prompt: str
    model: str | None  # the spec the model was chosen by: an installed id, a path, SERVER/ID
    model_name: str | None
    model_sha256: str | None
    pinned: bool
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    active_leaf_id: int | None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True, slots=True)
class MessageRecord:
    id: int
    conversation_id: int
    parent_id: int | None
    role: Role
    content: str
    status: Status
    model_name: str | None
    model_sha256: str | None
    params: dict[str, Any] | None
    prompt_tokens: int | None
    generated_tokens: int | None
    time_to_first_token_s: float | None
    tokens_per_s: float | None
    stats: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class SearchHit:
    conversation_id: int
    conversation_title: str
    message_id: int
    role: Role
    snippet: str  # matched words between MARK_START and MARK_END
    rank: float  # bm25: lower is better

    @property
    def snippet_text(self) -> str:
        return self.snippet.replace(MARK_START, "").replace(MARK_END, "")

    def snippet_html(self, start: str = "<b>", end: str = "</b>") -> str:
        """The snippet HTML-escaped, with the matched words wrapped in `start`/`end`."""
        return html.escape(self.snippet).replace(MARK_START, start).replace(MARK_END, end)


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    id: int
    conversation_id: int | None
    name: str
    path: str | None
    sha256: str
    size_bytes: int
    pages: int | None
    language: str | None
    created_at: datetime
    text: str | None = None  # loaded by get_document() only: it can be large


@dataclass(frozen=True, slots=True)
class ChunkRecord:
    id: int
    document_id: int
    idx: int
    text: str
    page_start: int | None
    page_end: int | None
    tokens: int | None


@dataclass(frozen=True, slots=True)
class NewChunk:
    """A chunk to store; `add_chunks` numbers them in the order given."""

    text: str
    page_start: int | None = None
    page_end: int | None = None
    tokens: int | None = None


@dataclass(frozen=True, slots=True)
class ChunkHit:
    chunk_id: int
    document_id: int
    document_name: str
    idx: int
    text: str
    page_start: int | None
    page_end: int | None
    snippet: str
    rank: float  # bm25: lower is better


@dataclass(frozen=True, slots=True)
class ImportedMessage:
    """One message of a validated import; `key`/`parent_key` are ids local to the import."""

    key: int
    parent_key: int | None
    role: Role
    content: str
    status: Status
    model_name: str | None
    model_sha256: str | None
    params: dict[str, Any] | None
    prompt_tokens: int | None
    generated_tokens: int | None
    time_to_first_token_s: float | None
    tokens_per_s: float | None
    stats: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ImportedConversation:
    title: str
    title_is_auto: bool
    system_prompt: str
    model: str | None  # the spec the model was chosen by: an installed id, a path, SERVER/ID
    model_name: str | None
    model_sha256: str | None
    pinned: bool
    created_at: datetime
    updated_at: datetime
    messages: tuple[ImportedMessage, ...]
    active_leaf_key: int | None
