"""An opened conversation made ready for its next message, while the user reads and types.

The window calls this when the user opens a conversation: when the loaded local model is the
one the conversation answers with, the engine takes the conversation's saved KV state (after a
restart) and evaluates the rest of its history up to where the next message will start (see
app.core.next_turn.warm). The next message then pays only for its own tokens. It never loads a
model, never writes, and a turn that follows ends it early (the engine process gives way).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core.chat.history import history_from
from app.core.kv_cache import session_for

if TYPE_CHECKING:
    from app.core.backend import Backend
    from app.core.chat.service import ConversationService


def warm_conversation(service: ConversationService, conversation_id: int, backend: Backend) -> bool:
    """Ask `backend` (on the thread that owns it) to make the conversation ready; False when
    there is nothing to do: another kind of backend, another model loaded, no answer yet, a
    conversation answered from its documents (those prompts are built per question)."""
    warm = getattr(backend, "warm", None)
    info = backend.info
    if warm is None or not getattr(backend, "keeps_kv_state", False) or info is None:
        return False
    store = service.store
    conversation = store.find_conversation(conversation_id)
    if conversation is None or conversation.model_sha256 != info.sha256:
        return False
    path = store.active_path(conversation_id)
    if not path or path[-1].role != "assistant" or store.documents(conversation_id):
        return False
    system = service.gate.system_prompt(conversation.system_prompt)
    history = history_from(path, path[-1].id, system)
    warm(history, session_for(service.runtime, store, conversation_id))
    return True
