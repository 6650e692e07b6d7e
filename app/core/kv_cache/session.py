"""Which conversation a prompt belongs to, and whether its KV state may be kept on disk.

The one rule, used by the conversation service for every front end: a state is kept when the
budget (setting `kv_cache_mb`) is above 0, the history is kept on disk, and the history is not
encrypted. A saved state holds the conversation's content (its keys and values can be decoded
back to text), so with encrypted history none is kept: the files would be plain text beside an
encrypted database.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.kv_cache.directory import state_path

if TYPE_CHECKING:
    from app.core.config.runtime import Runtime
    from app.core.store import Store

MB = 1 << 20


@dataclass(frozen=True)
class StateSession:
    """Passed with a prompt to the engine (across the process pipe: plain, picklable data)."""

    conversation_id: int
    directory: Path
    budget_bytes: int

    @property
    def path(self) -> Path:
        return state_path(self.directory, self.conversation_id)


def session_for(runtime: Runtime, store: Store, conversation_id: int) -> StateSession | None:
    """The session for a turn of `conversation_id`, or None when no state may be kept."""
    budget_mb = runtime.settings.current.kv_cache_mb
    if budget_mb <= 0 or not store.history_enabled or store.encrypted:
        return None
    return StateSession(conversation_id, runtime.paths.kv_cache_dir, budget_mb * MB)
