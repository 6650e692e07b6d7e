"""`enclave summarize FILE... [-o OUT] [--lang auto|en|fr] [--json]`: progress on stderr."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("summarize", help="summarise documents locally")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("-o", "--output", metavar="OUT")
    p.add_argument("--lang", choices=("auto", "en", "fr"), default="auto")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, runtime: Any) -> int:
    raise NotImplementedError
