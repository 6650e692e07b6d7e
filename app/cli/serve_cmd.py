"""`enclave serve [--port N]`: the local OpenAI-compatible API on 127.0.0.1.

Prints the base URL and the token file's path (0600, in the data dir), then serves until Ctrl-C.
Refused (exit 3) when the policy says `[api] enabled = false`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.core.config.runtime import Runtime


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="the local OpenAI-compatible API on 127.0.0.1")
    p.add_argument("--port", type=int, default=None, metavar="N",
                   help="port on 127.0.0.1 (default 8765; 0 picks a free one)")  # fmt: skip
    p.set_defaults(run=run)


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    from app.api.serve import DEFAULT_PORT, serve

    def announce(url: str, token_file: Path) -> None:
        print(f"Enclave API: {url}", flush=True)
        print(f"Token: {token_file} (Authorization: Bearer <its content>)", flush=True)
        print("Press Ctrl-C to stop.", file=sys.stderr, flush=True)

    serve(runtime, DEFAULT_PORT if args.port is None else args.port, announce)
    return 0
