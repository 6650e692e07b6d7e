"""Which company servers may be used, and what `SERVER/MODEL_ID` means.

The admin policy's `[[servers]]` names them. A user may add a server of their own only where the
policy says `[network] allow_user_servers = true`: then `enclave servers add NAME URL` stores it
in `servers.json` in the data directory (0600), and it is used exactly like a policy server —
its host must still be in `[network] allowed_hosts` when that list is set, and a policy server
of the same name always wins. Without that key, `servers.json` is ignored.

A model on a server is written `SERVER/MODEL_ID`; the model id may itself hold slashes
(vLLM serves `Qwen/Qwen2.5-72B-Instruct`), so only the first slash separates the two.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from app.core.atomic_write import write_text_atomic
from app.core.config.policy import Policy, PolicyError, ServerPolicy
from app.core.errors import EnclaveError, PolicyRefused

USER_SERVERS_FILE = "servers.json"


@dataclass(frozen=True)
class ModelRef:
    server: str
    model_id: str

    def __str__(self) -> str:
        return f"{self.server}/{self.model_id}"


@dataclass(frozen=True)
class Server:
    """A server Enclave may reach: its policy entry, resolved (key read, CA file attached)."""

    name: str
    url: str  # the OpenAI-compatible base URL, e.g. https://llm.intranet.example/v1
    api_key: str | None = field(default=None, repr=False)
    models: tuple[str, ...] = ()  # empty: every model the server lists
    ca_file: Path | None = None
    source: str = "policy"  # "policy" or "user"

    @property
    def host(self) -> str:
        return (urlparse(self.url).hostname or "").lower()

    @property
    def root(self) -> str:
        """The server's own root (where llama.cpp's /tokenize and /props live)."""
        return self.url.removesuffix("/v1")

    def model_allowed(self, model_id: str) -> bool:
        return not self.models or model_id in self.models


def parse_model_ref(spec: str) -> ModelRef | None:
    """`SERVER/MODEL_ID` -> ModelRef; None when `spec` is a local model (a path, a name, an id).

    A spec that names an existing file, ends in `.gguf`, or starts like a path (`/`, `.`, `~`,
    a drive letter, a backslash) is local; anything else with a slash is a server reference,
    checked against the policy by `server_for` (an unknown server is refused, never guessed).
    """
    text = spec.strip()
    if "/" not in text or text.lower().endswith(".gguf") or "\\" in text:
        return None
    if text.startswith(("/", ".", "~")) or (len(text) > 1 and text[1] == ":"):
        return None
    if Path(text).expanduser().exists():
        return None
    server, _, model_id = text.partition("/")
    if not server or not model_id:
        return None
    return ModelRef(server, model_id)


def user_servers_path(data_dir: Path) -> Path:
    return data_dir / USER_SERVERS_FILE


def read_user_servers(path: Path | None) -> list[ServerPolicy]:
    """The user's own servers (`[{"name", "url", "api_key_file"?, "api_key_env"?}]`)."""
    if path is None or not path.exists():
        return []
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return [
            ServerPolicy(
                name=str(entry["name"]),
                url=str(entry["url"]).rstrip("/"),
                api_key_file=Path(entry["api_key_file"]) if entry.get("api_key_file") else None,
                api_key_env=entry.get("api_key_env") or None,
            )
            for entry in raw
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise EnclaveError(
            f"Your server list {path} cannot be read ({exc}); fix or delete the file."
        ) from exc


def write_user_servers(path: Path, servers: list[ServerPolicy]) -> None:
    entries = [
        {k: v for k, v in (("name", s.name), ("url", s.url),
                           ("api_key_file", str(s.api_key_file) if s.api_key_file else None),
                           ("api_key_env", s.api_key_env)) if v}
        for s in servers
    ]  # fmt: skip
    write_text_atomic(path, json.dumps(entries, indent=2) + "\n")


def check_server_url(name: str, url: str, policy: Policy) -> None:
    """The checks a policy server passed when the policy loaded, for a user's server."""
    parsed = urlparse(url)
    if not name or "/" in name or not name.isprintable():
        raise EnclaveError(f"A server name must be a word without '/', not {name!r}.")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise EnclaveError(f"{url!r} is not an http(s) address of an OpenAI-compatible server.")
    if not policy.host_allowed(parsed.hostname):
        raise PolicyRefused(
            f"The administrator's policy allows only {', '.join(policy.network.allowed_hosts)}; "
            f"the server {name} at {parsed.hostname} is not one of them."
        )


def servers_for(policy: Policy, user_file: Path | None = None) -> list[ServerPolicy]:
    """Every server this user may reach: the policy's, then the user's own where allowed."""
    allowed = [s for s in policy.servers if policy.host_allowed(s.host)]
    if not policy.network.allow_user_servers:
        return allowed
    names = {s.name for s in allowed} | {s.name for s in policy.servers}
    for entry in read_user_servers(user_file):
        if entry.name not in names and policy.host_allowed(entry.host):
            allowed.append(entry)
            names.add(entry.name)
    return allowed


def read_api_key(entry: ServerPolicy) -> str | None:
    """The token from `api_key_file` or `api_key_env`; None when the server needs none."""
    if entry.api_key_file is not None:
        try:
            key = entry.api_key_file.expanduser().read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise EnclaveError(
                f"Cannot read the token of server {entry.name} from {entry.api_key_file} "
                f"({exc.strerror or exc}); ask your administrator."
            ) from exc
        if not key:
            raise EnclaveError(
                f"The token file {entry.api_key_file} of server {entry.name} is empty; ask your "
                f"administrator."
            )
        return key
    if entry.api_key_env:
        key = os.environ.get(entry.api_key_env, "").strip()
        if not key:
            raise EnclaveError(
                f"Server {entry.name} takes its token from the variable {entry.api_key_env}, "
                f"which is not set; ask your administrator."
            )
        return key
    return None


def server_for(policy: Policy, name: str, user_file: Path | None = None) -> Server:
    """The server called `name`, resolved; a name the policy does not allow is refused."""
    entry = next((s for s in servers_for(policy, user_file) if s.name == name), None)
    if entry is None:
        named = policy.server(name)
        if named is not None:  # named, but its host is not in allowed_hosts
            raise PolicyError(
                f"The policy names server {name}, but its host {named.host} is not in "
                f"[network] allowed_hosts; fix the policy."
            )
        known = ", ".join(s.name for s in servers_for(policy, user_file)) or "none"
        raise PolicyRefused(
            f"There is no company server called {name!r} in the administrator's policy "
            f"(servers: {known}); nothing was sent."
        )
    user = entry not in policy.servers
    return Server(
        name=entry.name,
        url=entry.url,
        api_key=read_api_key(entry),
        models=entry.models,
        ca_file=policy.network.ca_file,
        source="user" if user else "policy",
    )


def allow_in_guard(policy: Policy, data_dir: Path) -> None:
    """Tell the network guard, once at start, which servers exist: no other can be reached."""
    from app.core import netguard

    try:
        servers = servers_for(policy, user_servers_path(data_dir))
    except EnclaveError:  # an unreadable servers.json: the policy's own servers still work
        servers = servers_for(policy)
    netguard.allow_servers(s.url for s in servers)
