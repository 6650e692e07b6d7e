"""Write a file so that readers see the old content or the new, never half of it.

The text goes to a temporary file in the same folder (unique per process and thread), is
flushed to disk, then renamed over the target. On failure the temporary file is removed and the
`OSError` is raised for the caller to turn into a message that fits what it was saving.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

PRIVATE = 0o600  # settings, registries, sidecars: the user's own
# Exports and summaries carry conversations and documents: owner-only as well; the user shares
# a copy on purpose. (The name stays for the callers that ask for an export's mode.)
SHARED = PRIVATE


def write_text_atomic(path: Path, text: str, *, mode: int = PRIVATE) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
