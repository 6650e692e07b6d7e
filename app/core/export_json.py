"""Conversations as versioned JSON, and back: a strict reader that only ever writes to the store.

The import never follows anything named inside the file (no paths, no URLs): it validates every
field, then inserts the conversation in one transaction, so a bad file changes nothing.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from app.core.errors import EnclaveError
from app.core.store import (
    ROLES,
    STATUSES,
    ConversationRecord,
    ImportedConversation,
    ImportedMessage,
    MessageRecord,
    Store,
)

FORMAT: Final = "enclave-conversation"
VERSION: Final = 1
MAX_IMPORT_BYTES: Final = 64 * 1024 * 1024
MAX_MESSAGES: Final = 100_000
MAX_TITLE_CHARS: Final = 1_000
MAX_META_BYTES: Final = 64 * 1024  # params / stats of one message

_CONVERSATION_KEYS = {
    "title": (str, True),
    "title_is_auto": (bool, False),
    "system_prompt": (str, False),
    "model": ((str, type(None)), False),
    "model_name": ((str, type(None)), False),
    "model_sha256": ((str, type(None)), False),
    "pinned": (bool, False),
    "created_at": (str, True),
    "updated_at": (str, False),
}
_MESSAGE_KEYS = {
    "id": (int, False),
    "parent_id": ((int, type(None)), False),
    "role": (str, True),
    "content": (str, True),
    "status": (str, False),
    "model_name": ((str, type(None)), False),
    "model_sha256": ((str, type(None)), False),
    "params": ((dict, type(None)), False),
    "prompt_tokens": ((int, type(None)), False),
    "generated_tokens": ((int, type(None)), False),
    "time_to_first_token_s": ((int, float, type(None)), False),
    "tokens_per_s": ((int, float, type(None)), False),
    "stats": ((dict, type(None)), False),
    "created_at": (str, True),
    "updated_at": (str, False),
}
_TOP_KEYS = {"format", "version", "exported_at", "conversation", "active_leaf_id", "messages"}


class ImportFormatError(EnclaveError):
    """A file given to `import_json` is not a valid Enclave conversation export."""


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def conversation_to_dict(
    conversation: ConversationRecord,
    messages: Sequence[MessageRecord],
    include_reasoning: bool = False,
) -> dict[str, Any]:
    """The export document; parents outside `messages` fall back to the previous message. A
    model's reasoning (stats `reasoning`) is left out unless asked for."""
    ids = {m.id for m in messages}
    items = []
    previous: int | None = None
    for m in messages:
        parent = m.parent_id if (m.parent_id is None or m.parent_id in ids) else previous
        items.append(
            {
                "id": m.id,
                "parent_id": parent,
                "role": m.role,
                "content": m.content,
                "status": m.status,
                "model_name": m.model_name,
                "model_sha256": m.model_sha256,
                "params": m.params,
                "prompt_tokens": m.prompt_tokens,
                "generated_tokens": m.generated_tokens,
                "time_to_first_token_s": m.time_to_first_token_s,
                "tokens_per_s": m.tokens_per_s,
                "stats": m.stats if include_reasoning else _without_reasoning(m.stats),
                "created_at": _iso(m.created_at),
                "updated_at": _iso(m.updated_at),
            }
        )
        previous = m.id
    leaf = conversation.active_leaf_id
    if leaf not in ids:
        leaf = messages[-1].id if messages else None
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _iso(datetime.now(UTC)),
        "conversation": {
            "title": conversation.title,
            "title_is_auto": conversation.title_is_auto,
            "system_prompt": conversation.system_prompt,
            "model": conversation.model,
            "model_name": conversation.model_name,
            "model_sha256": conversation.model_sha256,
            "pinned": conversation.pinned,
            "created_at": _iso(conversation.created_at),
            "updated_at": _iso(conversation.updated_at),
        },
        "active_leaf_id": leaf,
        "messages": items,
    }


def to_json(
    conversation: ConversationRecord,
    messages: Sequence[MessageRecord],
    include_reasoning: bool = False,
) -> str:
    document = conversation_to_dict(conversation, messages, include_reasoning)
    return json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False)


def _without_reasoning(stats: dict[str, Any] | None) -> dict[str, Any] | None:
    if not stats or "reasoning" not in stats:
        return stats
    return {k: v for k, v in stats.items() if k not in ("reasoning", "reasoning_s")}


# -- reading ------------------------------------------------------------------------------
def _fail(what: str) -> ImportFormatError:
    return ImportFormatError(f"This is not a valid Enclave conversation export: {what}.")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _fail(f"the key {key!r} appears twice")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise _fail(f"it contains {name}, which is not valid JSON")


def parse_json(data: str | bytes | bytearray) -> Any:
    size = len(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    if size > MAX_IMPORT_BYTES:
        raise ImportFormatError(
            f"The file is {size / 1e6:.1f} MB; conversation imports are limited to "
            f"{MAX_IMPORT_BYTES / 1e6:.0f} MB. Split it or export a shorter conversation."
        )
    try:
        return json.loads(data, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except ImportFormatError:
        raise
    except UnicodeDecodeError as exc:
        raise _fail("it is not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise _fail(f"the JSON is malformed at line {exc.lineno}, column {exc.colno}") from exc
    except (RecursionError, ValueError) as exc:
        raise _fail("the JSON is nested too deeply or holds an impossible value") from exc


def _check_object(obj: Any, spec: Mapping[str, tuple[Any, bool]], where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise _fail(f"{where} must be an object")
    unknown = sorted(set(obj) - set(spec))
    if unknown:
        raise _fail(f"{where} has an unknown field {unknown[0]!r}")
    for key, (types, required) in spec.items():
        if key not in obj:
            if required:
                raise _fail(f"{where} lacks the field {key!r}")
            continue
        value = obj[key]
        numeric_bool = isinstance(value, bool) and bool not in _as_tuple(types)
        if numeric_bool or not isinstance(value, types):
            raise _fail(f"{where}: {key!r} has the wrong type ({type(value).__name__})")
        if isinstance(value, float) and not math.isfinite(value):
            raise _fail(f"{where}: {key!r} is not a finite number")
        if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value < 2**63:
            raise _fail(f"{where}: {key!r} is out of range")
    return obj


def _as_tuple(types: Any) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def _time(value: str, where: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise _fail(f"{where} is not an ISO 8601 date and time ({value[:40]!r})") from exc


def _meta(value: dict[str, Any] | None, where: str) -> dict[str, Any] | None:
    if value is not None and len(json.dumps(value)) > MAX_META_BYTES:
        raise _fail(f"{where} is larger than {MAX_META_BYTES // 1024} KB")
    return value


def _message(raw: Any, index: int, key: int, parent: int | None) -> ImportedMessage:
    where = f"message {index + 1}"
    item = _check_object(raw, _MESSAGE_KEYS, where)
    if item["role"] not in ROLES:
        raise _fail(f"{where} has the unknown role {item['role'][:20]!r}")
    status = item.get("status", "complete")
    if status not in STATUSES:
        raise _fail(f"{where} has the unknown status {status[:20]!r}")
    created = _time(item["created_at"], f"{where} created_at")
    number = {name: item.get(name) for name in ("prompt_tokens", "generated_tokens")}
    rate = {name: item.get(name) for name in ("time_to_first_token_s", "tokens_per_s")}
    return ImportedMessage(
        key=key,
        parent_key=parent,
        role=item["role"],
        content=item["content"],
        status="partial" if status == "streaming" else status,  # nothing streams any more
        model_name=item.get("model_name"),
        model_sha256=item.get("model_sha256"),
        params=_meta(item.get("params"), f"{where} params"),
        stats=_meta(item.get("stats"), f"{where} stats"),
        created_at=created,
        updated_at=_time(item["updated_at"], f"{where} updated_at")
        if "updated_at" in item
        else created,
        **number,
        **{k: None if v is None else float(v) for k, v in rate.items()},
    )


def validate(document: Any) -> ImportedConversation:
    """Check an export document field by field; raise ImportFormatError at the first problem."""
    if not isinstance(document, dict):
        raise _fail("the top level must be a JSON object")
    try:  # lone surrogates ("\\ud800") parse as JSON but cannot be stored as UTF-8
        json.dumps(document, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _fail("it contains text that is not valid Unicode") from exc
    except (TypeError, ValueError, RecursionError) as exc:
        raise _fail("it holds values that are not plain JSON") from exc
    if document.get("format") != FORMAT:
        raise _fail(f"the 'format' field must be {FORMAT!r}")
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _fail("the 'version' field must be a whole number")
    if version != VERSION:
        raise ImportFormatError(
            f"This conversation was exported in format version {version}; this Enclave reads "
            f"version {VERSION}. Update Enclave to import it."
        )
    unknown = sorted(set(document) - _TOP_KEYS)
    if unknown:
        raise _fail(f"it has an unknown field {unknown[0]!r}")
    conv = _check_object(document.get("conversation"), _CONVERSATION_KEYS, "'conversation'")
    raw_messages = document.get("messages")
    if not isinstance(raw_messages, list):
        raise _fail("'messages' must be a list")
    if len(raw_messages) > MAX_MESSAGES:
        raise _fail(f"it holds {len(raw_messages)} messages, more than the {MAX_MESSAGES} allowed")
    with_ids = [isinstance(m, dict) and "id" in m for m in raw_messages]
    if any(with_ids) and not all(with_ids):
        raise _fail("either every message has an 'id' or none does")
    messages: list[ImportedMessage] = []
    seen: set[int] = set()
    for index, raw in enumerate(raw_messages):
        if all(with_ids):
            key = raw["id"]
            parent = raw.get("parent_id")
            if isinstance(key, int) and key in seen:
                raise _fail(f"message {index + 1} repeats the id {key}")
            if isinstance(parent, int) and not isinstance(parent, bool) and parent not in seen:
                raise _fail(f"message {index + 1} refers to a parent that does not come before it")
        else:
            key, parent = index, (index - 1 if index else None)
        message = _message(raw, index, key, parent)
        seen.add(message.key)
        messages.append(message)
    leaf = document.get("active_leaf_id")
    valid_leaf = isinstance(leaf, int) and not isinstance(leaf, bool) and leaf in seen
    if leaf is not None and not (all(with_ids) and valid_leaf):
        raise _fail("'active_leaf_id' does not name one of its messages")
    title = " ".join(conv["title"].split())
    if len(title) > MAX_TITLE_CHARS:
        raise _fail(f"the title is longer than {MAX_TITLE_CHARS} characters")
    created = _time(conv["created_at"], "the conversation's created_at")
    return ImportedConversation(
        title=title,
        title_is_auto=conv.get("title_is_auto", not title),
        system_prompt=conv.get("system_prompt", ""),
        model=conv.get("model"),
        model_name=conv.get("model_name"),
        model_sha256=_sha256_or_none(conv.get("model_sha256")),
        pinned=conv.get("pinned", False),
        created_at=created,
        updated_at=_time(conv["updated_at"], "the conversation's updated_at")
        if "updated_at" in conv
        else created,
        messages=tuple(messages),
        active_leaf_key=leaf,
    )


def import_json(
    store: Store, data: str | bytes | bytearray | Mapping[str, Any]
) -> ConversationRecord:
    """Validate an export (text, bytes or parsed) and add it to the store as a new conversation."""
    document = dict(data) if isinstance(data, Mapping) else parse_json(data)
    return store.import_conversation(validate(document))


def _sha256_or_none(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[0-9a-f]{64}", value):
        raise _fail("the conversation's model_sha256 is not a sha256 in hex")
    return value
