"""The `enclave` command line (the contract is in DESIGN.md and docs/cli.md).

Exit codes: 0 ok · 1 error (one clear line on stderr) · 2 usage · 3 refused by policy ·
130 cancelled. No traceback ever reaches the user: unexpected failures are written to the log
file in the data directory and summarised in one line.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence

from app import __version__
from app.cli import (
    audit_cmd,
    chat_cmd,
    export_cmd,
    history_cmd,
    models_cmd,
    selftest_cmd,
    serve_cmd,
    servers_cmd,
    summarize_cmd,
)
from app.core import netguard
from app.core.backends.servers import allow_in_guard
from app.core.config.paths import make_private_file
from app.core.config.runtime import Runtime
from app.core.errors import EnclaveError

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_REFUSED, EXIT_CANCELLED = 0, 1, 2, 3, 130
_COMMANDS = (
    chat_cmd,
    summarize_cmd,
    models_cmd,
    history_cmd,
    export_cmd,
    selftest_cmd,
    audit_cmd,
    servers_cmd,
    serve_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="enclave",
        description="Enclave: a private AI assistant that runs entirely on this computer.",
    )
    parser.add_argument("--version", action="version", version=f"Enclave {__version__}")
    parser.add_argument("--data-dir", metavar="DIR", help="where history, models and settings live")
    parser.add_argument("--policy", metavar="FILE", help="admin policy file to apply")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in _COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    netguard.install()
    runtime: Runtime | None = None
    try:
        runtime = Runtime.create(args.data_dir, args.policy)
        allow_in_guard(runtime.policy, runtime.paths.data_dir)  # the policy's servers only
        if args.command != "audit":  # reading the trail is not an event in it
            from app.core.audit import record_app_start

            record_app_start(runtime.audit, runtime.policy.source)
        if args.command is None:
            return _open_window(runtime)
        return int(args.run(args, runtime) or 0)
    except EnclaveError as exc:
        print(f"enclave: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("enclave: cancelled", file=sys.stderr)
        return EXIT_CANCELLED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # the last line of defence: log, one line, exit 1
        where = _log_crash(runtime)
        print(f"enclave: unexpected error: {exc!r}{where}", file=sys.stderr)
        return EXIT_ERROR


def gui_main() -> int:
    """Entry point for desktop launchers: no sub-command, same options."""
    return main(sys.argv[1:])


def _open_window(runtime: Runtime) -> int:
    from app.ui.application import run_app

    return run_app(runtime)


def _log_crash(runtime: Runtime | None) -> str:
    if runtime is None:
        return ""
    try:
        log = make_private_file(runtime.paths.logs_dir / "enclave.log")  # 0600, like all data
        # A handler of its own: basicConfig does nothing once logging is set up elsewhere.
        handler = logging.FileHandler(log, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger = logging.getLogger("enclave")
        logger.addHandler(handler)
        try:
            logger.error("unexpected error\n%s", traceback.format_exc())
        finally:
            logger.removeHandler(handler)
            handler.close()
    except OSError:
        return ""
    return f" (details in {log})"
