"""The policy as admins meet it: example files, the admin guide, the MSI's policy lines.

Each is parsed with the app's own `load_policy`, so an example or a documented snippet that the
app would reject fails here first.
"""

from __future__ import annotations

import re
import sys
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import fields
from pathlib import Path

import pytest

from app.core.config.paths import default_policy_file
from app.core.config.policy import (
    LOCKABLE_SETTINGS,
    ApiPolicy,
    AuditPolicy,
    HistoryPolicy,
    ModelsPolicy,
    NetworkPolicy,
    ServerPolicy,
    load_policy,
)

ROOT = Path(__file__).resolve().parents[2]
ADMIN_GUIDE = ROOT / "docs" / "admin.md"
EXAMPLES = sorted((ROOT / "packaging" / "policy").glob("*.toml"))
SECTIONS = {
    "network": NetworkPolicy,
    "models": ModelsPolicy,
    "history": HistoryPolicy,
    "api": ApiPolicy,
    "audit": AuditPolicy,
}
WIX = "{http://schemas.microsoft.com/wix/2006/wi}"


def _keys() -> list[tuple[str, str]]:
    keys = [(section, f.name) for section, cls in SECTIONS.items() for f in fields(cls)]
    return [*keys, ("settings", "locked")]


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_policies_are_valid(example: Path) -> None:
    policy = load_policy(example)
    assert policy.source == example


def test_the_installed_example_sets_every_key() -> None:
    example = ROOT / "packaging" / "policy" / "policy.example.toml"
    raw = tomllib.loads(example.read_text(encoding="utf-8"))
    for section, key in _keys():
        assert key in raw.get(section, {}), f"[{section}] {key} is missing from the example"
    for f in fields(ServerPolicy):
        if f.name != "api_key_env":  # the alternative to api_key_file, shown in a comment
            assert f.name in raw["servers"][0], f"[[servers]] {f.name} is missing"
    assert set(raw["settings"]) - {"locked"}, "the example sets no setting value"
    load_policy(example)


def test_the_admin_guide_documents_every_key_and_setting() -> None:
    guide = ADMIN_GUIDE.read_text(encoding="utf-8")
    for section, key in _keys():
        assert f"### `[{section}]`" in guide, section
        assert re.search(rf"^\| `{key}` \|", guide, re.MULTILINE), f"[{section}] {key}"
    assert "### `[[servers]]`" in guide
    for f in fields(ServerPolicy):
        assert re.search(rf"^\| `{f.name}` \|", guide, re.MULTILINE), f"[[servers]] {f.name}"
    for setting in LOCKABLE_SETTINGS:
        assert f"`{setting}`" in guide, setting


def test_every_toml_snippet_in_the_admin_guide_is_a_valid_policy(tmp_path: Path) -> None:
    guide = ADMIN_GUIDE.read_text(encoding="utf-8")
    snippets = re.findall(r"```toml\n(.*?)```", guide, re.DOTALL)
    assert len(snippets) >= 2
    for number, text in enumerate(snippets):
        path = tmp_path / f"snippet-{number}.toml"
        path.write_text(text.replace("<sha256 of each file you allow>", "a" * 64), encoding="utf-8")
        load_policy(path)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux location")
def test_the_linux_policy_location_ignores_the_sessions_xdg_dirs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CONFIG_DIRS", "/etc/xdg/xdg-ubuntu:/etc/xdg")
    assert default_policy_file() == Path("/etc/xdg/Enclave/policy.toml")
    assert "/etc/xdg/Enclave/policy.toml" in ADMIN_GUIDE.read_text(encoding="utf-8")


def _msi_policy_lines() -> list[tuple[str, str, str]]:
    tree = ET.parse(ROOT / "packaging" / "windows" / "enclave.wxs")
    return [
        (e.get("Section"), e.get("Key"), e.get("Value"))
        for e in tree.iter(f"{WIX}IniFile")
        if e.get("Name") == "policy.toml"
    ]


def test_the_msi_writes_only_known_policy_keys() -> None:
    lines = _msi_policy_lines()
    assert {(s, k) for s, k, _ in lines} == {
        ("network", "allow_model_downloads"),
        ("models", "directory"),
        ("models", "default"),
    }
    known = set(_keys())
    assert all((s, k) in known for s, k, _ in lines)


def test_the_lines_the_msi_writes_are_a_valid_policy(tmp_path: Path) -> None:
    """What Windows' INI writer produces from the install properties, read by the app."""
    properties = {
        "[ENCLAVE_DOWNLOADS_TOML]": "false",  # ALLOWDOWNLOADS=0
        "[MODELSDIR]": r"\\fileserver\enclave-models",
        "[DEFAULTMODEL]": "qwen2.5-3b-instruct-q4_k_m.gguf",
    }
    sections: dict[str, list[str]] = {}
    for section, key, value in _msi_policy_lines():
        for prop, given in properties.items():
            value = value.replace(prop, given)
        sections.setdefault(section, []).append(f"{key}={value}")
    text = "".join(
        f"[{s}]\r\n" + "".join(f"{line}\r\n" for line in body) for s, body in sections.items()
    )
    path = tmp_path / "policy.toml"
    path.write_bytes(text.encode("ascii"))
    policy = load_policy(path)
    assert policy.network.allow_model_downloads is False
    assert policy.models.directory == Path(r"\\fileserver\enclave-models")
    assert policy.models.default == "qwen2.5-3b-instruct-q4_k_m.gguf"
