"""Alembic migrations: the head constant, upgrades with data intact, models == migrations."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from setuptools import find_packages

from app.core.errors import StoreError
from app.core.store import Store, database
from app.core.store.models import Base

REPO = Path(__file__).resolve().parents[2]


def make_database_at(path: Path, revision: str) -> None:
    """A real database file migrated only up to `revision`, as an older Enclave left it."""
    database.prepare_file(path)
    engine = database.create_file_engine(path)
    try:
        database.migrate(engine, path, target=revision)
    finally:
        engine.dispose()


def test_head_constant_matches_the_migration_scripts() -> None:
    scripts = ScriptDirectory.from_config(database.alembic_config())
    assert scripts.get_heads() == [database.HEAD_REVISION]
    revisions = [s.revision for s in scripts.walk_revisions()]
    assert revisions == ["0005", "0004", "0003", "0002", "0001"]


def test_upgrade_from_0001_keeps_the_data(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    make_database_at(db, "0001")
    raw = sqlite3.connect(db)
    with raw:
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "documents" not in tables and "conversations" in tables
        raw.execute(
            "INSERT INTO conversations (id, title, title_is_auto, system_prompt, pinned, "
            "created_at, updated_at, active_leaf_id) VALUES "
            "(1, 'Old chat', 0, 'Be kind', 1, '2024-05-01 10:00:00.000000', "
            "'2024-05-01 10:05:00.000000', 2)"
        )
        raw.execute(
            "INSERT INTO messages (id, conversation_id, parent_id, role, content, status, "
            "params, prompt_tokens, created_at, updated_at) VALUES "
            "(1, 1, NULL, 'user', 'Remember the aubergine', 'complete', NULL, NULL, "
            "'2024-05-01 10:00:00.000000', '2024-05-01 10:00:00.000000'), "
            "(2, 1, 1, 'assistant', 'Aubergine noted', 'cancelled', '{\"seed\": 3}', 17, "
            "'2024-05-01 10:05:00.000000', '2024-05-01 10:05:00.000000')"
        )
    raw.close()

    with Store.open(db) as store:
        conv = store.get_conversation(1)
        path = store.active_path(1)
        assert (conv.title, conv.system_prompt, conv.pinned) == ("Old chat", "Be kind", True)
        assert conv.created_at.isoformat() == "2024-05-01T10:00:00+00:00"
        assert [(m.role, m.content, m.status) for m in path] == [
            ("user", "Remember the aubergine", "complete"),
            ("assistant", "Aubergine noted", "cancelled"),
        ]
        assert path[1].params == {"seed": 3} and path[1].prompt_tokens == 17
        assert {h.message_id for h in store.search("aubergine")} == {1, 2}
        document = store.add_document(1, name="new.txt", sha256="d" * 64, size_bytes=3)
        assert store.documents(1) == [document]  # the 0002 tables now exist
        assert store.integrity_check() == []
    engine = database.create_file_engine(db)
    try:
        assert database.current_revision(engine) == database.HEAD_REVISION
    finally:
        engine.dispose()


def test_models_match_the_migrated_schema(tmp_path: Path) -> None:
    db = tmp_path / "schema.sqlite3"
    Store.open(db).close()
    engine = database.create_file_engine(db)

    def ours(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object):
        # FTS5 tables and their shadow tables are made by raw SQL, not by the models.
        return not (type_ == "table" and name is not None and "_fts" in name) and name != (
            "alembic_version"
        )

    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"include_object": ours, "compare_type": True}
            )
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    db = tmp_path / "roundtrip.sqlite3"
    with Store.open(db) as store:
        conv = store.create_conversation(title="kept")
        store.add_message(conv.id, "user", "through a downgrade")
    engine = database.create_file_engine(db)
    try:
        config = database.alembic_config()
        with database.write_engine(engine).begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0001")
        assert database.current_revision(engine) == "0001"
    finally:
        engine.dispose()
    with Store.open(db) as store:
        assert [c.title for c in store.list_conversations()] == ["kept"]
        assert store.search("downgrade")[0].conversation_title == "kept"


def test_a_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    db = tmp_path / "future.sqlite3"
    Store.open(db).close()
    raw = sqlite3.connect(db)
    with raw:
        raw.execute("UPDATE alembic_version SET version_num = '0999'")
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    with pytest.raises(StoreError, match="newer version of Enclave"):
        Store.open(db)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_migration_scripts_ship_in_the_package() -> None:
    packages = find_packages(where=str(REPO), include=["app*"])
    assert "app.core.store.migrations" in packages
    assert "app.core.store.migrations.versions" in packages
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '"*.mako"' in pyproject  # script.py.mako is package data
    migrations = Path(database.MIGRATIONS_DIR)
    assert (migrations / "env.py").is_file() and (migrations / "script.py.mako").is_file()


def test_upgrade_to_0003_gives_old_conversations_the_model_of_their_last_reply(
    tmp_path: Path,
) -> None:
    db = tmp_path / "old.sqlite3"
    make_database_at(db, "0002")
    first, last = "1" * 64, "2" * 64
    raw = sqlite3.connect(db)
    with raw:
        raw.execute(
            "INSERT INTO conversations (id, title, title_is_auto, system_prompt, pinned, "
            "created_at, updated_at) VALUES "
            "(1, 'Two models', 0, '', 0, '2024-05-01 10:00:00.000000', "
            "'2024-05-01 10:05:00.000000'), "
            "(2, 'No reply', 0, '', 0, '2024-05-01 10:00:00.000000', "
            "'2024-05-01 10:05:00.000000')"
        )
        raw.execute(
            "INSERT INTO messages (id, conversation_id, parent_id, role, content, status, "
            "model_name, model_sha256, created_at, updated_at) VALUES "
            "(1, 1, NULL, 'user', 'q', 'complete', NULL, NULL, "
            "'2024-05-01 10:00:00.000000', '2024-05-01 10:00:00.000000'), "
            "(2, 1, 1, 'assistant', 'a', 'complete', 'Old model', :first, "
            "'2024-05-01 10:01:00.000000', '2024-05-01 10:01:00.000000'), "
            "(3, 1, 2, 'user', 'q2', 'complete', NULL, NULL, "
            "'2024-05-01 10:02:00.000000', '2024-05-01 10:02:00.000000'), "
            "(4, 1, 3, 'assistant', 'a2', 'complete', 'New model', :last, "
            "'2024-05-01 10:03:00.000000', '2024-05-01 10:03:00.000000')",
            {"first": first, "last": last},
        )
    raw.close()
    with Store.open(db) as store:
        conv = store.get_conversation(1)
        assert (conv.model, conv.model_name, conv.model_sha256) == (
            f"sha256:{last}",
            "New model",
            last,
        )
        empty = store.get_conversation(2)
        assert (empty.model, empty.model_name, empty.model_sha256) == (None, None, None)


def test_an_encrypted_database_is_upgraded_like_a_plain_one(tmp_path: Path) -> None:
    from app.core.store import cipher, convert

    db = tmp_path / "old.sqlite3"
    make_database_at(db, "0003")
    raw = sqlite3.connect(db)
    with raw:
        raw.execute(
            "INSERT INTO conversations (id, title, title_is_auto, system_prompt, pinned, "
            "created_at, updated_at) VALUES (1, 'Kept', 0, '', 0, '2024-05-01 10:00:00.000000', "
            "'2024-05-01 10:00:00.000000')"
        )
        raw.execute(
            "INSERT INTO messages (id, conversation_id, role, content, status, created_at, "
            "updated_at) VALUES (1, 1, 'user', 'Quetzalcoatlus', 'complete', "
            "'2024-05-01 10:00:00.000000', '2024-05-01 10:00:00.000000')"
        )
    raw.close()
    key = cipher.new_key()
    convert.convert(db, None, key)  # an encrypted history left by an older Enclave
    with Store.open(db, key=key) as store:
        engine = store.engine
        assert database.current_revision(engine) == database.HEAD_REVISION
        assert [h.message_id for h in store.search("Quetzalcoatlus")] == [1]
        assert store.integrity_check() == []
    assert cipher.file_kind(db) == "encrypted"
