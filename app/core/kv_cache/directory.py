"""The folder of saved states: one file per conversation, a disk budget, and erasure.

A file is named after its conversation (`conversation-<id>.kv`), so erasing a conversation
finds its file without opening any. The budget is kept by least recent use: a file's mtime is
set when it is written or restored, and the oldest go first.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from app.core.kv_cache.state_file import TMP_SUFFIX, erase_file

_log = logging.getLogger(__name__)
PREFIX = "conversation-"
SUFFIX = ".kv"
STALE_TMP_S = 600  # a temporary file this old was left by a process that died while writing


def state_path(directory: Path, conversation_id: int) -> Path:
    return directory / f"{PREFIX}{conversation_id}{SUFFIX}"


def conversation_of(path: Path) -> int | None:
    name = path.name
    if not (name.startswith(PREFIX) and name.endswith(SUFFIX)):
        return None
    number = name[len(PREFIX) : -len(SUFFIX)]
    return int(number) if number.isdigit() else None


def state_files(directory: Path) -> list[Path]:
    try:
        entries = list(directory.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [p for p in entries if conversation_of(p) is not None]


def touch(path: Path) -> None:
    """Mark as just used (least-recently-used order)."""
    with contextlib.suppress(OSError):  # gone meanwhile: nothing to mark
        os.utime(path)


def enforce_budget(directory: Path, budget_bytes: int) -> list[Path]:
    """Remove the least recently used files until the folder fits `budget_bytes`; also
    temporary files left by a process that died. Returns the state files removed."""
    now = time.time()
    for leftover in directory.glob(f".*{TMP_SUFFIX}"):
        try:
            if now - leftover.stat().st_mtime > STALE_TMP_S:
                erase_file(leftover)
        except OSError:
            continue
    sized = []
    for path in state_files(directory):
        try:
            info = path.stat()
        except OSError:  # removed meanwhile by another process
            continue
        sized.append((info.st_mtime, info.st_size, path))
    sized.sort()
    total = sum(size for _mtime, size, _path in sized)
    removed = []
    for _mtime, size, path in sized:
        if total <= budget_bytes:
            break
        path.unlink(missing_ok=True)  # evicted, not deleted: the conversation stays
        total -= size
        removed.append(path)
    if removed:
        _log.info("Saved states over the budget: removed %d", len(removed))
    return removed


def erase_states(directory: Path, conversation_ids: Iterable[int]) -> None:
    for conversation_id in conversation_ids:
        erase_file(state_path(directory, conversation_id))


def erase_orphans(directory: Path, existing: Callable[[list[int]], set[int]]) -> int:
    """Erase the states of conversations that no longer exist; `existing(ids)` says which of
    `ids` still do. Returns how many were erased."""
    by_id = {conversation_of(p): p for p in state_files(directory)}
    if not by_id:
        return 0
    kept = existing(sorted(i for i in by_id if i is not None))
    gone = [path for conversation_id, path in by_id.items() if conversation_id not in kept]
    for path in gone:
        erase_file(path)
    return len(gone)


def erase_all(directory: Path) -> int:
    """Erase every saved state (history encryption turned on: they would be plain text)."""
    files = state_files(directory) + list(directory.glob(f".*{TMP_SUFFIX}"))
    for path in files:
        erase_file(path)
    return len(files)
