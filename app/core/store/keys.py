"""The history key, kept in the operating system's keyring, never beside the database.

`keyring` reaches the Secret Service on Linux (GNOME Keyring, KWallet), the Credential Manager on
Windows and the Keychain on macOS. One key per database file (the account is the file's path),
32 random bytes stored as hex. Every failure becomes a `KeyUnavailable` with a `reason` the
window translates: no keyring, a locked keyring, a missing key, a wrong key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from app.core.errors import StoreError

SERVICE: Final = "Enclave history"
REASONS: Final = ("no_keyring", "locked", "missing", "wrong")


class KeyUnavailable(StoreError):
    """The encrypted history cannot be opened (or encrypted) because its key is out of reach."""

    def __init__(self, reason: str, path: Path, detail: str = "") -> None:
        self.reason = reason
        self.path = path
        super().__init__(_message(reason, path, detail))


def _message(reason: str, path: Path, detail: str) -> str:
    tail = " Nothing was changed; the history stays as it was."
    if reason == "no_keyring":
        return (
            f"The history {path} needs a key from the system keyring, but no keyring is "
            f"available ({detail or 'no Secret Service, Credential Manager or Keychain'}); "
            f"start your desktop's keyring and try again.{tail}"
        )
    if reason == "locked":
        return (
            f"The system keyring holding the key of the history {path} is locked; unlock it "
            f"(log in to the desktop, or open your keyring) and try again.{tail}"
        )
    if reason == "missing":
        return (
            f"The history {path} is encrypted, but its key is not in this user's keyring; "
            f"restore the keyring (or its backup) and try again.{tail}"
        )
    return (
        f"The history {path} cannot be opened with the key in the keyring (a wrong key, or "
        f"the file is damaged); restore the right keyring entry or the file and try again.{tail}"
    )


def account(path: Path) -> str:
    return f"history:{path}"


def get_key(path: Path) -> bytes | None:
    """The key for `path`, or None when the keyring has none for it."""
    stored = _call(path, "get_password")
    if stored is None:
        return None
    try:
        return bytes.fromhex(stored)
    except ValueError:
        raise KeyUnavailable("wrong", path, "the keyring entry is not a key") from None


def store_key(path: Path, key: bytes) -> None:
    _call(path, "set_password", key.hex())
    if get_key(path) != key:  # read back: some backends accept a write they then lose
        raise KeyUnavailable("no_keyring", path, "the keyring did not keep the key")


def delete_key(path: Path) -> None:
    import keyring.errors

    try:
        _call(path, "delete_password")
    except KeyUnavailable as exc:
        if not isinstance(exc.__cause__, keyring.errors.PasswordDeleteError):
            raise


def _call(path: Path, method: str, *args: str) -> str | None:
    """One keyring call, its errors turned into KeyUnavailable."""
    import keyring
    import keyring.errors

    try:
        return getattr(keyring, method)(SERVICE, account(path), *args)
    except keyring.errors.KeyringLocked as exc:
        raise KeyUnavailable("locked", path, str(exc)) from exc
    except keyring.errors.PasswordDeleteError as exc:
        raise KeyUnavailable("missing", path, str(exc)) from exc
    except keyring.errors.NoKeyringError as exc:  # its text suggests a plain-text keyring: no
        raise KeyUnavailable("no_keyring", path) from exc
    except Exception as exc:  # InitError, D-Bus failures: no usable keyring
        if "locked" in str(exc).lower():
            raise KeyUnavailable("locked", path, str(exc)) from exc
        detail = (str(exc).splitlines() or [""])[0][:120] or type(exc).__name__
        raise KeyUnavailable("no_keyring", path, detail) from exc
