"""sha256 of model files, with progress and a cooperative stop (files are gigabytes)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from app.core.errors import Cancelled, ModelError
from app.core.types import CancelToken

CHUNK = 4 << 20
HashProgress = Callable[[int, int], None]  # bytes done, total


def sha256_file(
    path: Path,
    progress: HashProgress | None = None,
    cancel: CancelToken | None = None,
    digest: hashlib._Hash | None = None,
) -> str:
    """Hash `path` (continuing `digest` if given); raises Cancelled when stopped."""
    digest = digest or hashlib.sha256()
    try:
        total = path.stat().st_size
        done = 0
        with path.open("rb") as fh:
            while block := fh.read(CHUNK):
                digest.update(block)
                done += len(block)
                if progress is not None:
                    progress(done, total)
                if cancel is not None and cancel.cancelled:
                    raise Cancelled()
    except OSError as exc:
        raise ModelError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    return digest.hexdigest()


def short_id(sha256: str) -> str:
    """A model's id: the first 12 hex digits of its sha256."""
    return sha256[:12]
