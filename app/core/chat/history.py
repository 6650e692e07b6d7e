"""The one history rule: what of a conversation the model sees for the next reply.

The system prompt (the admin's when locked), then the active branch up to the question: user and
assistant messages with text, minus failed replies. Reasoning is stored apart from a reply's
content, so it is never fed back.
"""

from __future__ import annotations

from app.core.store import Store
from app.core.types import ChatMessage


def history_for(store: Store, conversation_id: int, question_id: int, system_prompt: str):
    """The messages for answering `question_id` (a regenerate stops at the question, so the old
    answer, still on the active path, is left out)."""
    messages = [ChatMessage("system", system_prompt)] if system_prompt else []
    for m in store.active_path(conversation_id):
        if m.role in ("user", "assistant") and m.content and m.status != "failed":
            messages.append(ChatMessage(m.role, m.content))
        if m.id == question_id:
            break
    return messages
