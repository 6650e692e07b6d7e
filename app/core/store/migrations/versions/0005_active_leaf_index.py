"""An index on conversations.active_leaf_id, so deleting messages stays fast.

Deleting a message makes SQLite look for conversations whose active leaf it is (the foreign
key's ON DELETE SET NULL); without an index that is a scan of every conversation per message,
which made erasing a long conversation, or all of them, take seconds to minutes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_conversations_active_leaf_id", "conversations", ["active_leaf_id"])


def downgrade() -> None:
    op.drop_index("ix_conversations_active_leaf_id", "conversations")
