"""A conversation remembers its model: name and sha256 beside the `model` spec.

Older conversations take the model of their last reply that names one.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LAST_REPLY = """(SELECT m.{column} FROM messages AS m
    WHERE m.conversation_id = conversations.id AND m.role = 'assistant'
      AND m.model_sha256 IS NOT NULL
    ORDER BY m.id DESC LIMIT 1)"""


def upgrade() -> None:
    op.add_column("conversations", sa.Column("model_name", sa.Text(), nullable=True))
    op.add_column("conversations", sa.Column("model_sha256", sa.String(64), nullable=True))
    op.execute(
        "UPDATE conversations SET "
        f"model_name = {_LAST_REPLY.format(column='model_name')}, "
        f"model_sha256 = {_LAST_REPLY.format(column='model_sha256')}"
    )
    op.execute(
        "UPDATE conversations SET model = 'sha256:' || model_sha256 "
        "WHERE model IS NULL AND model_sha256 IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_column("conversations", "model_sha256")  # SQLite >= 3.35
    op.drop_column("conversations", "model_name")
