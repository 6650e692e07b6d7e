"""Bring a local GGUF file into the models directory: copied, or linked in place.

The file is checked first (`check_model_file`: the header, llama.cpp's limits and the chat
template), so llama.cpp never opens a file that is not a sane GGUF. A copy is written (0600)
under a temporary name of its own process, hashed on the way, and renamed only once complete; a
link (symbolic, or hard on the same drive) is hashed where it lies. The final name is chosen
and the file registered under the models folder's lock (`install_lock`), so two imports at
once never take one name or register one file twice. Nothing is registered until the file is
in place and the policy's allowlist accepts its sha256.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from app.core.atomic_write import PRIVATE
from app.core.errors import Cancelled, ModelError
from app.core.file_lock import file_lock
from app.core.models.admission import check_model_file
from app.core.models.gguf_check import GgufHeader
from app.core.models.hashing import short_id
from app.core.models.progress import ProgressFn, ProgressMeter
from app.core.models.registry import Placement
from app.core.types import CancelToken

CHUNK = 4 << 20
_DISK_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


INSTALL_LOCK = ".install.lock"


@dataclass(frozen=True)
class Prepared:
    """A checked and hashed file, ready to be put in place (a copy: already in a temp file)."""

    source: Path
    sha256: str
    header: GgufHeader
    placement: Placement
    temp: Path | None = None  # the copy, under a name no other process uses


def install_lock(models_dir: Path) -> contextlib.AbstractContextManager[None]:
    """Held while a file takes its final name and is registered: no two processes pick the
    same name, or register the same file twice."""
    return file_lock(models_dir / INSTALL_LOCK, "the models folder")


def prepare(
    source: Path,
    models_dir: Path,
    placement: Placement = "copy",
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> Prepared:
    """Check and hash `source` (copying it beside the models for a copy); nothing installed."""
    header = check_model_file(source)
    cancel = cancel or CancelToken()
    if placement not in ("copy", "symlink", "hardlink"):
        raise ValueError(f"unknown placement {placement!r}")
    if placement == "copy":
        temp, sha = _copy(source, models_dir, header, progress, cancel)
        return Prepared(source, sha, header, placement, temp)
    return Prepared(source, _hash(source, header.file_size, progress, cancel), header, placement)


def put_in_place(prepared: Prepared, models_dir: Path) -> Path:
    """Give the file its final name in `models_dir`; hold `install_lock` around this."""
    source, placement = prepared.source, prepared.placement
    target = unique_target(models_dir, source.name, prepared.sha256)
    try:
        if prepared.temp is not None:
            os.replace(prepared.temp, target)
        elif placement == "symlink":
            os.symlink(source.resolve(), target)
        else:
            os.link(source, target)
    except OSError as exc:
        discard(prepared)
        if prepared.temp is not None:
            raise ModelError(f"Could not copy {source.name}: {exc.strerror or exc}.") from exc
        raise ModelError(_link_error(exc, placement, source, models_dir)) from exc
    return target


def discard(prepared: Prepared) -> None:
    """Remove the temporary copy of a file that will not be installed."""
    if prepared.temp is not None:
        _discard(prepared.temp)


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
) -> tuple[Path, str]:
    models_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = models_dir / f".{source.name}.{os.getpid()}.{secrets.token_hex(4)}.importing"
    digest = hashlib.sha256()
    meter = ProgressMeter(progress, header.file_size, "copying")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
        with source.open("rb") as src, os.fdopen(fd, "wb") as out:
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
    return temp, digest.hexdigest()


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
