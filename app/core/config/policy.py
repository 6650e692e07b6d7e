"""The machine-wide admin policy (TOML, read-only for the user).

An admin places `policy.toml` in the site config directory (see `app.core.config.paths`), or points
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

from app.core.config.settings import LOCKABLE_SETTINGS, SETTING_TYPES
from app.core.errors import PolicyError

_SHA256 = re.compile(r"^[0-9a-f]{64}$")

_TYPE_WORDS = {str: "a string", float: "a number", int: "a whole number", bool: "true or false"}
ENCRYPT_MODES = ("off", "optional", "required")


@dataclass(frozen=True)
class NetworkPolicy:
    allow_model_downloads: bool = True
    allowed_hosts: tuple[str, ...] = ()
    ca_file: Path | None = None  # trusted for downloads and company servers, beside the system's
    allow_user_servers: bool = False  # may users add their own company servers (servers.json)?


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
    encrypt: str = "optional"  # one of ENCRYPT_MODES


@dataclass(frozen=True)
class ServerPolicy:
    """A company inference server (OpenAI-compatible) the administrator allows."""

    name: str
    url: str
    api_key_file: Path | None = None
    api_key_env: str | None = None
    models: tuple[str, ...] = ()  # empty: every model the server lists

    @property
    def host(self) -> str:
        return (urlparse(self.url).hostname or "").lower()


@dataclass(frozen=True)
class ApiPolicy:
    enabled: bool = True  # False forbids the local API; the user's switch is off by default


@dataclass(frozen=True)
class AuditPolicy:
    enabled: bool = True
    directory: Path | None = None  # None: the user's data dir


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
    servers: tuple[ServerPolicy, ...] = ()
    api: ApiPolicy = ApiPolicy()
    audit: AuditPolicy = AuditPolicy()
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

    def server(self, name: str) -> ServerPolicy | None:
        return next((s for s in self.servers if s.name == name), None)


def load_policy(path: Path, *, required: bool = False) -> Policy:
    """Read and validate the policy at `path`.

    No file means the default policy, unless `required` (a file named with --policy or
    ENCLAVE_POLICY): then a missing file is an error, never "no policy".
    """
    if not path.exists():
        if required:
            raise PolicyError(
                f"The admin policy file {path} does not exist; check the path given with "
                f"--policy or ENCLAVE_POLICY."
            )
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
    sections = {"network", "models", "history", "settings", "servers", "api", "audit"}
    _no_unknown(raw, sections, "the top level")
    net = _table(raw, "network")
    _no_unknown(net, {f.name for f in fields(NetworkPolicy)}, "[network]")
    mdl = _table(raw, "models")
    _no_unknown(mdl, {f.name for f in fields(ModelsPolicy)}, "[models]")
    hist = _table(raw, "history")
    _no_unknown(hist, {f.name for f in fields(HistoryPolicy)}, "[history]")
    sett = _table(raw, "settings")

    ca_file = _opt_str(net, "ca_file")
    network = NetworkPolicy(
        allow_model_downloads=_bool(net, "allow_model_downloads", True),
        allowed_hosts=tuple(h.lower() for h in _str_list(net, "allowed_hosts")),
        ca_file=Path(ca_file) if ca_file else None,
        allow_user_servers=_bool(net, "allow_user_servers", False),
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
    encrypt = hist.get("encrypt", "optional")
    if encrypt not in ENCRYPT_MODES:
        raise PolicyError(f"[history] encrypt must be one of {', '.join(ENCRYPT_MODES)}.")
    history = HistoryPolicy(
        enabled=_bool(hist, "enabled", True), retention_days=retention, encrypt=encrypt
    )
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
    api = _table(raw, "api")
    _no_unknown(api, {f.name for f in fields(ApiPolicy)}, "[api]")
    audit = _table(raw, "audit")
    _no_unknown(audit, {f.name for f in fields(AuditPolicy)}, "[audit]")
    audit_dir = _opt_str(audit, "directory") if audit.get("directory") != "" else None
    return Policy(
        network,
        models,
        history,
        settings,
        servers=_servers(raw.get("servers", [])),
        api=ApiPolicy(enabled=_bool(api, "enabled", True)),
        audit=AuditPolicy(
            enabled=_bool(audit, "enabled", True),
            directory=Path(audit_dir) if audit_dir else None,
        ),
        source=path,
    )


def _servers(raw: Any) -> tuple[ServerPolicy, ...]:
    if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
        raise PolicyError("[[servers]] must be a list of tables.")
    servers: list[ServerPolicy] = []
    for table in raw:
        _no_unknown(table, {f.name for f in fields(ServerPolicy)}, "[[servers]]")
        name = _opt_str(table, "name")
        url = _opt_str(table, "url")
        if not name or not url:
            raise PolicyError("each [[servers]] entry needs a name and a url.")
        if "/" in name or not name.isprintable():
            raise PolicyError(f"[[servers]] name {name!r} must not contain '/'.")
        if any(s.name == name for s in servers):
            raise PolicyError(f"[[servers]] names {name!r} twice.")
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise PolicyError(f"[[servers]] {name}: url {url!r} must be an http(s) URL.")
        key_file = _opt_str(table, "api_key_file")
        servers.append(
            ServerPolicy(
                name=name,
                url=url.rstrip("/"),
                api_key_file=Path(key_file) if key_file else None,
                api_key_env=_opt_str(table, "api_key_env"),
                models=tuple(_str_list(table, "models")),
            )
        )
    return tuple(servers)


def _check_setting(key: str, value: Any) -> None:
    """A value the policy imposes must have the setting's type (a float also takes an int)."""
    expected = SETTING_TYPES[key]
    accepted = (int, float) if expected is float else expected
    if (isinstance(value, bool) != (expected is bool)) or not isinstance(value, accepted):
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
