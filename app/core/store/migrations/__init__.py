"""Alembic migrations of the conversation database, run by `Store.open` (no alembic.ini needed)."""
