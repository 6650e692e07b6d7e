"""`enclave audit show [--json] | verify`: read the audit trail; verify exits 1 if altered."""

from __future__ import annotations

import argparse
import json
import sys

from app.core.config.runtime import Runtime
from app.core.errors import EnclaveError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("audit", help="show or verify the audit trail (events, never content)")
    p.set_defaults(run=run, audit_action=None)
    actions = p.add_subparsers(dest="audit_action", metavar="ACTION")
    show = actions.add_parser("show", help="list the recorded events")
    show.add_argument("--json", action="store_true", help="one JSON array of the events")
    actions.add_parser("verify", help="check that no line was altered, removed or reordered")


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    trail = runtime.audit
    if not trail.enabled:
        raise EnclaveError("The audit trail is turned off by the admin policy ([audit] enabled).")
    if args.audit_action == "verify":
        result = trail.verify()
        if not result.ok:
            raise EnclaveError(
                f"the audit trail {trail.path} fails at line {result.bad_line}: {result.reason}."
            )
        print(f"audit trail intact: {result.lines} events ({trail.path})")
        return 0
    if args.audit_action != "show":
        print("enclave: audit needs an action: show or verify", file=sys.stderr)
        return 2
    events = trail.events()
    if args.json:
        print(json.dumps(events, ensure_ascii=False, indent=2))
        return 0
    for e in events:
        fields = " ".join(f"{k}={v}" for k, v in (e.get("fields") or {}).items())
        print(f"{e.get('seq', '?'):>5} {e.get('time', '')} {e.get('event', '')} {fields}".rstrip())
    return 0
