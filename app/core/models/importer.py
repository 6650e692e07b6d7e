"""Bring a local GGUF file into the models directory: copied, or linked in place.

The file is checked first (`check_model_file`: the header, llama.cpp's limits and the chat
template), so llama.cpp never opens a file that is not a sane GGUF. A copy is written under a
hidden temporary name, hashed on the way, and renamed only once complete; a link (symbolic, or
hard on the same drive) is hashed where it lies. Nothing is registered until the file is in
place and the policy's allowlist accepts its sha256.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import Cancelled, ModelError
from app.core.models.admission import check_model_file
from app.core.models.gguf_check import GgufHeader
from app.core.models.hashing import short_id
from app.core.models.progress import ProgressFn, ProgressMeter
from app.core.models.registry import Placement
from app.core.types import CancelToken

CHUNK = 4 << 20
_DISK_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


@dataclass(frozen=True)
class Placed:
    path: Path
    sha256: str
    header: GgufHeader


def place_file(
    source: Path,
    models_dir: Path,
    placement: Placement = "copy",
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> Placed:
    """Check, hash and put `source` into `models_dir`; the caller registers it."""
    header = check_model_file(source)
    cancel = cancel or CancelToken()
    if placement == "copy":
        return _copy(source, models_dir, header, progress, cancel)
    sha = _hash(source, header.file_size, progress, cancel)
    target = unique_target(models_dir, source.name, sha)
    try:
        if placement == "symlink":
            os.symlink(source.resolve(), target)
        elif placement == "hardlink":
            os.link(source, target)
        else:
            raise ValueError(f"unknown placement {placement!r}")
    except OSError as exc:
        raise ModelError(_link_error(exc, placement, source, models_dir)) from exc
    return Placed(target, sha, header)


def unique_target(models_dir: Path, file_name: str, sha256: str) -> Path:
    """`models_dir/file_name`, or `<stem>-<id>.gguf` when another file already has that name."""
    target = models_dir / file_name
    if not target.exists() and not target.is_symlink():
        return target
    return models_dir / f"{Path(file_name).stem}-{short_id(sha256)}{Path(file_name).suffix}"


def _copy(
    source: Path,
    models_dir: Path,
    header: GgufHeader,
    progress: ProgressFn | None,
    cancel: CancelToken,
) -> Placed:
    temp = models_dir / f".{source.name}.importing"
    digest = hashlib.sha256()
    meter = ProgressMeter(progress, header.file_size, "copying")
    try:
        with source.open("rb") as src, temp.open("wb") as out:
            done = 0
            while block := src.read(CHUNK):
                if cancel.cancelled:
                    raise Cancelled()
                out.write(block)
                digest.update(block)
                done += len(block)
                meter(done)
            out.flush()
            os.fsync(out.fileno())
        meter(done, force=True)
        sha = digest.hexdigest()
        target = unique_target(models_dir, source.name, sha)
        os.replace(temp, target)
    except OSError as exc:
        _discard(temp)
        if exc.errno in _DISK_FULL:
            free = shutil.disk_usage(models_dir).free
            raise ModelError(
                f"Not enough disk space in {models_dir} to copy {source.name} "
                f"({free / 1e9:.2f} GB free, {header.file_size / 1e9:.2f} GB needed); free some "
                f"space or import it as a link. Nothing was installed."
            ) from exc
        raise ModelError(f"Could not copy {source.name}: {exc.strerror or exc}.") from exc
    except BaseException:
        _discard(temp)
        raise
    return Placed(target, sha, header)


def _hash(source: Path, size: int, progress: ProgressFn | None, cancel: CancelToken) -> str:
    digest = hashlib.sha256()
    meter = ProgressMeter(progress, size, "hashing")
    done = 0
    try:
        with source.open("rb") as fh:
            while block := fh.read(CHUNK):
                if cancel.cancelled:
                    raise Cancelled()
                digest.update(block)
                done += len(block)
                meter(done)
    except OSError as exc:
        raise ModelError(f"Cannot read {source}: {exc.strerror or exc}.") from exc
    meter(done, force=True)
    return digest.hexdigest()


def _link_error(exc: OSError, placement: str, source: Path, models_dir: Path) -> str:
    if exc.errno == errno.EXDEV:
        return (
            f"{source} is on another drive than {models_dir}, so it cannot be hard-linked; "
            f"import it as a copy or a symbolic link."
        )
    return (
        f"Could not create a {placement} to {source} in {models_dir}: {exc.strerror or exc}; "
        f"import it as a copy instead."
    )


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
