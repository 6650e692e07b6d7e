"""Which model a turn uses, and whether the policy allows it, decided on the file itself.

A conversation remembers its model (spec, name, sha256). The spec is resolved to a file by
`app.core.models.resolve`; the allowlist is then checked on the sha256 of that file (hashed, or
from a cache keyed on the file's identity, which a user cannot forge), never on what a registry
entry or an environment variable claims, and always before llama.cpp opens the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.core.backends.servers import parse_model_ref, server_for, user_servers_path
from app.core.config.paths import Paths
from app.core.config.policy import Policy
from app.core.default_model import DEFAULT_MODEL_NAME, DEFAULT_MODEL_SHA256
from app.core.errors import ModelError, PolicyRefused
from app.core.model_file import cached_sha256
from app.core.models.resolve import check_allowed, resolve


@dataclass(frozen=True)
class ModelChoice:
    """A model ready to load: what to remember in the conversation, and what it is."""

    spec: str  # stable way to find it again: an installed id, "sha256:HEX", a path, SERVER/ID
    path: Path | None  # None for a company server's model
    name: str  # the name users see (theirs, after a rename); "" = the one its header gives
    sha256: str  # "" when a company server gives no digest
    server: str | None = None  # the company server that runs it, by its policy name


def choose_model(spec: str | None, paths: Paths, policy: Policy) -> ModelChoice:
    """Resolve `spec` ("" = the user's or the policy's default) and check the allowlist, or
    for `SERVER/MODEL_ID` the policy's servers and their models."""
    chosen = (spec or "").strip() or (policy.models.default or "").strip()
    ref = parse_model_ref(chosen) if chosen else None
    if ref is not None:
        server = server_for(policy, ref.server, user_servers_path(paths.data_dir))
        if not server.model_allowed(ref.model_id):
            raise PolicyRefused(
                f"The administrator's policy allows only {', '.join(server.models)} on the "
                f"company server {server.name}, not {ref.model_id}."
            )
        return ModelChoice(str(ref), None, ref.model_id, "", ref.server)
    resolved = resolve(spec, paths, policy)
    try:
        sha256 = cached_sha256(resolved.path)
    except OSError as exc:
        raise ModelError(
            f"Cannot read the model file {resolved.path}: {exc.strerror or exc}."
        ) from exc
    if resolved.model is not None:
        stable, name = resolved.model.id, resolved.model.name
    elif sha256 == DEFAULT_MODEL_SHA256:
        stable, name = f"sha256:{sha256}", DEFAULT_MODEL_NAME
    else:
        stable, name = str(resolved.path), ""  # named from its header once loaded
    check_allowed(policy, sha256, name or resolved.path.name)
    return ModelChoice(stable, resolved.path, name, sha256)


def conversation_model_gone(name: str, error: Exception) -> ModelError | PolicyRefused:
    """The error for a conversation whose own model can no longer be used, with the way out."""
    way_out = (
        "choose another model for this conversation (the model menu in the window, or -m on "
        "the command line)."
    )
    if isinstance(error, PolicyRefused):
        return PolicyRefused(
            f"This conversation uses the model {name}, which the administrator's policy no "
            f"longer allows; {way_out}"
        )
    return ModelError(
        f"This conversation uses the model {name}, which is no longer available ({error}); "
        f"{way_out}"
    )
