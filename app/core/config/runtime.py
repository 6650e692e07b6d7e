"""What every entry point needs: paths, the admin policy and the user's settings, resolved once.

A front end creates one `Runtime` at start and hands it down; core code takes what it needs from it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from app.core.config.settings_store import SettingsStore
from app.core.types import LoadOptions
from app.core.config.paths import Paths, default_policy_file, resolve_paths, resolve_policy_file
from app.core.config.policy import Policy, load_policy


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

    def open_store(self):  # -> app.core.store.Store (import kept local: the CLI starts fast)
        """Open the history; the policy's retention applies at every start, window or CLI."""
        from app.core.store import Store

        store = Store.open(self.paths.database, history_enabled=self.policy.history.enabled)
        if self.policy.history.retention_days:
            store.purge_older_than(self.policy.history.retention_days)
        return store

    @cached_property
    def audit(self):  # -> app.core.audit.AuditTrail, for the policy's [audit]
        from app.core.audit import trail_for

        return trail_for(self.policy.audit, self.paths.data_dir)

    def resolve_model(self, spec: str | None = None) -> Path:
        """A model id, name or path; empty means the user's choice, else the policy's default."""
        from app.core.models.resolve import resolve_model

        return resolve_model(spec or self.settings.current.model or None, self.paths, self.policy)

    def load_options(self, model_path: Path) -> LoadOptions:
        """The user's load settings with the model's own (context, GPU layers, template) on top,
        except where the policy locks the user's value."""
        from app.core.models.resolve import apply_settings, settings_for

        s = self.settings.current
        base = LoadOptions(s.context_size, s.threads, s.gpu_layers)
        own = settings_for(model_path, self.paths, self.policy)
        merged = apply_settings(base, own)
        if self.policy.is_locked("context_size"):
            merged = replace(merged, context_size=base.context_size)
        if self.policy.is_locked("gpu_layers"):
            merged = replace(merged, gpu_layers=base.gpu_layers)
        return merged

    @property
    def models_dirs(self) -> list[Path]:
        dirs = [self.paths.models_dir]
        if self.policy.models.directory is not None:
            dirs.append(self.policy.models.directory)
        return dirs
