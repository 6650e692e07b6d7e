"""Deleted text leaves the full-text indexes: FTS5 secure-delete on, old leftovers merged away.

Without secure-delete, FTS5 keeps a deleted row's tokens in its segments until a merge, so the
words of a deleted conversation stayed readable in messages_fts_data. The optimize pass rewrites
the indexes once, dropping what 0.1 left behind.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FTS_TABLES = ("messages_fts", "chunks_fts")


def upgrade() -> None:
    for table in FTS_TABLES:
        op.execute(f"INSERT INTO {table}({table}, rank) VALUES ('secure-delete', 1)")
        op.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")


def downgrade() -> None:
    for table in FTS_TABLES:
        op.execute(f"INSERT INTO {table}({table}, rank) VALUES ('secure-delete', 0)")
