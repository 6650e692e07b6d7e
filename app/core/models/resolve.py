"""Turn what the user typed (`-m MODEL`, a setting, the policy's default) into a model file."""

from __future__ import annotations

from pathlib import Path

from app.core.default_model import ensure_default_model
from app.core.errors import ModelError
from app.paths import Paths
from app.policy import Policy


def resolve_model(spec: str | None, paths: Paths, policy: Policy) -> Path:
    """Empty: the policy's default, else the bundled model. Otherwise a path to a .gguf file."""
    spec = spec or policy.models.default
    if not spec:
        return ensure_default_model(paths.models_dir)
    candidate = Path(spec).expanduser()
    if candidate.is_file():
        return candidate
    if policy.models.directory and (policy.models.directory / spec).is_file():
        return policy.models.directory / spec
    if (paths.models_dir / spec).is_file():
        return paths.models_dir / spec
    raise ModelError(f"No model named {spec!r}: give an installed model's id or name, or a .gguf path.")
