"""Message rows. Messages form a tree: regenerate and edit add a sibling under the same parent,
and the conversation's `active_leaf_id` says which root-to-leaf path is the one on screen."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, literal, or_, select, update
from sqlalchemy.orm import Session

from app.core.errors import EnclaveError
from app.core.store import conversations
from app.core.store.models import Conversation, Message, record_columns
from app.core.store.records import (
    ROLES,
    ROOT,
    STATUSES,
    MessageRecord,
    NotFoundError,
    storable_text,
)

COLUMNS = record_columns(Message, MessageRecord)
MAX_DEPTH = 1_000_000  # guards the recursive queries against a corrupted (cyclic) tree


def get(session: Session, message_id: int) -> Message:
    message = session.get(Message, message_id)
    if message is None:
        raise NotFoundError(f"There is no message with id {message_id}; it may have been deleted.")
    return message


def check_role_status(role: str | None, status: str | None) -> None:
    if role is not None and role not in ROLES:
        raise EnclaveError(f"Unknown message role {role!r}; use one of {', '.join(ROLES)}.")
    if status is not None and status not in STATUSES:
        raise EnclaveError(f"Unknown message status {status!r}; use one of {', '.join(STATUSES)}.")


def json_dict(value: Any, what: str) -> dict[str, Any] | None:
    """Parameters or stats as a JSON-safe dict; accepts dataclasses with `as_dict()`."""
    if value is None:
        return None
    if hasattr(value, "as_dict"):
        value = value.as_dict()
    if not isinstance(value, Mapping):
        raise EnclaveError(f"The message {what} must be a mapping, not {type(value).__name__}.")
    try:
        return json.loads(json.dumps(dict(value), allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise EnclaveError(f"The message {what} cannot be stored as JSON ({exc}).") from exc


def stat_columns(stats: Mapping[str, Any] | None) -> dict[str, Any]:
    """The headline numbers of a stats dict, kept in their own columns for the details view."""
    if not stats:
        return {}

    def number(key: str, kind: type) -> Any:
        value = stats.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return kind(value) if math.isfinite(value) else None

    tokens_per_s = number("tokens_per_s", float)
    if tokens_per_s is None:
        tokens_per_s = number("decode_tokens_per_s", float)
    return {
        "prompt_tokens": number("prompt_tokens", int),
        "generated_tokens": number("generated_tokens", int),
        "time_to_first_token_s": number("time_to_first_token_s", float),
        "tokens_per_s": tokens_per_s,
    }


def add(
    session: Session,
    now: datetime,
    conversation_id: int,
    role: str,
    content: str,
    *,
    parent_id: object,
    status: str,
    model_name: str | None,
    model_sha256: str | None,
    params: Any,
    stats: Any,
) -> Message:
    check_role_status(role, status)
    content = storable_text(content)
    conversation = conversations.get(session, conversation_id)
    if parent_id is None:
        parent = conversation.active_leaf_id
    elif parent_id is ROOT:
        parent = None
    else:
        parent = int(parent_id)  # type: ignore[call-overload]
        if get(session, parent).conversation_id != conversation_id:
            raise EnclaveError(
                f"Message {parent} belongs to another conversation; a reply must stay in "
                f"conversation {conversation_id}."
            )
    stats_dict = json_dict(stats, "statistics")
    message = Message(
        conversation_id=conversation_id,
        parent_id=parent,
        role=role,
        content=content,
        status=status,
        model_name=model_name,
        model_sha256=model_sha256,
        params=json_dict(params, "parameters"),
        stats=stats_dict,
        created_at=now,
        updated_at=now,
        **stat_columns(stats_dict),
    )
    session.add(message)
    session.flush()
    conversation.active_leaf_id = message.id
    conversation.updated_at = now
    if conversation.title_is_auto and not conversation.title and role == "user":
        conversation.title = conversations.derive_title(content)
    session.flush()
    return message


def add_turn(
    session: Session,
    now: datetime,
    conversation: Conversation,
    question: str | None,
    *,
    parent_id: object,
    params: Any,
    empty: bool = False,
) -> list[MessageRecord]:
    """A question (None: none, a regenerate) and its empty 'streaming' reply, in the caller's
    transaction; returns the active path, root first, ending with them. `parent_id` None puts
    the question after the active path's last message; `empty`: a conversation just created."""
    before: list[MessageRecord] | None = None
    if question is not None and parent_id is None:  # the path read once, for the history too
        before = [] if empty else active_path(session, conversation.id)
        parent_id = before[-1].id if before else ROOT
    added: list[Message] = []
    fields: dict[str, Any] = {"model_name": None, "model_sha256": None, "stats": None}
    if question is not None:
        asked = add(session, now, conversation.id, "user", question, parent_id=parent_id,
                    status="complete", params=None, **fields)  # fmt: skip
        added.append(asked)
        parent_id = asked.id
    reply = add(session, now, conversation.id, "assistant", "", parent_id=parent_id,
                status="streaming", params=params, **fields)  # fmt: skip
    added.append(reply)
    if before is None:  # a branch (regenerate, edit): the path through the new reply
        return active_path(session, conversation.id)
    return [*before, *(message.record() for message in added)]


def _records(
    session: Session, stmt: Select[Any], params: Mapping[str, Any] | None = None
) -> list[MessageRecord]:
    """Rows straight to records: no ORM objects for lists that can hold thousands."""
    return [MessageRecord(*row) for row in session.execute(stmt, params)]


def active_path(session: Session, conversation_id: int) -> list[MessageRecord]:
    conversation = conversations.get(session, conversation_id)
    leaf = conversation.active_leaf_id
    if leaf is None:  # only when the conversation is empty, or its leaf was removed
        leaf = session.scalar(
            select(func.max(Message.id)).where(Message.conversation_id == conversation_id)
        )
        if leaf is None:
            return []
    return _records(session, _path_to_leaf(), {"leaf": leaf})


@cache
def _path_to_leaf() -> Select[Any]:
    """The recursive query up from the message `:leaf`, built once: building it costs more
    than running it on a short conversation, and the window runs it at every turn."""
    path = (
        select(Message.id, Message.parent_id, literal(0).label("depth"))
        .where(Message.id == bindparam("leaf"))
        .cte("path", recursive=True)
    )
    path = path.union_all(
        select(Message.id, Message.parent_id, path.c.depth + 1)
        .join(path, Message.id == path.c.parent_id)
        .where(path.c.depth < MAX_DEPTH)
    )
    return select(*COLUMNS).join(path, Message.id == path.c.id).order_by(path.c.depth.desc())


def all_messages(session: Session, conversation_id: int) -> list[MessageRecord]:
    conversations.get(session, conversation_id)
    stmt = select(*COLUMNS).where(Message.conversation_id == conversation_id).order_by(Message.id)
    return _records(session, stmt)


def siblings(session: Session, message_id: int) -> list[MessageRecord]:
    """The alternatives of a message: same parent and role, oldest first (itself included)."""
    message = get(session, message_id)
    same_parent = (
        Message.parent_id.is_(None)
        if message.parent_id is None
        else Message.parent_id == message.parent_id
    )
    stmt = (
        select(*COLUMNS)
        .where(Message.conversation_id == message.conversation_id, same_parent)
        .where(Message.role == message.role)
        .order_by(Message.created_at, Message.id)
    )
    return _records(session, stmt)


def sibling_ids(session: Session, message_ids: Sequence[int]) -> dict[int, list[int]]:
    """`siblings` for many messages in two queries (a page of the chat view, not one each)."""
    if not message_ids:
        return {}
    key = (Message.id, Message.conversation_id, Message.parent_id, Message.role)
    asked = session.execute(select(*key).where(Message.id.in_(message_ids))).all()
    parents = {r.parent_id for r in asked if r.parent_id is not None}
    roots_of = {r.conversation_id for r in asked if r.parent_id is None}
    same_family = or_(
        Message.parent_id.in_(parents),
        and_(Message.parent_id.is_(None), Message.conversation_id.in_(roots_of)),
    )
    groups: dict[tuple[int, int | None, str], list[int]] = {}
    for r in session.execute(
        select(*key).where(same_family).order_by(Message.created_at, Message.id)
    ):
        groups.setdefault((r.conversation_id, r.parent_id, r.role), []).append(r.id)
    return {r.id: groups.get((r.conversation_id, r.parent_id, r.role), [r.id]) for r in asked}


def latest_descendant(session: Session, message_id: int) -> int:
    """The newest message under `message_id` (or itself): where the user last was on that branch."""
    tree = select(Message.id, literal(0).label("depth")).where(Message.id == message_id)
    tree = tree.cte("tree", recursive=True)
    tree = tree.union_all(
        select(Message.id, tree.c.depth + 1)
        .join(tree, Message.parent_id == tree.c.id)
        .where(tree.c.depth < MAX_DEPTH)
    )
    return int(session.scalar(select(func.max(tree.c.id))) or message_id)


def set_active_leaf(session: Session, conversation_id: int, message_id: int) -> Message:
    message = get(session, message_id)
    if message.conversation_id != conversation_id:
        raise EnclaveError(
            f"Message {message_id} is not part of conversation {conversation_id}; nothing changed."
        )
    leaf_id = latest_descendant(session, message_id)
    conversations.get(session, conversation_id).active_leaf_id = leaf_id
    session.flush()
    return get(session, leaf_id)


def update_fields(session: Session, now: datetime, message_id: int, **fields: Any) -> Message:
    message = get(session, message_id)
    check_role_status(None, fields.get("status"))
    if "content" in fields:
        fields["content"] = storable_text(fields["content"])
    if "params" in fields:
        fields["params"] = json_dict(fields["params"], "parameters")
    if "stats" in fields:
        fields["stats"] = json_dict(fields["stats"], "statistics")
        fields.update(stat_columns(fields["stats"]))
    for name, value in fields.items():
        setattr(message, name, value)
    message.updated_at = now
    session.flush()
    return message


def write_stream(
    session: Session,
    now: datetime,
    message_id: int,
    content: str,
    status: str | None = None,
    stats: Any = None,
) -> int:
    """One UPDATE for a streaming flush (no ORM load); returns the rows changed (0 = gone)."""
    values: dict[str, Any] = {"content": storable_text(content), "updated_at": now}
    if status is not None:
        check_role_status(None, status)
        values["status"] = status
    if stats is not None:
        values["stats"] = json_dict(stats, "statistics")
        values.update(stat_columns(values["stats"]))
    result = session.execute(update(Message).where(Message.id == message_id).values(**values))
    return result.rowcount or 0


def mark_interrupted(session: Session, now: datetime) -> int:
    stmt = (
        update(Message)
        .where(Message.status == "streaming")
        .values(status="partial", updated_at=now)
    )
    return session.execute(stmt).rowcount or 0


def count(session: Session, conversation_id: int | None) -> int:
    stmt = select(func.count()).select_from(Message)
    if conversation_id is not None:
        stmt = stmt.where(Message.conversation_id == conversation_id)
    return int(session.scalar(stmt) or 0)


def touch_conversation(session: Session, conversation_id: int, now: datetime) -> None:
    session.execute(
        update(Conversation).where(Conversation.id == conversation_id).values(updated_at=now)
    )
