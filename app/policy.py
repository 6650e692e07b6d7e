"""The machine-wide admin policy (TOML, read-only for the user).

An admin places `policy.toml` in the site config directory (see `app.paths`), or points
`--policy` / `ENCLAVE_POLICY` at one. Every key is optional; a missing file means no policy.
A file that exists but is malformed, has an unknown key or a value of the wrong type is a
`PolicyError`: Enclave refuses to start rather than silently run without the admin's rules.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from app.core.errors import PolicyError

_SHA256 = re.compile(r"^[0-9a-f]{64}$")

# Settings an admin may set or lock, with their types; the names match `app.core.settings.Settings`.
SETTING_TYPES: dict[str, type] = {
    "model": str, "temperature": float, "top_p": float, "top_k": int, "min_p": float,
    "repeat_penalty": float, "max_tokens": int, "context_size": int, "threads": int,
    "gpu_layers": int, "system_prompt": str, "language": str, "theme": str,
}  # fmt: skip
LOCKABLE_SETTINGS = frozenset(SETTING_TYPES)
_TYPE_WORDS = {str: "a string", float: "a number", int: "a whole number"}


@dataclass(frozen=True)
class NetworkPolicy:
    allow_model_downloads: bool = True
    allowed_hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelsPolicy:
    directory: Path | None = None
    default: str | None = None
    allowlist_sha256: tuple[str, ...] = ()
    mirror_url: str | None = None


@dataclass(frozen=True)
class HistoryPolicy:
    enabled: bool = True
    retention_days: int = 0


@dataclass(frozen=True)
class SettingsPolicy:
    locked: tuple[str, ...] = ()
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Policy:
    """The effective policy; `Policy()` is "no policy installed"."""

    network: NetworkPolicy = NetworkPolicy()
    models: ModelsPolicy = ModelsPolicy()
    history: HistoryPolicy = HistoryPolicy()
    settings: SettingsPolicy = SettingsPolicy()
    source: Path | None = None

    def is_locked(self, setting: str) -> bool:
        return setting in self.settings.locked

    def model_allowed(self, sha256: str) -> bool:
        allow = self.models.allowlist_sha256
        return not allow or sha256.lower() in allow

    def host_allowed(self, host: str) -> bool:
        """Hosts a user-started download may reach; an empty list means any host."""
        hosts = self.network.allowed_hosts
        return not hosts or host.lower() in hosts


def load_policy(path: Path) -> Policy:
    """Read and validate the policy at `path`; no file means the default policy."""
    if not path.exists():
        return Policy()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"Cannot read the admin policy {path}: {exc.strerror or exc}.") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError(f"The admin policy {path} is not valid TOML: {exc}.") from exc
    try:
        return _parse(raw, path)
    except PolicyError as exc:
        raise PolicyError(f"The admin policy {path} is invalid: {exc}") from exc


def _parse(raw: dict[str, Any], path: Path) -> Policy:
    sections = {"network", "models", "history", "settings"}
    _no_unknown(raw, sections, "the top level")
    net = _table(raw, "network")
    _no_unknown(net, {f.name for f in fields(NetworkPolicy)}, "[network]")
    mdl = _table(raw, "models")
    _no_unknown(mdl, {f.name for f in fields(ModelsPolicy)}, "[models]")
    hist = _table(raw, "history")
    _no_unknown(hist, {f.name for f in fields(HistoryPolicy)}, "[history]")
    sett = _table(raw, "settings")

    network = NetworkPolicy(
        allow_model_downloads=_bool(net, "allow_model_downloads", True),
        allowed_hosts=tuple(h.lower() for h in _str_list(net, "allowed_hosts")),
    )
    allowlist = tuple(s.lower() for s in _str_list(mdl, "allowlist_sha256"))
    for digest in allowlist:
        if not _SHA256.match(digest):
            raise PolicyError(f"[models] allowlist_sha256 has {digest!r}, not a sha256 in hex.")
    mirror = _opt_str(mdl, "mirror_url")
    if mirror and urlparse(mirror).scheme not in ("http", "https"):
        raise PolicyError(f"[models] mirror_url {mirror!r} must be an http(s) URL.")
    directory = _opt_str(mdl, "directory")
    models = ModelsPolicy(
        directory=Path(directory) if directory else None,
        default=_opt_str(mdl, "default"),
        allowlist_sha256=allowlist,
        mirror_url=mirror,
    )
    retention = hist.get("retention_days", 0)
    if isinstance(retention, bool) or not isinstance(retention, int) or retention < 0:
        raise PolicyError("[history] retention_days must be a whole number of days, 0 or more.")
    history = HistoryPolicy(enabled=_bool(hist, "enabled", True), retention_days=retention)
    locked = tuple(_str_list(sett, "locked"))
    unknown = sorted(set(locked) - LOCKABLE_SETTINGS)
    if unknown:
        raise PolicyError(
            f"[settings] locked names unknown settings {_names(unknown)}; "
            f"known: {', '.join(sorted(LOCKABLE_SETTINGS))}."
        )
    values = {k: v for k, v in sett.items() if k != "locked"}
    bad_values = sorted(set(values) - LOCKABLE_SETTINGS)
    if bad_values:
        raise PolicyError(f"[settings] has unknown keys {_names(bad_values)}.")
    for key, value in values.items():
        _check_setting(key, value)
    settings = SettingsPolicy(locked=locked, values=values)
    return Policy(network, models, history, settings, source=path)


def _check_setting(key: str, value: Any) -> None:
    """A value the policy imposes must have the setting's type (a float also takes an int)."""
    expected = SETTING_TYPES[key]
    accepted = (int, float) if expected is float else expected
    if isinstance(value, bool) or not isinstance(value, accepted):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise PolicyError(f"[settings] {key} must be {_TYPE_WORDS[expected]}, not {shown}.")


def _table(raw: dict[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise PolicyError(f"[{name}] must be a table.")
    return value


def _no_unknown(table: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise PolicyError(f"unknown key {_names(unknown)} in {where}.")


def _names(keys: list[str]) -> str:
    """Key names for a one-line message: odd ones (a newline, an empty key) quoted."""
    return ", ".join(k if k.isprintable() and k.strip() == k and k else repr(k) for k in keys)


def _bool(table: dict[str, Any], key: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise PolicyError(f"{key} must be true or false.")
    return value


def _opt_str(table: dict[str, Any], key: str) -> str | None:
    value = table.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise PolicyError(f"{key} must be a non-empty string.")
    return value


def _str_list(table: dict[str, Any], key: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{key} must be a list of strings.")
    return value
