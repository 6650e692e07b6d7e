"""Saved KV state files without a model: format, damage, the disk budget, erasure with the
conversation, and none kept beside an encrypted or in-memory history."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from app.core.config.runtime import Runtime
from app.core.kv_cache import StateSession, session_for
from app.core.kv_cache.directory import enforce_budget, state_files, state_path
from app.core.kv_cache.state_file import StateFileError, read_header, read_payload, write_state
from app.core.store import Store

SIGNATURE = {"format": 1, "model_sha256": "ab" * 32, "n_ctx": 2048}


def save(directory: Path, conversation_id: int, size: int = 4096, fill: int = 7) -> Path:
    path = state_path(directory, conversation_id)
    payload = memoryview(bytes([fill]) * size)
    write_state(path, SIGNATURE, tuple(range(300)), 280, payload)
    return path


def test_a_state_file_reads_back_owner_only_in_a_private_folder(tmp_path: Path) -> None:
    directory = tmp_path / "kv"
    path = save(directory, 3)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    header = read_header(path)
    assert (header.signature, header.tokens[:3], header.n_prompt) == (SIGNATURE, (0, 1, 2), 280)
    assert read_payload(path, header) == bytes([7]) * 4096
    assert [p.name for p in directory.iterdir()] == [path.name]  # no temporary file left


@pytest.mark.parametrize(
    "damage",
    ["flip a payload byte", "flip a token in the header", "truncate", "cut the header",
     "append", "garbage", "empty"],
)  # fmt: skip
def test_a_damaged_file_is_refused_before_its_bytes_are_used(tmp_path: Path, damage: str) -> None:
    path = save(tmp_path, 1)
    raw = bytearray(path.read_bytes())
    if damage == "flip a payload byte":
        raw[-100] ^= 0xFF
    elif damage == "flip a token in the header":
        at = raw.index(b"[0,1,2,")
        raw[at + 3] = ord("9")
    elif damage == "truncate":
        del raw[len(raw) // 2 :]
    elif damage == "cut the header":
        del raw[30:]
    elif damage == "append":
        raw += b"\0"
    elif damage == "garbage":
        raw = bytearray(os.urandom(len(raw)))
    else:
        raw = bytearray()
    path.write_bytes(bytes(raw))
    with pytest.raises(StateFileError):
        read_payload(path, read_header(path))


def test_the_budget_evicts_the_least_recently_used_first(tmp_path: Path) -> None:
    paths = [save(tmp_path, i, size=10_000) for i in (1, 2, 3)]
    for age, path in enumerate(reversed(paths)):  # 1 oldest, 3 newest
        os.utime(path, (1_000_000 - age * 100, 1_000_000 - age * 100))
    os.utime(paths[0])  # conversation 1 was just restored: now the most recent
    one = paths[0].stat().st_size
    removed = enforce_budget(tmp_path, 2 * one + 10)
    assert removed == [paths[1]]
    assert sorted(state_files(tmp_path)) == sorted([paths[0], paths[2]])
    assert enforce_budget(tmp_path, 0) and state_files(tmp_path) == []


def test_a_temporary_file_left_by_a_dead_writer_goes_once_stale(tmp_path: Path) -> None:
    fresh = tmp_path / ".conversation-1.kv.123.abcd.tmp"
    stale = tmp_path / ".conversation-2.kv.456.abcd.tmp"
    for path in (fresh, stale):
        path.write_bytes(b"x" * 100)
    os.utime(stale, (1_000_000, 1_000_000))
    enforce_budget(tmp_path, 1 << 30)
    assert fresh.exists() and not stale.exists()


@pytest.fixture
def store(tmp_path: Path):
    runtime = Runtime.create(tmp_path / "data")
    opened = runtime.open_store()
    yield opened
    opened.close()


def test_deleting_a_conversation_erases_its_state_overwritten_and_unlinked(
    store: Store, tmp_path: Path
) -> None:
    kept, gone = (store.create_conversation().id for _ in range(2))
    kept_path, gone_path = save(store.states_dir, kept), save(store.states_dir, gone)
    witness = tmp_path / "same-inode"
    os.link(gone_path, witness)  # sees the bytes the file had when it was unlinked
    store.erase_conversations([gone])  # `enclave history delete`
    assert not gone_path.exists() and kept_path.exists()
    assert witness.read_bytes() == bytes(witness.stat().st_size)  # zeros: content overwritten


def test_undo_keeps_the_state_until_the_deletion_is_final(store: Store) -> None:
    conversation = store.create_conversation().id
    path = save(store.states_dir, conversation)
    store.delete_conversation(conversation)  # the window's delete, Undo still possible
    store.purge_expired_deletions()
    assert path.exists()
    store.purge_deleted()  # Undo time over
    assert not path.exists()


def test_delete_all_and_retention_erase_states_too(store: Store) -> None:
    paths = [save(store.states_dir, store.create_conversation().id) for _ in range(3)]
    orphan = save(store.states_dir, 999)  # left by a process that died before an erase
    store.purge_all()
    assert not any(p.exists() for p in [*paths, orphan])


def test_no_state_is_kept_beside_an_encrypted_or_in_memory_history(tmp_path: Path) -> None:
    runtime = Runtime.create(tmp_path / "data")
    plain = runtime.open_store()
    conversation = plain.create_conversation().id
    session = session_for(runtime, plain, conversation)
    assert session == StateSession(conversation, runtime.paths.kv_cache_dir, 2048 << 20)
    path = save(session.path.parent, conversation)
    plain.close()
    encrypted = Store.open(runtime.paths.data_dir / "secret.sqlite3", key=os.urandom(32))
    assert encrypted.encrypted and session_for(runtime, encrypted, 1) is None
    assert not path.exists()  # the plain-text states went when an encrypted history opened
    encrypted.close()
    assert session_for(runtime, Store.open(None, history_enabled=False), 1) is None


def test_a_budget_of_zero_keeps_no_state(tmp_path: Path) -> None:
    runtime = Runtime.create(tmp_path / "data")
    runtime.settings.update(kv_cache_mb=0)
    store = runtime.open_store()
    assert session_for(runtime, store, store.create_conversation().id) is None
    store.close()
