"""User settings, persisted as JSON in the data directory and merged with the admin policy.

The policy wins: a value it sets under `[settings]` replaces the user's, and a name it lists in
`locked` cannot be changed (`SettingsStore.update` refuses it). Unknown keys in the file are
kept out; a corrupt file is set aside (renamed `.corrupt`) so the user starts with defaults and
nothing is silently overwritten.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from app.core.atomic_write import write_text_atomic
from app.core.errors import PolicyRefused
from app.policy import Policy


@dataclass(frozen=True)
class Settings:
    model: str = ""  # installed model id, name or path; "" = the default model
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    max_tokens: int = 512
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


_FIELD_TYPES = {f.name: f.type for f in fields(Settings)}


class SettingsStore:
    """Loads, merges with the policy, and saves the user's settings."""

    def __init__(self, path: Path, policy: Policy | None = None) -> None:
        self.path = path
        self.policy = policy or Policy()
        self._user = self._read()

    @property
    def current(self) -> Settings:
        merged = {**asdict(self._user), **self._policy_values()}
        return Settings(**merged)

    def update(self, **changes: Any) -> Settings:
        locked = sorted(k for k in changes if self.policy.is_locked(k))
        if locked:
            raise PolicyRefused(
                f"The administrator has locked {', '.join(locked)}; it cannot be changed here."
            )
        unknown = sorted(set(changes) - set(_FIELD_TYPES))
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(unknown)}")
        self._user = replace(self._user, **changes)
        self._write()
        return self.current

    def _policy_values(self) -> dict[str, Any]:
        return {k: v for k, v in self.policy.settings.values.items() if k in _FIELD_TYPES}

    def _read(self) -> Settings:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return Settings()
        except (OSError, ValueError):
            self._set_aside()
            return Settings()
        if not isinstance(raw, dict):
            self._set_aside()
            return Settings()
        defaults = asdict(Settings())
        kept = {
            k: v
            for k, v in raw.items()
            if (k in defaults and isinstance(v, type(defaults[k])))
            or (k in defaults and isinstance(defaults[k], float) and isinstance(v, int))
        }
        return Settings(**kept)

    def _set_aside(self) -> None:
        with contextlib.suppress(OSError):
            self.path.replace(self.path.with_suffix(".json.corrupt"))

    def _write(self) -> None:
        write_text_atomic(self.path, json.dumps(asdict(self._user), indent=2, sort_keys=True))
