"""Turn SQLite, SQLAlchemy and OS failures into one sentence a person can act on."""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from app.core.errors import StoreError
from app.core.store import cipher

_MOVE_ASIDE = "Move it aside (Enclave leaves it untouched) and start again for a fresh history."
_DATA_DIR_HINT = "choose a writable data directory with --data-dir or ENCLAVE_DATA_DIR"


def _sqlite_code(exc: BaseException) -> str:
    """The SQLite error name (SQLITE_FULL, SQLITE_CORRUPT, …) behind an exception, if any."""
    orig = getattr(exc, "orig", None) or exc.__cause__ or exc
    if isinstance(orig, sqlite3.Error | cipher.Error):
        name = getattr(orig, "sqlite_errorname", "") or ""
        if name:
            return name
        message = str(orig).lower()
        for needle, code in (
            ("disk is full", "SQLITE_FULL"),
            ("readonly", "SQLITE_READONLY"),
            ("not a database", "SQLITE_NOTADB"),
            ("malformed", "SQLITE_CORRUPT"),
            ("locked", "SQLITE_BUSY"),
            ("unable to open", "SQLITE_CANTOPEN"),
        ):
            if needle in message:
                return code
    return ""


def describe_failure(exc: BaseException, path: Path | None, action: str) -> StoreError:
    """A StoreError for `exc`; `action` is what was being done ("open", "save", "upgrade")."""
    where = str(path) if path else "the in-memory history"
    if isinstance(exc, StoreError):
        return exc
    if isinstance(exc, OSError):
        return _os_failure(exc, where)
    code = _sqlite_code(exc)
    detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    if code == "SQLITE_FULL":
        return StoreError(
            f"The disk holding {where} is full, so the last change was not saved; free some "
            f"space and try again."
        )
    if code.startswith("SQLITE_READONLY") or code.startswith("SQLITE_PERM"):
        return StoreError(
            f"The conversation database {where} is read-only, so nothing can be saved; make it "
            f"writable or {_DATA_DIR_HINT}."
        )
    if code in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or code.startswith("SQLITE_CORRUPT"):
        return StoreError(
            f"The conversation database {where} is damaged or not an Enclave database "
            f"({detail}). {_MOVE_ASIDE}"
        )
    if code.startswith("SQLITE_BUSY") or code.startswith("SQLITE_LOCKED"):
        return StoreError(
            f"The conversation database {where} is busy (another Enclave may be using it); "
            f"close the other Enclave and try again."
        )
    if code.startswith("SQLITE_CANTOPEN"):
        return StoreError(f"Cannot open the conversation database {where}; {_DATA_DIR_HINT}.")
    verb = {"open": "open", "upgrade": "upgrade", "save": "save to", "read": "read"}.get(
        action, action
    )
    return StoreError(
        f"Could not {verb} the conversation database {where} ({detail}); check that the disk "
        f"is healthy and writable, or {_DATA_DIR_HINT}."
    )


def _os_failure(exc: OSError, where: str) -> StoreError:
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        return StoreError(f"The disk holding {where} is full; free some space and try again.")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StoreError(
            f"Cannot write the conversation database {where} ({reason}); {_DATA_DIR_HINT}."
        )
    return StoreError(
        f"Cannot open the conversation database {where} ({reason}); {_DATA_DIR_HINT}."
    )


@contextmanager
def translated(path: Path | None, action: str) -> Iterator[None]:
    """Re-raise database and OS failures inside the block as StoreError."""
    try:
        yield
    except (SQLAlchemyError, OSError, sqlite3.Error, cipher.Error) as exc:
        raise describe_failure(exc, path, action) from exc
