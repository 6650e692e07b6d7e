"""Opening the user's history as the policy and the user want it: plain or encrypted.

The policy's `[history] encrypt` decides ("required", "off"), else the user's
`history_encrypted` setting ("optional"). A plain database that should be encrypted is
converted on the way in (and the reverse where the policy allows it), through convert.py.
Every start also erases what should be gone: deletions whose Undo time is over and, with
`retention_days`, conversations untouched for longer.

The key never sits beside the database: it is fetched from the OS keyring (keys.py). When it is
out of reach (no keyring, locked, missing, wrong), nothing is changed on disk and
`KeyUnavailable` says why; the window then opens with an in-memory history instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from app.core.audit import AuditTrail
from app.core.config.policy import HistoryPolicy
from app.core.store import cipher, convert, keys
from app.core.store.keys import KeyUnavailable
from app.core.store.records import utc_now
from app.core.store.store import Store


def wants_encryption(policy: HistoryPolicy, user_choice: bool) -> bool:
    return policy.encrypt == "required" or (policy.encrypt == "optional" and user_choice)


def open_history(
    path: Path,
    policy: HistoryPolicy,
    user_wants_encryption: bool = False,
    *,
    audit: AuditTrail | None = None,
    memory_if_unavailable: bool = False,
    clock: Callable[[], datetime] = utc_now,
    on_stage: convert.Stage | None = None,
) -> Store:
    """The store for `path`, converted to the wanted form, with expired history erased."""
    if not policy.enabled:
        return Store.open(None, history_enabled=False, clock=clock)
    try:
        key = _prepare(path, wants_encryption(policy, user_wants_encryption), audit, on_stage)
    except KeyUnavailable as exc:
        if not memory_if_unavailable:
            raise
        store = Store.open(None, history_enabled=False, clock=clock)
        store.audit = audit
        store.unavailable_reason = exc.reason
        store.unavailable_message = str(exc)
        return store
    store = Store.open(path, key=key, clock=clock)
    store.audit = audit
    store.purge_expired_deletions()
    if policy.retention_days:
        store.purge_older_than(policy.retention_days)
    return store


def convert_open_store(
    store: Store,
    policy: HistoryPolicy,
    user_wants_encryption: bool,
    on_stage: convert.Stage | None = None,
) -> None:
    """Turn encryption on or off while the app runs: the store's connections close, the file
    is converted, and the same Store reopens on it. On a failure (the key out of reach) the
    file is as it was, and the store's engine simply connects again as before."""
    if store.path is None:
        return
    store.disconnect()
    key = _prepare(
        store.path, wants_encryption(policy, user_wants_encryption), store.audit, on_stage
    )
    store.reopen(key)


def _prepare(
    path: Path, encrypt: bool, audit: AuditTrail | None, on_stage: convert.Stage | None
) -> bytes | None:
    """Bring the file to the wanted form; return the key to open it with (None: plain)."""
    convert.recover(path)
    kind = cipher.file_kind(path)
    if kind == "missing":
        return _key_for_new(path) if encrypt else None
    if kind == "plain":
        if not encrypt:
            return None
        key = _key_for_new(path)
        convert.convert(path, None, key, on_stage)
        _note(audit, "history_encrypted", path)
        return key
    key = keys.get_key(path)
    if key is None:
        raise KeyUnavailable("missing", path)
    if not cipher.opens_with(path, key):
        raise KeyUnavailable("wrong", path)
    if encrypt:
        return key
    convert.convert(path, key, None, on_stage)
    keys.delete_key(path)
    _note(audit, "history_decrypted", path)
    return None


def _key_for_new(path: Path) -> bytes:
    """The keyring's key for this path, or a new one stored there first (so a database is
    never encrypted with a key the keyring does not hold)."""
    key = keys.get_key(path)
    if key is None:
        key = cipher.new_key()
        keys.store_key(path, key)
    return key


def _note(audit: AuditTrail | None, event: str, path: Path) -> None:
    if audit is not None:
        audit.record(event, database=str(path))
