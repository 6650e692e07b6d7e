"""An in-memory keyring, for widget tests only (the store's key tests use a real Secret Service).

with fake_keyring() as ring: ...      # keyring calls reach `ring` until the block ends
ring.locked = True                      # then every call raises KeyringLocked
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import keyring
import keyring.backend
import keyring.errors


class FakeKeyring(keyring.backend.KeyringBackend):
    priority = -1  # type: ignore[assignment]  # never chosen on its own: set_keyring only

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}
        self.locked = False

    def _check(self) -> None:
        if self.locked:
            raise keyring.errors.KeyringLocked("the fake keyring is locked")

    def get_password(self, service: str, username: str) -> str | None:
        self._check()
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._check()
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._check()
        if self.items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("no such item")


@contextmanager
def fake_keyring() -> Iterator[FakeKeyring]:
    previous = keyring.get_keyring()
    ring = FakeKeyring()
    keyring.set_keyring(ring)
    try:
        yield ring
    finally:
        keyring.set_keyring(previous)
