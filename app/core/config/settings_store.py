"""The user's settings, persisted as JSON in the data directory and merged with the admin policy.

The policy wins: a value it sets under `[settings]` replaces the user's, and a name it lists in
`locked` takes the policy's value, or the built-in default where the policy gives none (never the
user's file, even edited by hand); `SettingsStore.update` refuses a locked name. Unknown keys in
the file are kept out; a corrupt file is set aside (renamed `.corrupt`) so the user starts with
defaults and nothing is silently overwritten.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import asdict, fields, replace
from pathlib import Path
from typing import Any

from app.core.atomic_write import write_text_atomic
from app.core.config.policy import Policy
from app.core.config.settings import Settings
from app.core.errors import PolicyRefused
from app.core.file_lock import file_lock

_FIELD_NAMES = frozenset(f.name for f in fields(Settings))


class SettingsStore:
    """Loads, merges with the policy, and saves the user's settings."""

    def __init__(self, path: Path, policy: Policy | None = None) -> None:
        self.path = path
        self.policy = policy or Policy()
        self._user = self._read()
        self.on_change: Callable[[list[str]], None] | None = None  # e.g. the audit trail

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
        unknown = sorted(set(changes) - _FIELD_NAMES)
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(unknown)}")
        # Another process (the window, a command line) may have saved since this one read.
        with file_lock(self.path.with_name(f".{self.path.name}.lock"), "the settings file"):
            self._user = replace(self._read(), **changes)
            self._write()
        if self.on_change is not None:
            self.on_change(sorted(changes))  # names only: a value may be a system prompt
        return self.current

    def _policy_values(self) -> dict[str, Any]:
        """What the policy imposes: its values, and the built-in default of a locked name it
        gives no value for."""
        defaults = asdict(Settings())
        locked = {k: defaults[k] for k in self.policy.settings.locked if k in _FIELD_NAMES}
        given = {k: v for k, v in self.policy.settings.values.items() if k in _FIELD_NAMES}
        return {**locked, **given}

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
