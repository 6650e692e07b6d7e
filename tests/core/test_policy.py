"""The admin policy: every key parsed and validated; a bad file is an error, never ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.config.policy import Policy, load_policy
from app.core.errors import PolicyError

SHA = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"

FULL = f"""
[network]
allow_model_downloads = false
allowed_hosts = ["Models.Intranet.Example"]
[models]
directory = "/srv/enclave/models"
default = "sha256:{SHA}"
allowlist_sha256 = ["{SHA.upper()}"]
mirror_url = "https://models.intranet.example/gguf/"
[history]
enabled = false
retention_days = 30
[settings]
locked = ["model", "temperature"]
temperature = 0.2
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_means_no_policy(tmp_path: Path) -> None:
    policy = load_policy(tmp_path / "absent.toml")
    assert policy == Policy()
    assert policy.network.allow_model_downloads is True
    assert policy.model_allowed("00" * 32)


def test_every_key_is_read(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, FULL))
    assert policy.network.allow_model_downloads is False
    assert policy.host_allowed("models.intranet.example")
    assert not policy.host_allowed("huggingface.co")
    assert policy.models.directory == Path("/srv/enclave/models")
    assert policy.models.default == f"sha256:{SHA}"
    assert policy.model_allowed(SHA) and not policy.model_allowed("11" * 32)
    assert policy.models.mirror_url == "https://models.intranet.example/gguf/"
    assert policy.history.enabled is False and policy.history.retention_days == 30
    assert policy.is_locked("temperature") and not policy.is_locked("top_p")
    assert policy.settings.values == {"temperature": 0.2}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[network\nallow = 1", "not valid TOML"),
        ("[network]\nallow_downloads = false", "unknown key allow_downloads"),
        ("[telemetry]\non = true", "unknown key telemetry"),
        ("[network]\nallow_model_downloads = 'no'", "true or false"),
        ("[models]\nallowlist_sha256 = ['abc']", "not a sha256"),
        ("[models]\nmirror_url = 'ftp://x/'", "http(s) URL"),
        ("[history]\nretention_days = -1", "retention_days"),
        ("[settings]\nlocked = ['colour']", "unknown settings colour"),
        ("network = 3", "must be a table"),
    ],
)
def test_invalid_policy_is_a_clear_error(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert fragment in str(info.value)
    assert str(path) in str(info.value)


def test_unreadable_policy_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "\xff\xfe bad")
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(PolicyError):
        load_policy(path)


@pytest.mark.parametrize(
    "line",
    ['temperature = "hot"', "max_tokens = 1.5", "system_prompt = 3", "threads = true"],
)
def test_settings_values_must_have_the_settings_type(tmp_path: Path, line: str) -> None:
    with pytest.raises(PolicyError, match=r"\[settings\]"):
        load_policy(write(tmp_path, f"[settings]\n{line}\n"))


def test_integer_is_accepted_for_a_number_setting(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, "[settings]\ntemperature = 1\n"))
    assert policy.settings.values == {"temperature": 1}


def test_machine_policy_cannot_be_replaced_by_a_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.config import paths
    from app.core.errors import PolicyRefused

    site = write(tmp_path, "[network]\nallow_model_downloads = false\n")
    other = tmp_path / "mine.toml"
    other.write_text("")
    monkeypatch.setattr(paths, "default_policy_file", lambda: site)
    monkeypatch.setattr(paths.os, "access", lambda path, mode: False)  # not an admin
    with pytest.raises(PolicyRefused, match="cannot be replaced"):
        paths.resolve_policy_file(other)
    assert paths.resolve_policy_file(site) == site
    with pytest.raises(PolicyRefused):  # the environment variable is no way round it either
        paths.resolve_policy_file(None)
    monkeypatch.delenv("ENCLAVE_POLICY")
    assert paths.resolve_policy_file(None) == site
    monkeypatch.setattr(paths.os, "access", lambda path, mode: True)  # an admin testing a file
    assert paths.resolve_policy_file(other) == other
