"""Opening the SQLite database: file checks and permissions, engine and pragmas, migrations.

Every connection comes from SQLCipher's driver (see cipher.py), with a key when the history is
encrypted, and has `secure_delete` on: freed pages are zeroed, so a deleted row's bytes go.

Transactions are explicit: pysqlite's own BEGIN handling is switched off and SQLAlchemy's
`begin` event emits `BEGIN` (reads) or `BEGIN IMMEDIATE` (writes, via the `write_engine`), so a
writer takes the write lock up front and waits on `busy_timeout` instead of failing half-way.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import QueuePool, StaticPool

from app.core.errors import StoreError
from app.core.store import cipher
from app.core.store.failures import describe_failure

if TYPE_CHECKING:
    from alembic.config import Config

FILE_MODE: Final = 0o600
DIR_MODE: Final = 0o700
BUSY_TIMEOUT_MS: Final = 5000
SQLITE_MAGIC: Final = cipher.SQLITE_MAGIC
HEAD_REVISION: Final = "0005"  # kept equal to the newest migration (a test checks it)
MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"
_WRITE_OPTION: Final = "enclave_write"


def prepare_file(path: Path, *, encrypted: bool = False) -> None:
    """Create the database file private before SQLite touches it; refuse a foreign file (an
    encrypted one has no header to check: its key proves it, in refuse_foreign)."""
    try:
        if not path.parent.exists():
            path.parent.mkdir(parents=True, mode=DIR_MODE)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            header = os.read(fd, len(SQLITE_MAGIC))
            if header and header != SQLITE_MAGIC and not encrypted:
                raise StoreError(
                    f"The file {path} is not an Enclave conversation database (it is not a "
                    f"SQLite file); it was left untouched. Move it away or choose another data "
                    f"directory with --data-dir."
                )
            if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
                os.fchmod(fd, FILE_MODE)
        finally:
            os.close(fd)
    except OSError as exc:
        raise describe_failure(exc, path, "open") from exc


def refuse_foreign(path: Path, key: bytes | None = None) -> None:
    """Look (read only) before changing anything: a damaged file or another program's SQLite
    database is reported, never switched to WAL or given our tables."""
    try:
        conn = cipher.connect(path, key, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
    except cipher.Error as exc:
        raise describe_failure(exc, path, "open") from exc
    if names and "alembic_version" not in names:
        raise StoreError(
            f"The file {path} is a SQLite database that Enclave did not create; it was left "
            f"untouched. Move it away or choose another data directory with --data-dir."
        )


def secure_side_files(path: Path) -> None:
    """SQLite copies the database's mode to -wal/-shm; tighten them anyway if a umask widened."""
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        try:
            if side.exists() and stat.S_IMODE(side.stat().st_mode) & 0o077:
                side.chmod(FILE_MODE)
        except OSError:
            pass  # best effort: the database file itself is already private


def create_file_engine(path: Path, *, read_only: bool = False, key: bytes | None = None) -> Engine:
    """An engine on the file; read_only opens it as a read-only mount would (no WAL switch);
    `key` opens an encrypted database."""

    def connect() -> Any:
        return cipher.connect(path, key, read_only=read_only, timeout=BUSY_TIMEOUT_MS / 1000)

    engine = create_engine("sqlite://", module=cipher.dbapi, creator=connect, poolclass=QueuePool)
    _install_events(engine, wal=not read_only)
    return engine


def create_memory_engine() -> Engine:
    """History off: one shared in-memory connection; nothing reaches the disk."""
    engine = create_engine(
        "sqlite://",
        module=cipher.dbapi,
        creator=lambda: cipher.connect(":memory:"),
        poolclass=StaticPool,
    )
    _install_events(engine, wal=False)
    return engine


def checkpoint(engine: Engine) -> None:
    """Copy the WAL into the database and truncate it to zero bytes, so a purged row's old
    pages do not linger in the -wal file while the app stays open. Readers that hold an old
    snapshot make it busy: retried briefly, then left to the next purge or the close."""
    with engine.connect() as conn:
        for _ in range(20):
            busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if not busy:
                return
            conn.exec_driver_sql("SELECT 1")  # lets the busy handler wait for readers


def write_engine(engine: Engine) -> Engine:
    """The same engine and pool, but transactions start with BEGIN IMMEDIATE."""
    return engine.execution_options(**{_WRITE_OPTION: True})


def _install_events(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see module doc)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA secure_delete = ON")
            if wal:
                mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise cipher.Error(f"cannot switch to WAL (journal mode {mode})")
                cursor.execute("PRAGMA synchronous = NORMAL")  # durable in WAL, much faster
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        has_table = conn.execute(
            text("SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'")
        ).first()
        if has_table is None:
            return None
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        return None if row is None else str(row[0])


def alembic_config() -> Config:
    # Alembic is imported only when a schema change is due: it adds ~0.1 s to start-up.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate(engine: Engine, path: Path | None, target: str = "head") -> None:
    """Bring the schema to `target` (default head); skipped when it is already there."""
    where = str(path) if path else "the in-memory history"
    try:
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        raise describe_failure(exc, path, "open") from exc
    if revision == HEAD_REVISION and target == "head":
        return
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    config = alembic_config()
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    if revision is not None and revision not in known:
        raise StoreError(
            f"The conversation database {where} was written by a newer version of Enclave "
            f"(schema {revision}); update Enclave to open it. The file was left untouched."
        )
    try:
        with write_engine(engine).begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, target)
    except (SQLAlchemyError, CommandError) as exc:
        raise describe_failure(exc, path, "upgrade") from exc
