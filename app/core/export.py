"""Export a conversation to Markdown, HTML or JSON, and import it back from JSON (no Qt here;
PDF is printed by the window with Qt).

    conv = store.get_conversation(cid)
    text = export_conversation(store, cid, "md")
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from app.core.errors import EnclaveError
from app.core.export_html import ROLE_LABELS, STATUS_NOTES, to_html
from app.core.export_json import (
    FORMAT,
    VERSION,
    ImportFormatError,
    conversation_to_dict,
    import_json,
    to_json,
)
from app.core.store import ConversationRecord, MessageRecord, Store

TEXT_FORMATS: Final = ("md", "html", "json")
SUFFIXES: Final = {"md": ".md", "html": ".html", "json": ".json"}

__all__ = [
    "FORMAT",
    "SUFFIXES",
    "TEXT_FORMATS",
    "VERSION",
    "ImportFormatError",
    "conversation_to_dict",
    "export_conversation",
    "import_json",
    "record_export",
    "to_html",
    "to_json",
    "to_markdown",
]


def to_markdown(conversation: ConversationRecord, messages: Sequence[MessageRecord]) -> str:
    """Readable Markdown: a title, a metadata line, the system prompt, then each message."""
    title = " ".join((conversation.title or "Untitled conversation").split())
    meta = [f"Created {conversation.created_at:%Y-%m-%d %H:%M} UTC"]
    if conversation.model:
        meta.append(f"model {conversation.model}")
    meta.append("exported from Enclave")
    lines = [f"# {title}", "", f"*{' · '.join(meta)}*", ""]
    if conversation.system_prompt.strip():
        quoted = "\n".join(
            f"> {ln}" if ln else ">" for ln in conversation.system_prompt.splitlines()
        )
        lines += ["> **System prompt**", ">", quoted, ""]
    for message in messages:
        heading = ROLE_LABELS.get(message.role, message.role)
        if message.role == "assistant" and message.model_name:
            heading += f" · {message.model_name}"
        lines += ["---", "", f"### {heading}", "", message.content.rstrip(), ""]
        note = STATUS_NOTES.get(message.status)
        if note:
            lines += [f"*({note})*", ""]
    return "\n".join(lines).rstrip() + "\n"


def export_conversation(store: Store, conversation_id: int, fmt: str) -> str:
    """The conversation in `fmt`: md and html show the visible branch; json keeps every branch."""
    if fmt not in TEXT_FORMATS:
        raise EnclaveError(
            f"Unknown export format {fmt!r}; choose one of {', '.join(TEXT_FORMATS)} "
            f"(PDF is made by the window)."
        )
    conversation = store.get_conversation(conversation_id)
    if fmt == "json":
        return to_json(conversation, store.all_messages(conversation_id))
    messages = store.active_path(conversation_id)
    return (to_markdown if fmt == "md" else to_html)(conversation, messages)


def record_export(store: Store, conversation_id: int, fmt: str, destination: str) -> None:
    """Audit an export: which conversation, the format and where it went (never its text)."""
    if store.audit is not None:
        store.audit.record(
            "export", format=fmt, destination=destination, conversation_id=conversation_id
        )
