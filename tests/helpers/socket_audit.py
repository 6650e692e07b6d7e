"""Record every socket a Python process creates or uses, through the interpreter's audit hooks.

Two uses:

* in a test process: `with SocketAudit() as audit: ...` records the events raised while the
  block runs (the hook is installed once and stays, as audit hooks cannot be removed; outside a
  block it records nothing);
* around a whole program: `python -m tests.helpers.socket_audit LOG -m app ARGS...` installs
  the hook before anything else is imported, runs the module as `__main__`, and appends one
  JSON line per event to LOG as it happens (so a crash cannot lose what came before).

The events are CPython's own (`socket.__new__`, `socket.connect`, `socket.getaddrinfo`…), so
they see every socket made through Python, including by libraries; sockets made by C code
(llama.cpp, Qt) need strace, which the zero-network proof also uses when it is installed.
"""

from __future__ import annotations

import json
import os
import runpy
import socket
import sys
import threading
from types import TracebackType
from typing import Any, ClassVar, TextIO

EVENTS = frozenset(
    {
        "socket.__new__", "socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg",
        "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
        "socket.gethostbyaddr", "socket.getnameinfo", "socket.getservbyname",
        "http.client.connect", "urllib.Request", "ftplib.connect", "smtplib.connect",
        "poplib.connect", "imaplib.open", "nntplib.connect", "telnetlib.Telnet.open",
        "webbrowser.open",
    }
)  # fmt: skip


def describe(event: str, args: tuple[Any, ...]) -> dict[str, Any]:
    """A JSON-able record: the event, the socket family when there is one, the arguments."""
    record: dict[str, Any] = {"event": event}
    if event == "socket.__new__" and len(args) >= 2:
        family = args[1]
        if family == -1 and isinstance(args[0], socket.socket):
            family = args[0].family
        record["family"] = _family_name(family)
    elif args and isinstance(args[0], socket.socket):
        record["family"] = _family_name(args[0].family)
        args = args[1:]
    record["args"] = [repr(a)[:200] for a in args]
    return record


def _family_name(family: Any) -> str:
    try:
        return socket.AddressFamily(family).name
    except (ValueError, TypeError):
        return str(family)


def is_local_only(record: dict[str, Any]) -> bool:
    """A Unix-domain socket (Qt's single-instance server, a multiprocessing pipe) is local."""
    return record.get("family") == "AF_UNIX"


class SocketAudit:
    """Records the socket events raised (in any thread) while the block runs."""

    _lock = threading.Lock()
    _active: ClassVar[list[SocketAudit]] = []
    _installed = False

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    @classmethod
    def _hook(cls, event: str, args: tuple[Any, ...]) -> None:
        if event in EVENTS and cls._active:
            record = describe(event, args)
            for audit in list(cls._active):
                audit.records.append(record)

    def __enter__(self) -> SocketAudit:
        with self._lock:
            if not SocketAudit._installed:
                sys.addaudithook(SocketAudit._hook)
                SocketAudit._installed = True
            SocketAudit._active.append(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:
            SocketAudit._active.remove(self)

    @property
    def network(self) -> list[dict[str, Any]]:
        """Everything that was not a local Unix-domain socket."""
        return [r for r in self.records if not is_local_only(r)]


def read_log(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _run_program(log_path: str, argv: list[str]) -> None:
    log: TextIO = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 - open for the whole run
    lock = threading.Lock()

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event in EVENTS:
            line = json.dumps(describe(event, args))
            with lock:
                log.write(line + "\n")
                log.flush()

    sys.addaudithook(hook)
    if argv[:1] != ["-m"] or len(argv) < 2:
        raise SystemExit("usage: python -m tests.helpers.socket_audit LOG -m MODULE [ARGS...]")
    module = argv[1]
    sys.argv = [module, *argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    _run_program(sys.argv[1], sys.argv[2:])
