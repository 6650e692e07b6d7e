"""Model fingerprints for loading: the sha256 of a file, remembered while it is unchanged.

Hashing a multi-gigabyte model takes seconds; reloading the same file (a new context size, a
template change, the next test) should not pay that again.
"""

from __future__ import annotations

import threading
from pathlib import Path

from app.core.models.hashing import sha256_file

_digests: dict[tuple[str, int, int, int, int, int], str] = {}
_lock = threading.Lock()


def cached_sha256(path: Path) -> str:
    """sha256 of the file, remembered for this process while the file is the same one.

    The key is the file's identity (device, inode, size, mtime and ctime): a user can set a
    file's mtime back, but not its ctime, so a rewritten file is always hashed again. The policy's
    allowlist relies on that.
    """
    stat = path.stat()
    key = (
        str(path.resolve()), stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns,
        stat.st_ctime_ns,
    )  # fmt: skip
    with _lock:
        known = _digests.get(key)
    if known is not None:
        return known
    digest = sha256_file(path)
    with _lock:
        _digests[key] = digest
    return digest
