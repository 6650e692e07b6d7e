"""Delete means gone: after a purge no byte of a deleted conversation is left under the data dir."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from app.core.config.policy import HistoryPolicy
from app.core.config.runtime import Runtime
from app.core.store import DeletedError, NotFoundError, PurgeCounts, Store
from app.core.store.opening import open_history
from tests.helpers.cli import assert_one_clear_line, enclave
from tests.helpers.history_data import WORDS, files_holding, fill, snapshot


def _fts_terms(store: Store) -> set[str]:
    """Every term left in both FTS5 indexes (a TEMP vocabulary table: the file is unchanged)."""
    terms: set[str] = set()
    with store.engine.connect() as conn:
        for table in ("messages_fts", "chunks_fts"):
            conn.execute(
                text(f"CREATE VIRTUAL TABLE temp.v_{table} USING fts5vocab(main, {table}, row)")
            )
            terms |= {r[0] for r in conn.execute(text(f"SELECT term FROM temp.v_{table}"))}
            conn.execute(text(f"DROP TABLE temp.v_{table}"))
    return terms


def _assert_gone(data_dir: Path, store: Store | None, gone: str, kept: tuple[str, ...]) -> None:
    assert files_holding(data_dir, WORDS[gone]) == {}
    if store is not None:
        terms = _fts_terms(store)
        assert not {w.lower() for w in WORDS[gone]} & terms
        assert "quetzalcoatlus" not in terms or gone != "alpha"
        for name in kept:
            assert WORDS[name][0].lower() in terms
            assert len(store.search(WORDS[name][0])) == 2
            assert store.search_chunks(WORDS[name][2])


def test_delete_then_purge_while_open_leaves_nothing_on_disk(tmp_path: Path) -> None:
    """The window's path: delete (Undo), then the purge with the store still open."""
    runtime = Runtime.create(tmp_path / "data")
    store = runtime.open_store()
    filled = fill(store)
    store.delete_conversation(filled.ids["alpha"])
    counts = store.purge_deleted()
    assert counts == PurgeCounts(conversations=1, messages=2, documents=1)
    wal = runtime.paths.database.with_name("enclave.sqlite3-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed and truncated
    _assert_gone(runtime.paths.data_dir, store, "alpha", ("beta", "gamma"))
    with pytest.raises(NotFoundError):
        store.get_conversation(filled.ids["alpha"])
    assert store.integrity_check() == []
    store.close()
    assert files_holding(runtime.paths.data_dir, WORDS["alpha"]) == {}


def test_cli_delete_is_final_and_the_rest_survives(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Runtime.create(data).open_store() as store:
        filled = fill(store)
    result = enclave("history", "delete", str(filled.ids["beta"]), data_dir=data)
    assert result.code == 0, result.err
    assert "erased 1 conversation(s), 2 message(s), 1 document(s)" in result.out
    _assert_gone(data, None, "beta", ())
    listed = json.loads(enclave("history", "list", "--json", data_dir=data).out)
    assert sorted(c["id"] for c in listed) == sorted([filled.ids["alpha"], filled.ids["gamma"]])
    assert {c["messages"] for c in listed} == {2}
    for args in (
        ("export", str(filled.ids["beta"]), "--format", "md"),
        ("chat", "--continue", str(filled.ids["beta"]), "and then?"),
        ("history", "delete", str(filled.ids["beta"])),
    ):
        assert "no conversation" in assert_one_clear_line(enclave(*args, data_dir=data))
    with Runtime.create(data).open_store() as store:
        _assert_gone(data, store, "beta", ("alpha", "gamma"))


def test_a_deleted_conversation_cannot_be_exported_during_undo(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Runtime.create(data).open_store() as store:
        filled = fill(store)
        store.delete_conversation(filled.ids["gamma"])
        with pytest.raises(DeletedError):
            store.get_conversation(filled.ids["gamma"])
    line = assert_one_clear_line(
        enclave("export", str(filled.ids["gamma"]), "--format", "json", data_dir=data)
    )
    assert "was deleted" in line or "no conversation" in line


def test_purge_all_and_older_than(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Runtime.create(data).open_store() as store:
        fill(store)
    assert enclave("history", "purge", "--older-than", "30", data_dir=data).out.startswith(
        "erased 0 conversation(s)"
    )
    result = enclave("history", "purge", "--all", data_dir=data)
    assert (
        result.code == 0 and "erased 3 conversation(s), 6 message(s), 3 document(s)" in result.out
    )
    every_word = tuple(w for words in WORDS.values() for w in words)
    assert files_holding(data, every_word) == {}
    assert enclave("history", "purge", data_dir=data).code == 2  # --all or --older-than


def test_retention_at_open_erases_old_conversations_for_good(tmp_path: Path) -> None:
    db = tmp_path / "data" / "enclave.sqlite3"
    past = datetime.now(UTC) - timedelta(days=40)
    with Store.open(db, clock=lambda: past) as store:
        filled = fill(store)
    with Store.open(db) as store:  # touched now: kept by the retention
        store.add_message(filled.ids["beta"], "user", "and today?")
        recent = store.create_conversation(title="recent")
        store.add_message(recent.id, "user", "fresh words")
    store = open_history(db, HistoryPolicy(retention_days=30))
    try:
        assert sorted(c.title for c in store.list_conversations()) == [
            "About Zanzibarquartz",
            "recent",
        ]
        _assert_gone(tmp_path / "data", store, "alpha", ("beta",))
        _assert_gone(tmp_path / "data", store, "gamma", ("beta",))
    finally:
        store.close()


def test_deletions_left_past_their_undo_time_are_erased_at_the_next_open(tmp_path: Path) -> None:
    db = tmp_path / "data" / "enclave.sqlite3"
    past = datetime.now(UTC) - timedelta(minutes=5)
    with Store.open(db, clock=lambda: past) as store:
        filled = fill(store)
        store.delete_conversation(filled.ids["alpha"])  # then the window was killed
    store = open_history(db, HistoryPolicy())
    try:
        _assert_gone(tmp_path / "data", store, "alpha", ("beta", "gamma"))
        assert snapshot(store)["search:Zanzibarquartz"]
    finally:
        store.close()


def test_a_reply_chain_longer_than_sqlites_trigger_depth_is_erased(tmp_path: Path) -> None:
    db = tmp_path / "data" / "enclave.sqlite3"
    with Store.open(db) as store:
        fill(store)
        long = store.create_conversation(title="long")
        for i in range(1_100):  # each message the parent of the next: a 1,100-deep chain
            store.add_message(long.id, ("user", "assistant")[i % 2], f"turn {i} of Quetzalcoatlus")
        assert store.erase_conversations([long.id]).messages == 1_100
        assert store.integrity_check() == []
        assert len(store.search("Zanzibarquartz")) == 2


def test_a_bulk_erasure_reindexes_what_remains(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from app.core.store import erase

    monkeypatch.setattr(erase, "REBUILD_ABOVE", 1)  # any erasure takes the bulk path
    data = tmp_path / "data"
    store = Store.open(data / "enclave.sqlite3")
    try:
        filled = fill(store)
        assert store.erase_conversations([filled.ids["gamma"]]).messages == 2
        _assert_gone(data, store, "gamma", ("alpha", "beta"))
        assert store.integrity_check() == []
        conv = store.add_message(filled.ids["beta"], "user", "a later Kilimanjarovox")
        assert [h.message_id for h in store.search("Kilimanjarovox")] == [conv.id]  # triggers back
    finally:
        store.close()
