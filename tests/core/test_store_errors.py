"""Bad database files and hostile conditions give a clear StoreError and change nothing."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event

from app.core.errors import EnclaveError, StoreError
from app.core.store import Store, database


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def side_files(path: Path) -> list[Path]:
    return [p for p in path.parent.iterdir() if p != path]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A directory of its own, so the test sees every file the store leaves beside the database."""
    path = tmp_path / "db"
    path.mkdir()
    return path


def test_random_bytes_are_refused_and_left_untouched(folder: Path) -> None:
    db = folder / "enclave.sqlite3"
    db.write_bytes(os.urandom(64 * 1024))
    before = digest(db)
    with pytest.raises(StoreError) as caught:
        Store.open(db)
    message = str(caught.value)
    assert str(db) in message and "not an Enclave conversation database" in message
    assert "Traceback" not in message and "sqlalchemy" not in message.lower()
    assert digest(db) == before
    assert side_files(db) == []


def test_damaged_sqlite_file_is_refused_and_left_untouched(folder: Path) -> None:
    db = folder / "enclave.sqlite3"
    Store.open(db).close()
    blob = bytearray(db.read_bytes())
    blob[100:] = os.urandom(len(blob) - 100)  # keep the header, ruin everything else
    db.write_bytes(bytes(blob))
    for extra in side_files(db):
        extra.unlink()
    before = digest(db)
    with pytest.raises(StoreError, match=r"damaged|not an Enclave") as caught:
        Store.open(db)
    assert str(db) in str(caught.value)
    assert digest(db) == before


def test_a_foreign_sqlite_database_is_not_taken_over(folder: Path) -> None:
    db = folder / "photos.db"
    raw = sqlite3.connect(db)
    raw.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    raw.commit()
    raw.close()
    before = digest(db)
    with pytest.raises(StoreError, match="did not create") as caught:
        Store.open(db)
    assert str(db) in str(caught.value)
    assert digest(db) == before
    raw = sqlite3.connect(db)
    try:
        names = {r[0] for r in raw.execute("SELECT name FROM sqlite_master")}
    finally:
        raw.close()
    assert names == {"photos"}


def test_an_impossible_location_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where a directory should be")
    with pytest.raises(StoreError, match="--data-dir") as caught:
        Store.open(blocker / "enclave.sqlite3")
    assert str(blocker) in str(caught.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_a_read_only_directory_is_a_clear_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="--data-dir"):
            Store.open(locked / "enclave.sqlite3")
    finally:
        locked.chmod(0o700)


def test_a_read_only_database_is_a_clear_error(folder: Path) -> None:
    db = folder / "enclave.sqlite3"
    with Store.open(db) as store:
        conv = store.create_conversation(title="kept")
    # A read-only connection (as on a read-only mount) lets reads through, refuses writes.
    ro = Store(database.create_file_engine(db, read_only=True), db)
    try:
        assert [c.title for c in ro.list_conversations()] == ["kept"]
        with pytest.raises(StoreError, match="read-only") as caught:
            ro.rename_conversation(conv.id, "changed")
        assert "--data-dir" in str(caught.value)
    finally:
        ro.close()
    with Store.open(db) as store:
        assert store.get_conversation(conv.id).title == "kept"


def test_a_full_disk_is_a_clear_error_and_nothing_half_written(folder: Path) -> None:
    db = folder / "enclave.sqlite3"
    with Store.open(db) as store:
        conv = store.create_conversation()
        store.add_message(conv.id, "user", "small")
        pages = store.engine.connect().exec_driver_sql("PRAGMA page_count").scalar()

        # SQLite's own page limit raises exactly the error a full disk does (SQLITE_FULL).
        @event.listens_for(store.engine, "checkout")
        def _limit(dbapi_connection, record, proxy) -> None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 1}")

        with pytest.raises(StoreError, match="full") as caught:
            store.add_message(conv.id, "assistant", "x" * 200_000)
        assert isinstance(caught.value, EnclaveError)
        assert "free some space" in str(caught.value)
        event.remove(store.engine, "checkout", _limit)
        assert store.count_messages(conv.id) == 1
        assert store.get_conversation(conv.id).active_leaf_id == store.active_path(conv.id)[0].id
        assert store.integrity_check() == []
