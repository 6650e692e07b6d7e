"""One helper for locks shared between processes: the window and command lines on one data dir.

A `threading.Lock` only orders the threads of one process, and two `enclave` commands (or the
window and a command) edit the same registry, settings and models folder. `file_lock` takes an
OS-level lock (`flock` on Unix, `LockFileEx` on Windows, through the `filelock` library) on a
small private file beside what it guards. The same lock object is shared by every caller in a
process, so a thread that already holds it may take it again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from app.core.errors import EnclaveError

# Edits of small files finish in milliseconds; the default model takes seconds to assemble.
EDIT_TIMEOUT_S = 30.0


class Busy(EnclaveError):
    """Another Enclave process holds the lock past the wait: try again."""


@contextlib.contextmanager
def file_lock(path: Path, what: str, timeout: float = EDIT_TIMEOUT_S) -> Iterator[None]:
    """Hold the lock file `path` (created 0600) for the duration; `Busy` after `timeout` s.

    `what` names the thing guarded, for the message: "the list of installed models".
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = FileLock(path, mode=0o600, is_singleton=True)
        lock.acquire(timeout=timeout)
    except Timeout:
        raise Busy(
            f"{what[:1].upper()}{what[1:]} is busy: another Enclave window or command is "
            f"using it; try again in a moment."
        ) from None
    except OSError as exc:
        raise EnclaveError(
            f"Cannot lock {path}: {exc.strerror or exc}; check the data folder's permissions."
        ) from exc
    try:
        yield
    finally:
        lock.release()
