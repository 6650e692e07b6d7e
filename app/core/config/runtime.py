"""What every entry point needs: paths, the admin policy and the user's settings, resolved once.

A front end creates one `Runtime` at start and hands it down; core code takes what it needs from it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from app.core.config.paths import Paths, default_policy_file, resolve_paths, resolve_policy_file
from app.core.config.policy import Policy, load_policy
from app.core.config.settings_store import SettingsStore


@dataclass
class Runtime:
    paths: Paths
    policy: Policy
    settings: SettingsStore

    @classmethod
    def create(
        cls,
        data_dir: str | os.PathLike[str] | None = None,
        policy_file: str | os.PathLike[str] | None = None,
    ) -> Runtime:
        """Load the policy first (an invalid one stops everything), then the data directory."""
        chosen = resolve_policy_file(policy_file)
        policy = load_policy(chosen, required=chosen != default_policy_file())
        paths = resolve_paths(data_dir).ensure()
        return cls(paths, policy, SettingsStore(paths.settings_file, policy))

    def __post_init__(self) -> None:
        self.settings.on_change = lambda names: self.audit.record(
            "settings_changed", names=",".join(names)
        )

    def open_store(self, *, memory_if_unavailable: bool = False):  # -> app.core.store.Store
        """Open the history, plain or encrypted as the policy and the user want (converting it
        if needed); expired deletions and the retention are erased at every start. An
        encrypted history whose key is out of reach raises KeyUnavailable, or with
        `memory_if_unavailable` (the window) gives an in-memory one. Imports stay local: the
        CLI starts fast."""
        from app.core.store.opening import open_history

        return open_history(
            self.paths.database,
            self.policy.history,
            self.settings.current.history_encrypted,
            audit=self.audit,
            memory_if_unavailable=memory_if_unavailable,
        )

    @cached_property
    def audit(self):  # -> app.core.audit.AuditTrail, for the policy's [audit]
        from app.core.audit import trail_for

        return trail_for(self.policy.audit, self.paths.data_dir)

    @cached_property
    def models(self):  # -> app.core.chat.ModelLoader: the one way a model is chosen and loaded
        from app.core.chat.loader import ModelLoader

        return ModelLoader(self)

    @property
    def models_dirs(self) -> list[Path]:
        dirs = [self.paths.models_dir]
        if self.policy.models.directory is not None:
            dirs.append(self.policy.models.directory)
        return dirs
