"""The one history rule: what of a conversation the model sees for the next reply.

The system prompt (the admin's when locked), then the active branch up to the question: user and
assistant messages with text, minus failed replies. Reasoning is stored apart from a reply's
content, so it is never fed back.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.core.store import Store
from app.core.store.records import MessageRecord
from app.core.types import ChatMessage


def history_for(store: Store, conversation_id: int, question_id: int, system_prompt: str):
    """The messages for answering `question_id` (a regenerate stops at the question, so the old
    answer, still on the active path, is left out)."""
    return history_from(store.active_path(conversation_id), question_id, system_prompt)


def history_from(
    path: Iterable[MessageRecord], question_id: int, system_prompt: str
) -> list[ChatMessage]:
    """`history_for` over an active path already read (a turn just stored has it)."""
    messages = [ChatMessage("system", system_prompt)] if system_prompt else []
    for m in path:
        if m.role in ("user", "assistant") and m.content and m.status != "failed":
            messages.append(ChatMessage(m.role, m.content))
        if m.id == question_id:
            break
    return messages
