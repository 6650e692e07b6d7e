"""`enclave history list [--json] | delete ID... | purge (--all | --older-than DAYS)`.

On the command line a deletion is final at once (no Undo): the rows, their full-text entries
and the WAL's copies are erased before the command returns. The store audits each, by counts.
"""

from __future__ import annotations

import argparse
import json
import sys

from app.core.config.runtime import Runtime
from app.core.errors import EnclaveError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("history", help="list, delete or purge the conversation history")
    p.set_defaults(run=run, history_action=None)
    actions = p.add_subparsers(dest="history_action", metavar="ACTION")
    listing = actions.add_parser("list", help="the conversations, newest first")
    listing.add_argument("--json", action="store_true", help="one JSON array")
    delete = actions.add_parser("delete", help="erase conversations for good (no Undo)")
    delete.add_argument("ids", nargs="+", type=int, metavar="ID")
    purge = actions.add_parser("purge", help="erase all history, or what is older than DAYS")
    which = purge.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every conversation and document")
    which.add_argument("--older-than", type=int, metavar="DAYS", help="untouched for DAYS days")


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    if args.history_action is None:
        print("enclave: history needs an action: list, delete or purge", file=sys.stderr)
        return 2
    if args.history_action == "purge" and args.older_than is not None and args.older_than < 1:
        raise EnclaveError("--older-than needs a number of days, 1 or more.")
    store = runtime.open_store()
    try:
        if args.history_action == "list":
            return _list(store, args.json)
        if args.history_action == "delete":
            counts = store.erase_conversations(args.ids)  # the store audits it, by counts
        else:
            counts = store.purge_all() if args.all else store.purge_older_than(args.older_than)
    finally:
        store.close()
    print(
        f"erased {counts.conversations} conversation(s), {counts.messages} message(s), "
        f"{counts.documents} document(s)"
    )
    return 0


def _list(store, as_json: bool) -> int:
    rows = [
        {
            "id": c.id,
            "title": c.title,
            "messages": store.count_messages(c.id),
            "pinned": c.pinned,
            "model": c.model,
            "created_at": c.created_at.isoformat(),
            "updated_at": c.updated_at.isoformat(),
        }
        for c in store.list_conversations(limit=1_000_000)
    ]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        pin = "*" if row["pinned"] else " "
        when = row["updated_at"][:16]
        print(f"{row['id']:>6}{pin} {when}  {row['messages']:>4} msgs  {row['title']}")
    return 0
