"""The local API's bearer token: generated on first use, kept in a 0600 file in the data dir.

Anyone who can read the file can use the API as the user, so it lives beside the user's history
with the same protection; regenerating it locks out every client holding the old one.
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
from pathlib import Path

from app.core.atomic_write import PRIVATE, write_text_atomic
from app.core.errors import EnclaveError

TOKEN_FILE = "api-token"


def token_path(data_dir: Path) -> Path:
    return data_dir / TOKEN_FILE


def _new() -> str:
    return "enclave-" + secrets.token_urlsafe(32)


def load_or_create(data_dir: Path) -> str:
    path = token_path(data_dir)
    try:
        token = path.read_text(encoding="utf-8").strip()
        if token:
            os.chmod(path, PRIVATE)  # a copy restored with looser rights is tightened again
            return token
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise EnclaveError(f"Cannot read the API token {path}: {exc.strerror or exc}.") from exc
    return regenerate(data_dir)


def regenerate(data_dir: Path) -> str:
    token = _new()
    path = token_path(data_dir)
    try:
        write_text_atomic(path, token + "\n", mode=PRIVATE)
    except OSError as exc:
        raise EnclaveError(f"Cannot write the API token {path}: {exc.strerror or exc}.") from exc
    return token


class TokenHolder:
    """The token a running server checks, looked up at every request: regenerating it here,
    or in another Enclave process (the window while `enclave serve` runs apart), locks out the
    old one at once, without restarting the server. The file's identity is checked (a stat),
    and it is read again only when it changed."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = token_path(data_dir)
        self._lock = threading.Lock()
        self._value = load_or_create(data_dir)
        self._seen = self._identity()

    def _identity(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    @property
    def value(self) -> str:
        seen = self._identity()
        if seen is not None and seen != self._seen:  # written by another process: take it
            with self._lock:
                try:
                    text = self.path.read_text(encoding="utf-8").strip()
                except OSError:
                    text = ""
                if text:
                    self._value, self._seen = text, seen
        return self._value

    def regenerate(self) -> str:
        with self._lock:  # the file first: a new server started meanwhile reads the new one
            self._value = regenerate(self.data_dir)
            self._seen = self._identity()
        return self._value

    def matches(self, header: str | None) -> bool:
        return matches(header, self.value)


def matches(header: str | None, token: str) -> bool:
    """`Authorization: Bearer <token>`, compared in constant time."""
    if not header or not header.lower().startswith("bearer "):
        return False
    return hmac.compare_digest(header[7:].strip().encode(), token.encode())
