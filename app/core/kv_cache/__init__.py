"""A conversation's KV cache, kept on disk so that it reopens warm after a restart.

Without it, the first turn after a restart evaluates the whole history again (seconds for a
few thousand tokens). The engine saves the state of its sequence after each reply of a
conversation (`keeper`), and restores it when the conversation continues, in any process;
then only the new tokens are evaluated. Files (`state_file`: header, CRC, 0600, atomic) live in
the data dir's `kv_cache/` (0700), one per conversation, within a disk budget, least recently
used first out (`directory`); erased with their conversation (the store calls
`erase_orphans`), and not kept at all when the history is encrypted (`session`).
"""

from app.core.kv_cache.directory import erase_all, erase_orphans
from app.core.kv_cache.session import StateSession, session_for

__all__ = ["StateSession", "erase_all", "erase_orphans", "session_for"]
