"""The SQLite driver: SQLCipher 4 (`sqlcipher3`), for plain and encrypted databases alike.

One driver for both keeps their behaviour the same (SQLite 3.5x, FTS5 secure-delete) and makes
the encrypted ÷ plain comparison fair. The key is 32 random bytes given as a raw key
(`x'…'`): no passphrase derivation, so opening an encrypted database costs no more than a plain
one. SQLCipher would log decryption failures on stderr; its log is switched off, and a wrong key
becomes one clear error instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final

import sqlcipher3.dbapi2 as dbapi

SQLITE_MAGIC: Final = b"SQLite format 3\x00"
KEY_BYTES: Final = 32
Error = dbapi.Error


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


def key_pragma_value(key: bytes) -> str:
    """The raw-key form SQLCipher takes, quoted for a PRAGMA or ATTACH … KEY."""
    return "\"x'" + key.hex() + "'\""


def connect(
    target: str | Path, key: bytes | None = None, *, read_only: bool = False, timeout: float = 5.0
) -> Any:
    """A DB-API connection; with `key`, the key is applied before anything reads the file."""
    if read_only:
        conn = dbapi.connect(
            f"file:{target}?mode=ro", uri=True, check_same_thread=False, timeout=timeout
        )
    else:
        conn = dbapi.connect(str(target), check_same_thread=False, timeout=timeout)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        if key is not None:
            conn.execute(f"PRAGMA key = {key_pragma_value(key)}")
    except BaseException:
        conn.close()
        raise
    return conn


def file_kind(path: Path) -> str:
    """'missing' (absent or empty), 'plain' (a SQLite header) or 'encrypted' (anything else:
    SQLCipher's first page is indistinguishable from random bytes)."""
    try:
        with open(path, "rb") as f:
            header = f.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        return "missing"
    if not header:
        return "missing"
    return "plain" if header == SQLITE_MAGIC else "encrypted"


def opens_with(path: Path, key: bytes | None) -> bool:
    """Whether `key` (None: no key) reads the file's schema, without changing the file."""
    try:
        conn = connect(path, key, read_only=True)
    except Error:
        return False
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except Error:
        return False
    finally:
        conn.close()


def export(source: Any, destination: Path, key: bytes | None) -> None:
    """Copy every table, index, trigger and FTS index of `source` into a new file, encrypted
    with `key` or plain (key None), with SQLCipher's own sqlcipher_export."""
    quoted = str(destination).replace("'", "''")
    key_sql = key_pragma_value(key) if key is not None else "''"
    source.execute(f"ATTACH DATABASE '{quoted}' AS target KEY {key_sql}")
    try:
        source.execute("SELECT sqlcipher_export('target')")
    finally:
        source.execute("DETACH DATABASE target")
