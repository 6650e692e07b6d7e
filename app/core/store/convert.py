"""Converting the history between plain and encrypted, without ever risking it.

    1. the WAL is checkpointed into the database and the source closed;
    2. a complete copy is written beside it (`.converting`) with SQLCipher's sqlcipher_export,
       synced, then verified: integrity, FTS indexes, and the same rows (counts and a hash of
       every message, document and chunk);
    3. a hard link (`.replaced`) keeps the old file reachable, the copy replaces the database
       in one rename, and the old file is overwritten with zeros and removed.

A kill at any point leaves either the old database (with a stale copy, removed at the next open)
or the new one (with the old file, wiped at the next open): `recover` finishes either case.
Callers hold the only connection: the store is closed while it runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.core.errors import StoreError
from app.core.store import cipher

Stage = Callable[[str], None]
_TABLES = ("conversations", "messages", "documents", "chunks")
_CONTENT = (
    "SELECT id, title, system_prompt FROM conversations ORDER BY id",
    "SELECT id, conversation_id, content, model_sha256 FROM messages ORDER BY id",
    "SELECT id, conversation_id, name, sha256, text FROM documents ORDER BY id",
    "SELECT id, document_id, idx, text FROM chunks ORDER BY id",
)


def side_paths(path: Path) -> tuple[Path, Path]:
    """The copy being written, and the link to the file being replaced."""
    return path.with_name(path.name + ".converting"), path.with_name(path.name + ".replaced")


def recover(path: Path) -> None:
    """Finish what a killed conversion left: drop an unfinished copy, wipe a replaced file."""
    copy, old = side_paths(path)
    if copy.exists():
        copy.unlink()
        for suffix in ("-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                copy.with_name(copy.name + suffix).unlink()
    if old.exists():
        if path.exists() and os.path.samefile(old, path):
            old.unlink()  # the swap never happened: this is a second name of the database
        else:
            wipe(old)


def convert(
    path: Path, old_key: bytes | None, new_key: bytes | None, on_stage: Stage | None = None
) -> None:
    """Re-write the database at `path` from `old_key` to `new_key` (None: plain)."""
    stage = on_stage or (lambda _name: None)
    recover(path)
    copy, old = side_paths(path)
    source = cipher.connect(path, old_key)
    try:
        busy = source.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        if busy:
            raise StoreError(
                f"The history {path} is in use by another Enclave; close it and try again. "
                f"Nothing was changed."
            )
        before = fingerprint(source)
        stage("copying")
        fd = os.open(copy, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        cipher.export(source, copy, new_key)
    except BaseException:
        source.close()
        with contextlib.suppress(FileNotFoundError):
            copy.unlink()
        raise
    source.close()  # the last connection: SQLite removes the (now empty) WAL
    _fsync(copy)
    stage("copied")
    _verify(copy, new_key, before)
    stage("verified")
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + suffix).unlink()
    os.link(path, old)
    stage("linked")
    os.replace(copy, path)
    _fsync_dir(path.parent)
    stage("swapped")
    wipe(old)
    stage("done")


def fingerprint(conn: Any) -> tuple[tuple[int, ...], str]:
    """Row counts and one sha256 over every conversation, message, document and chunk."""
    counts = tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in _TABLES)
    digest = hashlib.sha256()
    for query in _CONTENT:
        for row in conn.execute(query):
            digest.update(repr(tuple(row)).encode("utf-8", "surrogatepass"))
    return counts, digest.hexdigest()


def _verify(copy: Path, key: bytes | None, expected: tuple[tuple[int, ...], str]) -> None:
    conn = cipher.connect(copy, key)
    try:
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        for table in ("messages_fts", "chunks_fts"):
            conn.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")
        same = fingerprint(conn) == expected
    except cipher.Error as exc:
        problems, same = [str(exc)], False
    finally:
        conn.close()
    if problems or not same:
        copy.unlink()
        raise StoreError(
            f"The converted copy of the history ({copy.name}) did not match the "
            f"original ({'; '.join(problems) or 'different rows'}); the original was kept "
            f"unchanged."
        )


def wipe(path: Path) -> None:
    """Overwrite a file with zeros, sync, remove it: its freed blocks hold no history."""
    try:
        size = path.stat().st_size
        with open(path, "r+b") as f:
            block = b"\0" * (1 << 20)
            for _ in range(0, size, len(block)):
                f.write(block)
            f.truncate(size)
            f.flush()
            os.fsync(f.fileno())
    except FileNotFoundError:
        return
    path.unlink()
    _fsync_dir(path.parent)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    if os.name == "nt":
        return  # Windows cannot open a directory to sync it; its renames are durable
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
