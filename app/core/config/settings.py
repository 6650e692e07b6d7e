"""The user's settings: names, types and built-in defaults, in one place.

`Settings` is the schema; the admin policy derives what it may set or lock from it
(`SETTING_TYPES`), and `settings_store` persists the user's own values.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import get_type_hints


@dataclass(frozen=True)
class Settings:
    model: str = ""  # installed model id, name or path; "" = the default model
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    max_tokens: int = 512
    stop_on_loops: bool = True  # a reply repeating itself over and over stops by itself
    context_size: int = 4096
    threads: int = 0  # 0 = choose from the CPU count
    gpu_layers: int = -1  # -1 = all when llama.cpp has a GPU backend, else 0
    system_prompt: str = ""
    language: str = "system"  # system | en | fr
    theme: str = "system"  # system | light | dark
    first_run_done: bool = False
    # Documents dropped for a summary: larger ones get a message naming the limit.
    document_max_file_mb: int = 100
    document_max_pages: int = 2000
    document_max_chars: int = 3_000_000
    # Encrypt the history (SQLCipher, key in the OS keyring) where the policy leaves it optional.
    history_encrypted: bool = False
    # Disk kept for conversations' saved KV states (reopen warm); 0 = none kept.
    kv_cache_mb: int = 2048
    # The window serves the local API on 127.0.0.1 (where the policy's [api] allows it).
    api_enabled: bool = False
    api_port: int = 8765



# Every setting but the first-run flag may be set or locked by an administrator.
_NOT_LOCKABLE = frozenset({"first_run_done"})
_HINTS = get_type_hints(Settings)
SETTING_TYPES: dict[str, type] = {
    f.name: _HINTS[f.name] for f in fields(Settings) if f.name not in _NOT_LOCKABLE
}
LOCKABLE_SETTINGS = frozenset(SETTING_TYPES)
