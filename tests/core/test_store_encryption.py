"""Encrypted history: SQLCipher with its key in a real Secret Service (gnome-keyring)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.config.policy import HistoryPolicy
from app.core.store import cipher, convert, keys
from app.core.store.keys import KeyUnavailable
from app.core.store.opening import open_history
from tests.helpers.history_data import WORDS, files_holding, fill, snapshot
from tests.helpers.keyring_fixtures import (  # noqa: F401 (fixtures used by name)
    keyring_env,
    own_secret_service,
    session_secret_service,
)

# Every test reaches a real Secret Service: .ci/run's, or one started for the run.
pytestmark = pytest.mark.usefixtures("keyring_env")

REQUIRED = HistoryPolicy(encrypt="required")
OPTIONAL = HistoryPolicy(encrypt="optional")
EVERY_WORD = tuple(w for words in WORDS.values() for w in words)


def _db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "enclave.sqlite3"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_encrypted_history_holds_no_readable_word(tmp_path: Path) -> None:
    db = _db(tmp_path)
    store = open_history(db, REQUIRED)
    try:
        assert store.encrypted
        fill(store)
        seen = snapshot(store)
        assert seen["search:Quetzalcoatlus"] and seen["chunks:thundersnowfall"]
        # While open, with the WAL and -shm there too: nothing readable in any file.
        assert files_holding(db.parent, EVERY_WORD) == {}
    finally:
        store.close()
    assert files_holding(db.parent, EVERY_WORD) == {}
    assert db.read_bytes()[:16] != cipher.SQLITE_MAGIC
    key = keys.get_key(db)
    assert key is not None and len(key) == 32
    assert files_holding(db.parent, (key.hex(),)) == {}  # the key is not beside the database
    assert not any(key in p.read_bytes() for p in db.parent.rglob("*") if p.is_file())
    with open_history(db, REQUIRED) as again:
        assert snapshot(again) == seen


def test_conversion_both_ways_keeps_everything(tmp_path: Path) -> None:
    db = _db(tmp_path)
    with open_history(db, OPTIONAL, user_wants_encryption=False) as plain:
        fill(plain)
        before = snapshot(plain)
    assert cipher.file_kind(db) == "plain"
    with open_history(db, OPTIONAL, user_wants_encryption=True) as encrypted:
        assert encrypted.encrypted and snapshot(encrypted) == before
        assert encrypted.integrity_check() == []
    assert cipher.file_kind(db) == "encrypted"
    assert files_holding(db.parent, EVERY_WORD) == {}  # the plain file and its WAL are gone
    assert sorted(p.name for p in db.parent.iterdir()) == ["enclave.sqlite3"]
    with open_history(db, OPTIONAL, user_wants_encryption=False) as back:
        assert not back.encrypted and snapshot(back) == before
        assert back.integrity_check() == []
    assert cipher.file_kind(db) == "plain"
    assert keys.get_key(db) is None  # a plain history needs no key


@pytest.mark.slow  # ten kill trials, each a child process SIGKILLed mid-conversion
@pytest.mark.parametrize("stage", ["copying", "copied", "verified", "linked", "swapped"])
@pytest.mark.parametrize("direction", ["encrypt", "decrypt"])
def test_a_kill_during_conversion_loses_nothing(tmp_path: Path, stage: str, direction: str) -> None:
    db = _db(tmp_path)
    with open_history(db, OPTIONAL, user_wants_encryption=direction == "decrypt") as store:
        fill(store)
        before = snapshot(store)
    key = keys.get_key(db) if direction == "decrypt" else cipher.new_key()
    if direction == "encrypt":
        keys.store_key(db, key)  # as open_history does: the key is kept before the copy
    old, new = (key, None) if direction == "decrypt" else (None, key)
    assert key is not None
    child = subprocess.run(
        [sys.executable, "-m", "tests.helpers.convert_and_die", str(db), stage]
        + [k.hex() if k else "-" for k in (old, new)],
        capture_output=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    # Whatever the stage, the next open finds all of it, in the old or the new form...
    convert.recover(db)
    kind = cipher.file_kind(db)
    assert kind == ("plain" if (direction == "encrypt") == (stage != "swapped") else "encrypted")
    with open_history(db, OPTIONAL, user_wants_encryption=kind == "encrypted") as store:
        assert snapshot(store) == before
    # ...and then finishes the conversion, still losing nothing.
    with open_history(db, OPTIONAL, user_wants_encryption=direction == "encrypt") as store:
        assert snapshot(store) == before
    assert sorted(p.name for p in db.parent.iterdir()) == ["enclave.sqlite3"]
    if direction == "encrypt":
        assert files_holding(db.parent, EVERY_WORD) == {}


def _encrypted_history(tmp_path: Path) -> Path:
    db = _db(tmp_path)
    with open_history(db, REQUIRED) as store:
        fill(store)
    return db


def test_missing_key_changes_nothing(tmp_path: Path) -> None:
    db = _encrypted_history(tmp_path)
    key = keys.get_key(db)
    keys.delete_key(db)
    digest = _sha(db)
    with pytest.raises(KeyUnavailable, match="not in this user's keyring") as caught:
        open_history(db, REQUIRED)
    assert caught.value.reason == "missing"
    for wanted in (True, False):  # neither converting way may touch it
        with pytest.raises(KeyUnavailable):
            open_history(db, OPTIONAL, user_wants_encryption=wanted)
    stand_in = open_history(db, REQUIRED, memory_if_unavailable=True)
    assert stand_in.unavailable_reason == "missing" and not stand_in.history_enabled
    stand_in.close()
    assert _sha(db) == digest
    assert key is not None
    keys.store_key(db, key)  # the key is back: so is the history
    with open_history(db, REQUIRED) as store:
        assert store.search("Quetzalcoatlus")


def test_wrong_key_changes_nothing(tmp_path: Path) -> None:
    db = _encrypted_history(tmp_path)
    keys.store_key(db, cipher.new_key())
    digest = _sha(db)
    for wanted in (True, False):
        with pytest.raises(KeyUnavailable, match="wrong key") as caught:
            open_history(db, OPTIONAL, user_wants_encryption=wanted)
        assert caught.value.reason == "wrong"
    assert _sha(db) == digest


def test_locked_keyring_changes_nothing(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    own = request.getfixturevalue("own_secret_service")
    db = _encrypted_history(tmp_path)
    digest = _sha(db)
    own.lock()
    with pytest.raises(KeyUnavailable, match="locked") as caught:
        open_history(db, REQUIRED)
    assert caught.value.reason == "locked"
    assert _sha(db) == digest


def test_no_keyring_changes_nothing_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.helpers.keyring_fixtures import use_backend_of_current_env

    db = _encrypted_history(tmp_path)
    digest = _sha(db)
    reachable = os.environ["DBUS_SESSION_BUS_ADDRESS"]
    # The keyring daemon's bus is gone (the backend was chosen while it ran).
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    try:
        with pytest.raises(KeyUnavailable) as caught:
            open_history(db, REQUIRED)
        assert caught.value.reason == "no_keyring"
        fresh = tmp_path / "other" / "enclave.sqlite3"
        with pytest.raises(KeyUnavailable):
            open_history(fresh, REQUIRED)  # never an encrypted file without a kept key
        assert not fresh.exists()
    finally:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", reachable)
        use_backend_of_current_env()
    assert _sha(db) == digest


def test_switching_while_the_store_is_open_keeps_the_same_store_working(tmp_path: Path) -> None:
    from app.core.store.opening import convert_open_store

    db = _db(tmp_path)
    store = open_history(db, OPTIONAL)
    try:
        fill(store)
        before = snapshot(store)
        convert_open_store(store, OPTIONAL, user_wants_encryption=True)
        assert store.encrypted and cipher.file_kind(db) == "encrypted"
        assert snapshot(store) == before
        conv = store.create_conversation(title="after the switch")
        store.add_message(conv.id, "user", "still writable")
        assert files_holding(db.parent, (*EVERY_WORD, "still writable")) == {}
        convert_open_store(store, OPTIONAL, user_wants_encryption=False)
        assert not store.encrypted and cipher.file_kind(db) == "plain"
        assert store.search("writable")
    finally:
        store.close()
