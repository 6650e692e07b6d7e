"""The policy gate: every lockable setting, by every path, is refused or takes the locked value.

Paths covered here (no model needed): a hand-edited settings.json, `SettingsStore.update` (what
the window's settings dialog calls), a turn's overrides (what CLI flags, the window's model
choice and API request fields become), `--continue` of a conversation that had other values.
The command line's flags are checked end to end in tests/cli/test_cli_policy_gate.py, the window's
controls in tests/ui/test_policy_controls.py.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from app.core.chat import ConversationService, PolicyGate
from app.core.config.policy import load_policy
from app.core.config.runtime import Runtime
from app.core.config.settings import LOCKABLE_SETTINGS, SETTING_TYPES, Settings
from app.core.config.settings_store import SettingsStore
from app.core.errors import EnclaveError, PolicyRefused

DEFAULTS = asdict(Settings())


def other_value(name: str, offset: int = 1) -> Any:
    """A valid value for `name` that differs from its built-in default."""
    kind = SETTING_TYPES[name]
    default = DEFAULTS[name]
    if kind is bool:
        return not default
    if kind is int:
        return default + 2 * offset + (1 if default < 0 else 0)
    if kind is float:
        return round(min(default + 0.1 * offset, 1.0) if default < 1 else default + offset, 3)
    return f"hand-edited {name} {offset}"


def write_policy(tmp_path: Path, settings: dict[str, Any]) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(tomli_w.dumps({"settings": settings}), encoding="utf-8")
    return path


def hand_edited_settings(path: Path) -> None:
    """What a user writes into settings.json with an editor: a value for every setting."""
    path.write_text(json.dumps({n: other_value(n, 1) for n in LOCKABLE_SETTINGS}), "utf-8")


def test_every_setting_is_lockable_except_the_first_run_flag() -> None:
    names = {f.name for f in fields(Settings)}
    assert names - LOCKABLE_SETTINGS == {"first_run_done"}
    assert SETTING_TYPES["temperature"] is float and SETTING_TYPES["model"] is str


@pytest.mark.parametrize("name", sorted(LOCKABLE_SETTINGS))
def test_a_hand_edited_settings_file_never_overrides_a_locked_setting(
    tmp_path: Path, name: str
) -> None:
    settings_file = tmp_path / "settings.json"
    hand_edited_settings(settings_file)
    # Locked without a value: the built-in default, not the user's file.
    bare = SettingsStore(settings_file, load_policy(write_policy(tmp_path, {"locked": [name]})))
    assert getattr(bare.current, name) == DEFAULTS[name]
    # Locked with a value: the policy's.
    imposed = other_value(name, 3)
    policy = load_policy(write_policy(tmp_path, {"locked": [name], name: imposed}))
    assert getattr(SettingsStore(settings_file, policy).current, name) == imposed
    # Not locked: the user's own value applies.
    free = SettingsStore(settings_file, load_policy(write_policy(tmp_path, {})))
    assert getattr(free.current, name) == other_value(name, 1)


@pytest.mark.parametrize("name", sorted(LOCKABLE_SETTINGS))
def test_a_locked_setting_cannot_be_saved_or_overridden_for_a_turn(
    tmp_path: Path, name: str
) -> None:
    policy = load_policy(write_policy(tmp_path, {"locked": [name]}))
    store = SettingsStore(tmp_path / "settings.json", policy)
    with pytest.raises(PolicyRefused, match=name):
        store.update(**{name: other_value(name)})
    gate = PolicyGate(policy, store)
    with pytest.raises(PolicyRefused, match=rf"locked {name}; the command line cannot"):
        gate.check_overrides({name: other_value(name)}, "the command line")
    # The locked value itself changes nothing and passes; so does any unlocked setting.
    assert gate.check_overrides({name: DEFAULTS[name]}, "x") == {name: DEFAULTS[name]}
    free = PolicyGate(load_policy(write_policy(tmp_path, {})), store)
    assert free.check_overrides({name: other_value(name)}, "x") == {name: other_value(name)}


def test_overrides_are_validated_once_for_every_front_end(tmp_path: Path) -> None:
    gate = PolicyGate(load_policy(write_policy(tmp_path, {})), SettingsStore(tmp_path / "s.json"))
    with pytest.raises(EnclaveError, match="max_tokens must be 1 or more"):
        gate.check_overrides({"max_tokens": 0}, "x")
    with pytest.raises(EnclaveError, match="temperature must be between 0 and 5"):
        gate.check_overrides({"temperature": 9.0}, "x")
    params = gate.params(gate.check_overrides({"max_tokens": 7, "top_k": 3}, "x"), seed=4)
    assert (params.max_tokens, params.top_k, params.seed) == (7, 3, 4)
    assert params.temperature == Settings().temperature


def test_load_options_keep_the_locked_values_over_a_models_own(tmp_path: Path) -> None:
    from app.core.models.registry import ModelSettings

    policy = load_policy(
        write_policy(tmp_path, {"locked": ["context_size", "gpu_layers"], "context_size": 1024})
    )
    store = SettingsStore(tmp_path / "s.json", policy)
    store.update(threads=3)
    gate = PolicyGate(policy, store)
    own = ModelSettings(context_size=8192, gpu_layers=10)
    options = gate.load_options(own, {"threads": 1})
    assert (options.context_size, options.gpu_layers, options.threads) == (1024, -1, 1)


def test_continue_uses_the_admins_locked_system_prompt_and_model(tmp_path: Path) -> None:
    data = tmp_path / "data"
    free = Runtime.create(data, write_policy(tmp_path, {}))
    store = free.open_store()
    conversation = store.create_conversation(system_prompt="the user's old prompt", model="x.gguf")
    store.close()
    policy = write_policy(
        tmp_path,
        {"locked": ["system_prompt", "model"], "system_prompt": "Answer in French."},
    )
    runtime = Runtime.create(data, policy)
    store = runtime.open_store()
    try:
        service = ConversationService(runtime, store)
        turn = service.prepare("Bonjour", conversation.id)
        assert turn.history[0].content == "Answer in French."
        assert turn.model_spec == ""  # the locked model: the policy's default, not "x.gguf"
        with pytest.raises(PolicyRefused, match="locked model"):
            service.prepare("again", conversation.id, model="other.gguf", via="-m")
        # Refused before anything was written: only the first question is stored.
        assert [m.content for m in store.active_path(conversation.id)] == ["Bonjour", ""]
    finally:
        store.close()


def test_an_explicit_policy_file_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    from app.core.errors import PolicyError

    with pytest.raises(PolicyError, match="does not exist"):
        Runtime.create(tmp_path / "data", tmp_path / "no-such-policy.toml")


def test_stopping_loops_is_a_setting_that_reaches_every_turn(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "s.json", load_policy(write_policy(tmp_path, {})))
    gate = PolicyGate(load_policy(write_policy(tmp_path, {})), store)
    assert gate.params({}).stop_on_loops is True
    store.update(stop_on_loops=False)
    assert gate.params({}).stop_on_loops is False
