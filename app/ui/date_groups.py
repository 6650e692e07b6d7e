"""Sidebar sections: Pinned, Today, Yesterday, Previous 7 days, Older (by last activity)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import Enum


class Group(Enum):
    PINNED = 0
    TODAY = 1
    YESTERDAY = 2
    WEEK = 3
    OLDER = 4


def group_of(pinned: bool, updated_at: datetime, today: date | None = None) -> Group:
    if pinned:
        return Group.PINNED
    if updated_at.tzinfo is None:
        updated_at = updated_at.replace(tzinfo=UTC)
    day = updated_at.astimezone().date()  # the user's local calendar day
    today = today or datetime.now().astimezone().date()
    if day >= today:
        return Group.TODAY
    if day == today - timedelta(days=1):
        return Group.YESTERDAY
    if day >= today - timedelta(days=7):
        return Group.WEEK
    return Group.OLDER
