"""Alembic environment: runs on the connection `Store.open` hands over in `config.attributes`.

For development, `alembic -x db=PATH revision --autogenerate -m "…"` also works: without a
connection it opens the SQLite file named by `-x db=`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from app.core.store.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    # render_as_batch: SQLite cannot ALTER most things; batch mode copies the table instead.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    db = context.get_x_argument(as_dictionary=True).get("db", "enclave-dev.sqlite3")
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
