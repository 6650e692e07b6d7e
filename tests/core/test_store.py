"""The conversation store on real SQLite files: round trip, pragmas, permissions, branches."""

from __future__ import annotations

import dataclasses
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import alembic.command
import pytest
from sqlalchemy import text

from app.core.errors import EnclaveError
from app.core.store import (
    ROOT,
    ConversationRecord,
    DeletedError,
    MessageRecord,
    NotFoundError,
    PurgeCounts,
    Store,
    database,
)
from app.core.types import GenerationParams, GenerationStats


class StepClock:
    """Each call is one second after the previous one: distinct, ordered timestamps."""

    def __init__(self, start: datetime = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "enclave.sqlite3"


@pytest.fixture
def store(db_path: Path):
    with Store.open(db_path, clock=StepClock()) as opened:
        yield opened


def test_round_trip_keeps_every_field(db_path: Path) -> None:
    params = GenerationParams(max_tokens=64, temperature=0.2, seed=7, stop=("</s>",))
    stats = GenerationStats(
        prompt_tokens=12,
        prompt_tokens_evaluated=12,
        generated_tokens=30,
        time_to_first_token_s=0.25,
        decode_tokens_per_s=41.5,
        total_s=1.0,
    )
    with Store.open(db_path) as store:
        conv = store.create_conversation(title="Trip", system_prompt="Be brief.", model="gemma")
        user = store.add_message(conv.id, "user", "Plan a trip to Lyon\nwith details")
        reply = store.add_message(
            conv.id,
            "assistant",
            "Day 1: Vieux Lyon. 🍷",
            status="partial",
            model_name="gemma-3-270m",
            model_sha256="a" * 64,
            params=params,
            stats=stats,
        )
    with Store.open(db_path) as store:
        loaded = store.get_conversation(conv.id)
        path = store.active_path(conv.id)
    assert loaded.title == "Trip" and not loaded.title_is_auto
    assert (loaded.system_prompt, loaded.model) == ("Be brief.", "gemma")
    assert loaded.active_leaf_id == reply.id
    assert loaded.created_at.tzinfo is not None and loaded.created_at.utcoffset() == timedelta(0)
    assert [m.id for m in path] == [user.id, reply.id]
    assert path[0] == user and path[1] == reply
    stored = path[1]
    assert stored.parent_id == user.id and stored.status == "partial"
    assert stored.content == "Day 1: Vieux Lyon. 🍷"
    assert (stored.model_name, stored.model_sha256) == ("gemma-3-270m", "a" * 64)
    assert stored.params == params.as_dict()
    assert stored.stats == stats.as_dict()
    assert (stored.prompt_tokens, stored.generated_tokens) == (12, 30)
    assert stored.time_to_first_token_s == pytest.approx(0.25)
    assert stored.tokens_per_s == pytest.approx(41.5)


def test_records_are_frozen_plain_data(store: Store) -> None:
    conv = store.create_conversation()
    message = store.add_message(conv.id, "user", "hi")
    assert isinstance(conv, ConversationRecord) and isinstance(message, MessageRecord)
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.content = "changed"  # type: ignore[misc]


def test_wal_foreign_keys_and_sync_are_on(store: Store, db_path: Path) -> None:
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
    independent = sqlite3.connect(db_path)
    try:  # WAL is a property of the file, seen by any connection
        assert independent.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        independent.close()


def test_database_files_are_private_and_directory_untouched(tmp_path: Path) -> None:
    directory = tmp_path / "shared"
    directory.mkdir()
    directory.chmod(0o755)
    db = directory / "enclave.sqlite3"
    with Store.open(db) as store:
        conv = store.create_conversation()
        store.add_message(conv.id, "user", "secret")
        side_files = [db.with_name(db.name + s) for s in ("-wal", "-shm")]
        assert any(p.exists() for p in side_files)
        for path in [db, *side_files]:
            if path.exists():
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(directory.stat().st_mode) == 0o755


def test_existing_loose_file_is_tightened(tmp_path: Path) -> None:
    db = tmp_path / "enclave.sqlite3"
    db.touch()
    db.chmod(0o644)
    Store.open(db).close()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_missing_directory_is_created_private(tmp_path: Path) -> None:
    db = tmp_path / "new" / "deeper" / "enclave.sqlite3"
    Store.open(db).close()
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700


def test_list_pinned_first_then_recent_and_no_deleted(store: Store) -> None:
    a = store.create_conversation(title="a")
    store.create_conversation(title="b")
    c = store.create_conversation(title="c")
    d = store.create_conversation(title="d")
    store.add_message(a.id, "user", "a is now the most recent")
    store.set_pinned(c.id, True)
    store.delete_conversation(d.id)
    assert [x.title for x in store.list_conversations()] == ["c", "a", "b"]
    assert [x.title for x in store.list_conversations(limit=2)] == ["c", "a"]
    assert store.count_conversations() == 3
    assert store.count_conversations(include_deleted=True) == 4


def test_title_comes_from_first_user_message(store: Store) -> None:
    long = (
        "\n\n   Could you   explain how the   sidebar sorts conversations when many are pinned?"
        "\nmore"
    )
    conv = store.create_conversation()
    store.add_message(conv.id, "system", "ignored for titles")
    store.add_message(conv.id, "user", long)
    store.add_message(conv.id, "user", "a second message does not retitle")
    title = store.get_conversation(conv.id).title
    assert title == "Could you explain how the sidebar sorts conversations when…"
    assert len(title) <= 61 and "  " not in title
    unbroken = store.create_conversation()
    store.add_message(unbroken.id, "user", "x" * 100)
    assert store.get_conversation(unbroken.id).title == "x" * 60 + "…"


def test_rename_survives_reopen_and_stops_auto_title(db_path: Path) -> None:
    with Store.open(db_path) as store:
        conv = store.create_conversation()
        store.rename_conversation(conv.id, "  Budget   2025 ")
        store.add_message(conv.id, "user", "this would have been the title")
        with pytest.raises(EnclaveError, match="cannot be empty"):
            store.rename_conversation(conv.id, "   ")
    with Store.open(db_path) as store:
        renamed = store.get_conversation(conv.id)
    assert renamed.title == "Budget 2025" and not renamed.title_is_auto


def test_regenerate_keeps_both_answers(store: Store) -> None:
    conv = store.create_conversation()
    question = store.add_message(conv.id, "user", "Name a colour")
    first = store.add_message(conv.id, "assistant", "Blue")
    second = store.add_sibling(first.id, "Green")
    assert second.parent_id == question.id and second.role == "assistant"
    assert [m.content for m in store.siblings(first.id)] == ["Blue", "Green"]
    assert [m.content for m in store.active_path(conv.id)] == ["Name a colour", "Green"]
    store.set_active_leaf(conv.id, first.id)
    assert [m.content for m in store.active_path(conv.id)] == ["Name a colour", "Blue"]
    assert store.count_messages(conv.id) == 3


def test_sibling_ids_in_one_read_match_siblings_of_each(store: Store) -> None:
    conv = store.create_conversation()
    other = store.create_conversation()
    q = store.add_message(conv.id, "user", "Name a colour")
    q_alt = store.add_sibling(q.id, "Name a fruit")  # a root-level alternative
    store.add_message(other.id, "user", "unrelated root")  # another conversation's root
    a = store.add_message(conv.id, "assistant", "Apple")
    b = store.add_sibling(a.id, "Pear")
    asked = [q.id, q_alt.id, a.id, b.id]
    batch = store.sibling_ids(asked)
    assert batch == {m: [s.id for s in store.siblings(m)] for m in asked}
    assert batch[q.id] == [q.id, q_alt.id] and batch[b.id] == [a.id, b.id]
    assert store.sibling_ids([]) == {}


def test_edit_and_resend_branches_and_keeps_the_old_branch(store: Store) -> None:
    conv = store.create_conversation()
    u1 = store.add_message(conv.id, "user", "Hello")
    store.add_message(conv.id, "assistant", "Hi")
    u2 = store.add_message(conv.id, "user", "Tell me about Paris")
    a2 = store.add_message(conv.id, "assistant", "Paris is the capital of France.")
    u2b = store.add_sibling(u2.id, "Tell me about Lyon")
    store.add_message(conv.id, "assistant", "Lyon is on the Rhône.")
    assert [m.content for m in store.active_path(conv.id)] == [
        "Hello",
        "Hi",
        "Tell me about Lyon",
        "Lyon is on the Rhône.",
    ]
    assert [m.id for m in store.siblings(u2.id)] == [u2.id, u2b.id]
    # Choosing the old question shows its branch down to the answer that followed it.
    leaf = store.set_active_leaf(conv.id, u2.id)
    assert leaf.id == a2.id
    assert store.active_path(conv.id)[-2:] == [store.get_message(u2.id), a2]
    # Editing the very first message makes a second root.
    root_edit = store.add_sibling(u1.id, "Bonjour")
    assert root_edit.parent_id is None
    assert [m.content for m in store.active_path(conv.id)] == ["Bonjour"]
    assert [m.content for m in store.siblings(u1.id)] == ["Hello", "Bonjour"]
    assert store.add_message(conv.id, "user", "again", parent_id=ROOT).parent_id is None


def test_set_active_leaf_rejects_a_message_of_another_conversation(store: Store) -> None:
    one, two = store.create_conversation(), store.create_conversation()
    message = store.add_message(one.id, "user", "in one")
    with pytest.raises(EnclaveError, match="not part of conversation"):
        store.set_active_leaf(two.id, message.id)
    with pytest.raises(EnclaveError, match="another conversation"):
        store.add_message(two.id, "assistant", "x", parent_id=message.id)


def test_bad_arguments_are_clear_errors(store: Store) -> None:
    conv = store.create_conversation()
    with pytest.raises(EnclaveError, match="Unknown message role"):
        store.add_message(conv.id, "robot", "x")
    with pytest.raises(EnclaveError, match="Unknown message status"):
        store.add_message(conv.id, "user", "x", status="done")
    with pytest.raises(NotFoundError, match="no conversation with id 999"):
        store.add_message(999, "user", "x")
    with pytest.raises(NotFoundError):
        store.get_message(12345)
    with pytest.raises(EnclaveError, match="JSON"):
        store.add_message(conv.id, "user", "x", params={"f": object()})
    assert store.find_conversation(999) is None
    assert store.count_messages(conv.id) == 0


def test_soft_delete_restore_and_purge(store: Store) -> None:
    conv = store.create_conversation(title="Holiday")
    store.add_message(conv.id, "user", "pineapple pizza")
    deleted = store.delete_conversation(conv.id)
    assert deleted.is_deleted
    assert store.list_conversations() == [] and store.search("pineapple") == []
    with pytest.raises(DeletedError, match="was deleted"):  # not openable, even during Undo
        store.get_conversation(conv.id)
    assert store.find_conversation(conv.id) is None
    restored = store.restore_conversation(conv.id)
    assert not restored.is_deleted
    assert [c.id for c in store.list_conversations()] == [conv.id]
    assert len(store.search("pineapple")) == 1
    store.delete_conversation(conv.id)
    assert store.purge_deleted() == PurgeCounts(conversations=1, messages=1, documents=0)
    with pytest.raises(NotFoundError):
        store.get_conversation(conv.id)
    assert store.count_messages() == 0
    assert store.integrity_check() == []


def test_purge_older_than_keeps_recent(db_path: Path) -> None:
    clock = StepClock(datetime(2025, 1, 1, tzinfo=UTC))
    with Store.open(db_path, clock=clock) as store:
        old = store.create_conversation(title="old")
        store.add_message(old.id, "user", "ancient history")
        clock.now += timedelta(days=40)
        recent = store.create_conversation(title="recent")
        store.add_message(recent.id, "user", "fresh")
        assert store.purge_older_than(0).conversations == 0
        assert store.purge_older_than(30).conversations == 1
        assert [c.title for c in store.list_conversations()] == ["recent"]
        assert store.search("ancient") == []
        assert store.count_messages() == 1
        assert store.integrity_check() == []


def test_update_message(store: Store) -> None:
    conv = store.create_conversation()
    message = store.add_message(conv.id, "assistant", "draft", status="streaming")
    updated = store.update_message(
        message.id, content="final", status="complete", stats={"generated_tokens": 3}
    )
    assert (updated.content, updated.status, updated.generated_tokens) == ("final", "complete", 3)
    assert updated.updated_at > message.updated_at
    assert store.get_message(message.id) == updated


def test_history_off_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "data" / "enclave.sqlite3"
    store = Store.open(db, history_enabled=False)
    assert not store.history_enabled
    conv = store.create_conversation()
    store.add_message(conv.id, "user", "keep this off the disk")
    assert [h.message_id for h in store.search("disk")] == [store.active_path(conv.id)[0].id]
    assert [c.id for c in store.list_conversations()] == [conv.id]
    store.close()
    # conftest's HOME and empty policy, nothing else
    assert sorted(tmp_path.iterdir()) == [tmp_path / "home", tmp_path / "no-policy.toml"]
    assert not db.exists()


def test_reopening_a_current_database_skips_migrations(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Store.open(db_path).close()

    def no_upgrade(*args: object, **kwargs: object) -> None:
        raise AssertionError("migrations ran on a database already at the newest schema")

    monkeypatch.setattr(alembic.command, "upgrade", no_upgrade)
    with Store.open(db_path) as store, store.engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert version == database.HEAD_REVISION


def test_broken_unicode_from_a_decoder_is_stored_replaced(store: Store) -> None:
    conv = store.create_conversation()
    message = store.add_message(conv.id, "assistant", "half an emoji \ud83d here")
    assert message.content == "half an emoji \ufffd here"
    writer = store.stream_writer(message.id, flush_interval_s=0)
    writer.append(" and \udc00")
    assert writer.finish().content == "half an emoji \ufffd here and \ufffd"
    with pytest.raises(EnclaveError, match="must be text"):
        store.add_message(conv.id, "user", b"bytes")  # type: ignore[arg-type]
