"""The one policy gate: what a turn may use, given the user's settings, the policy and overrides.

Every front end (window, command line, local API) hands the gate what the user asked for this
turn as setting names (`{"temperature": 0.2, "max_tokens": 64}`); the gate refuses any change
to a setting the administrator locked, and builds the generation parameters, load options and
system prompt from the merged settings. A locked setting is the policy's value, or the built-in
default when the policy gives none (`SettingsStore.current` applies that), never the user's file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace

from app.core.config.policy import Policy
from app.core.config.settings import LOCKABLE_SETTINGS, Settings
from app.core.config.settings_store import SettingsStore
from app.core.errors import EnclaveError, PolicyRefused
from app.core.models.registry import ModelSettings
from app.core.models.resolve import apply_settings
from app.core.types import GenerationParams, LoadOptions

# Settings that are generation parameters, and those that are load options.
PARAM_SETTINGS = frozenset(f.name for f in fields(GenerationParams)) & LOCKABLE_SETTINGS
LOAD_SETTINGS = ("context_size", "threads", "gpu_layers")
# Settings a turn may override, with the smallest value that makes sense.
_MINIMUM = {"max_tokens": 1, "top_k": 0, "threads": 0, "context_size": 0}
_RANGES = {"temperature": (0.0, 5.0), "top_p": (0.0, 1.0), "min_p": (0.0, 1.0)}


class PolicyGate:
    def __init__(self, policy: Policy, settings: SettingsStore, audit=None) -> None:
        self.policy = policy
        self.settings = settings
        self.audit = audit  # app.core.audit.AuditTrail or None

    @property
    def current(self) -> Settings:
        return self.settings.current

    def locked(self, name: str) -> bool:
        return self.policy.is_locked(name)

    def check_overrides(self, overrides: Mapping[str, object], via: str) -> dict[str, object]:
        """The overrides that apply; a change to a locked setting is refused (PolicyRefused).

        `via` names the path in the message ("--max-tokens", "this request", ...). A value equal
        to the locked one changes nothing and passes; None means "not given".
        """
        given = {k: v for k, v in overrides.items() if v is not None}
        unknown = sorted(set(given) - LOCKABLE_SETTINGS)
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(unknown)}")
        current = self.current
        refused = sorted(k for k, v in given.items() if self.locked(k) and v != getattr(current, k))
        if refused:
            self.refuse("settings.locked:" + ",".join(refused), _locked_message(refused, via))
        for name, value in given.items():
            _validate(name, value)
        return given

    def refuse(self, rule: str, message: str) -> None:
        """Record the refusal in the audit trail (the rule, never content) and raise it."""
        if self.audit is not None:
            self.audit.record("policy_refused", rule=rule)
        raise PolicyRefused(message)

    def params(self, overrides: Mapping[str, object], seed: int | None = None) -> GenerationParams:
        """Generation parameters from the settings with the (checked) overrides on top."""
        s = replace(self.current, **{k: v for k, v in overrides.items() if k in PARAM_SETTINGS})
        return GenerationParams(
            max_tokens=s.max_tokens,
            temperature=s.temperature,
            top_p=s.top_p,
            top_k=s.top_k,
            min_p=s.min_p,
            repeat_penalty=s.repeat_penalty,
            seed=seed,
            stop_on_loops=s.stop_on_loops,
        )

    def system_prompt(self, stored: str | None, override: str | None = None) -> str:
        """A locked system prompt is the admin's, also for a conversation that had another."""
        if self.locked("system_prompt"):
            return self.current.system_prompt
        if override is not None:
            return override
        return self.current.system_prompt if stored is None else stored

    def load_options(self, own: ModelSettings, overrides: Mapping[str, object]) -> LoadOptions:
        """The user's load settings, the model's own (context, GPU layers, template) on top,
        except where the policy locks them; then the turn's (checked) overrides."""
        s = self.current
        base = LoadOptions(s.context_size, s.threads, s.gpu_layers)
        merged = apply_settings(base, own)
        for name in LOAD_SETTINGS:
            if self.locked(name):
                merged = replace(merged, **{name: getattr(base, name)})
            elif name in overrides:
                merged = replace(merged, **{name: overrides[name]})
        return merged


def _locked_message(names: list[str], via: str) -> str:
    listed = ", ".join(names)
    pronoun = "it" if len(names) == 1 else "them"
    return f"The administrator has locked {listed}; {via} cannot change {pronoun}."


def _validate(name: str, value: object) -> None:
    if name in _MINIMUM and isinstance(value, int) and value < _MINIMUM[name]:
        raise EnclaveError(f"{name} must be {_MINIMUM[name]} or more, not {value}.")
    if name in _RANGES and isinstance(value, int | float):
        low, high = _RANGES[name]
        if not low <= value <= high:
            raise EnclaveError(f"{name} must be between {low:g} and {high:g}, not {value:g}.")
