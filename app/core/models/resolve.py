"""Turn what the user typed (`-m MODEL`, a setting, the policy's default) into a model file.

A spec may be an installed model's id or a prefix of it, its name, its file name, a path to a
.gguf file, or `sha256:HEX` (the policy's way of pinning a default). Empty means the policy's
default, else the bundled model. This only finds the file: the policy's `allowlist_sha256` is
checked on the file's own sha256 by `app.core.chat.model_choice.choose_model`, the one way a
model is chosen for loading (a registry entry or an environment variable could lie).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from app.core.config.paths import Paths
from app.core.config.policy import Policy
from app.core.default_model import DEFAULT_MODEL_SHA256, ensure_default_model
from app.core.errors import ModelError, PolicyRefused
from app.core.models.registry import InstalledModel, ModelSettings, Registry
from app.core.types import LoadOptions

_HEX = re.compile(r"^[0-9a-f]{4,64}$")
MIN_PREFIX = 4


@dataclass(frozen=True)
class Resolved:
    path: Path
    model: InstalledModel | None  # None for a file that is not installed


def resolve_model(spec: str | None, paths: Paths, policy: Policy) -> Path:
    """The file for `spec`; raises ModelError when there is none."""
    return resolve(spec, paths, policy).path


def resolve(spec: str | None, paths: Paths, policy: Policy) -> Resolved:
    from_policy = not (spec or "").strip() and bool(policy.models.default)
    spec = (spec or "").strip() or (policy.models.default or "").strip()
    registry = Registry(paths.models_dir, policy.models.directory)
    if not spec or spec.lower() == f"sha256:{DEFAULT_MODEL_SHA256}":
        path = ensure_default_model(paths.models_dir)
        return Resolved(path, registry.by_sha256(DEFAULT_MODEL_SHA256))
    model = find_installed(spec, registry.installed(refresh=False))
    if model is None and not Path(spec).expanduser().is_file():
        model = find_installed(spec, registry.installed(refresh=True))
    if model is not None:
        if not model.present:
            raise ModelError(
                f"The model {model.name} ({model.id}) is registered but its file {model.path} is "
                f"missing; import or download it again, or remove it."
            )
        return Resolved(model.path, model)
    candidate = Path(spec).expanduser()
    if candidate.is_file():
        return Resolved(candidate.absolute(), None)
    if from_policy:
        raise ModelError(
            f"The default model {spec!r} set by the administrator's policy is not installed "
            f"here; ask your administrator, or choose another model with -m."
        )
    raise ModelError(
        f"No model named {spec!r}: give an installed model's id or name (see 'enclave models "
        f"list'), or a path to a .gguf file."
    )


def find_installed(spec: str, models: list[InstalledModel]) -> InstalledModel | None:
    """Match by sha256:HEX, id or id prefix, name, file name or path; ambiguity is an error."""
    text = spec.strip()
    lowered = text.lower()
    if lowered.startswith("sha256:"):
        digest = lowered.removeprefix("sha256:")
        return _unique(spec, [m for m in models if m.sha256.startswith(digest)] if digest else [])
    exact = [m for m in models if m.id == lowered or m.sha256 == lowered]
    if exact:
        return exact[0]
    if _HEX.match(lowered) and len(lowered) >= MIN_PREFIX:
        by_prefix = [m for m in models if m.sha256.startswith(lowered)]
        if by_prefix:
            return _unique(spec, by_prefix)
    by_name = [m for m in models if m.name.lower() == lowered]
    if by_name:
        return _unique(spec, by_name)
    by_file = [m for m in models if m.path.name.lower() == lowered]
    if by_file:
        return _unique(spec, by_file)
    try:
        target = Path(text).expanduser().resolve()
    except (OSError, RuntimeError):
        return None
    return next((m for m in models if _same_file(m.path, target)), None)


def check_allowed(policy: Policy, sha256: str, label: str) -> None:
    if not policy.model_allowed(sha256):
        raise PolicyRefused(
            f"The administrator's policy does not allow the model {label} (sha256 "
            f"{sha256[:12]}…); choose one of the allowed models."
        )


def settings_for(path: Path, paths: Paths, policy: Policy) -> ModelSettings:
    """The per-model settings of the installed model at `path` (defaults if not installed)."""
    models = Registry(paths.models_dir, policy.models.directory).installed(refresh=False)
    target = path.expanduser().resolve()
    model = next((m for m in models if _same_file(m.path, target)), None)
    return model.settings if model else ModelSettings()


def apply_settings(options: LoadOptions, settings: ModelSettings) -> LoadOptions:
    """The load options with a model's own context size, GPU layers and template applied."""
    changes: dict[str, object] = {}
    if settings.context_size is not None:
        changes["context_size"] = settings.context_size
    if settings.gpu_layers is not None:
        changes["gpu_layers"] = settings.gpu_layers
    if settings.template_override is not None:
        changes["template_override"] = settings.template_override
    return replace(options, **changes)


def _unique(spec: str, matches: list[InstalledModel]) -> InstalledModel | None:
    if len(matches) > 1:
        names = ", ".join(f"{m.id} ({m.name})" for m in matches)
        raise ModelError(f"{spec!r} matches several models: {names}; give more of the id.")
    return matches[0] if matches else None


def _same_file(path: Path, target: Path) -> bool:
    try:
        return path.resolve() == target
    except (OSError, RuntimeError):
        return False
