"""`enclave servers …`: the company inference servers this desktop may use.

    enclave servers list [--json]              the servers the policy names (and the user's own)
    enclave servers check [NAME] [--json]      reachable, TLS, token, models (exit 1 if one fails)
    enclave servers add NAME URL [--api-key-file F | --api-key-env VAR]
    enclave servers remove NAME

`add` and `remove` manage the user's own servers, allowed only where the policy says
`[network] allow_user_servers = true` (else exit 3).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from app.core.config.policy import ServerPolicy
from app.core.config.runtime import Runtime
from app.core.errors import EnclaveError, PolicyRefused


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "servers",
        help="the company inference servers: list, check, add, remove",
        description="Company inference servers (OpenAI-compatible) named by the policy.",
    )
    parser.set_defaults(run=run, servers_action=None)
    sub = parser.add_subparsers(dest="servers_action", metavar="ACTION")
    p = sub.add_parser("list", help="the servers this desktop may use")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("check", help="reachability, TLS, token and models of each server")
    p.add_argument("name", nargs="?", metavar="NAME")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("add", help="add a server of your own (if the policy allows it)")
    p.add_argument("name", metavar="NAME")
    p.add_argument("url", metavar="URL", help="the OpenAI-compatible base URL, e.g. …/v1")
    key = p.add_mutually_exclusive_group()
    key.add_argument("--api-key-file", metavar="FILE", help="a file holding the token")
    key.add_argument("--api-key-env", metavar="VAR", help="an environment variable holding it")
    p = sub.add_parser("remove", help="remove a server you added")
    p.add_argument("name", metavar="NAME")


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    action = args.servers_action or "list"
    if action == "list":
        return _list(runtime, getattr(args, "json", False))
    if action == "check":
        return _check(runtime, args.name, args.json)
    return _edit(runtime, args)


def _user_file(runtime: Runtime) -> Path:
    from app.core.backends.servers import user_servers_path

    return user_servers_path(runtime.paths.data_dir)


def _list(runtime: Runtime, as_json: bool) -> int:
    from app.core.backends.servers import servers_for

    servers = servers_for(runtime.policy, _user_file(runtime))
    own = runtime.policy.servers
    rows = [
        {"name": s.name, "url": s.url, "source": "policy" if s in own else "user",
         "models": list(s.models)}
        for s in servers
    ]  # fmt: skip
    if as_json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print("No company server: models run on this computer only.")
    for row in [] if as_json else rows:
        only = f"  models: {', '.join(row['models'])}" if row["models"] else ""
        print(f"{row['name']}\t{row['url']}\t({row['source']}){only}")
    return 0


def _check(runtime: Runtime, name: str | None, as_json: bool) -> int:
    from app.core.backends.probe import probe
    from app.core.backends.servers import server_for, servers_for

    if name:  # an unknown or unusable server: one line and its own exit code (3 if refused)
        server_for(runtime.policy, name, _user_file(runtime))
    names = [name] if name else [s.name for s in servers_for(runtime.policy, _user_file(runtime))]
    if not names:
        raise EnclaveError("The policy names no company server; there is nothing to check.")
    reports = [probe(runtime.policy, n, _user_file(runtime)) for n in names]
    if as_json:
        print(json.dumps([r.as_dict() for r in reports], indent=2))
    else:
        for r in reports:
            reach = {True: "yes", False: "no", None: "not tried"}[r.reachable]
            print(f"{r.name}\t{r.url}\t{'ok' if r.ok else 'FAILED'}")
            print(f"  reachable: {reach} · TLS: {r.tls} · token: {r.token}")
            print(f"  models: {', '.join(r.models) or 'none'}")
            if r.error:
                print(f"  {r.error}")
    return 0 if all(r.ok for r in reports) else 1


def _edit(runtime: Runtime, args: argparse.Namespace) -> int:
    from app.core.backends.servers import check_server_url, read_user_servers, write_user_servers

    policy = runtime.policy
    if not policy.network.allow_user_servers:
        raise PolicyRefused(
            "The administrator's policy does not let users add company servers; ask IT to add "
            "it to the policy's [[servers]]."
        )
    path = _user_file(runtime)
    servers = read_user_servers(path)
    if args.servers_action == "remove":
        kept = [s for s in servers if s.name != args.name]
        if len(kept) == len(servers):
            raise EnclaveError(f"You have added no server called {args.name!r}.")
        write_user_servers(path, kept)
        print(f"Removed {args.name}.")
        return 0
    url = args.url.rstrip("/")
    check_server_url(args.name, url, policy)
    if policy.server(args.name) or any(s.name == args.name for s in servers):
        raise EnclaveError(f"A server called {args.name!r} exists already; choose another name.")
    key_file = Path(args.api_key_file).expanduser().resolve() if args.api_key_file else None
    entry = ServerPolicy(args.name, url, api_key_file=key_file, api_key_env=args.api_key_env)
    write_user_servers(path, [*servers, entry])
    print(f"Added {args.name} ({url}); check it with `enclave servers check {args.name}`.")
    return 0
