"""User settings persist, and the admin policy overrides and locks them."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from app.core.config.policy import load_policy
from app.core.config.settings import Settings
from app.core.config.settings_store import SettingsStore
from app.core.errors import PolicyRefused


def test_settings_persist_privately(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    SettingsStore(path).update(temperature=0.3, language="fr")
    again = SettingsStore(path).current
    assert again.temperature == 0.3 and again.language == "fr"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_policy_value_wins_and_locked_setting_refuses_change(tmp_path: Path) -> None:
    policy_file = tmp_path / "p.toml"
    policy_file.write_text('[settings]\nlocked = ["temperature"]\ntemperature = 0.1\n')
    store = SettingsStore(tmp_path / "settings.json", load_policy(policy_file))
    assert store.current.temperature == 0.1
    with pytest.raises(PolicyRefused, match="locked temperature"):
        store.update(temperature=0.9)
    assert store.update(top_p=0.5).top_p == 0.5


def test_corrupt_settings_are_set_aside_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    assert SettingsStore(path).current == Settings()
    assert (tmp_path / "settings.json.corrupt").read_text() == "{not json"


def test_wrongly_typed_values_fall_back_to_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"temperature": "hot", "top_k": 12, "unknown": 1}')
    current = SettingsStore(path).current
    assert current.temperature == Settings().temperature
    assert current.top_k == 12
