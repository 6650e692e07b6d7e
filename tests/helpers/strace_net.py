"""Watch a whole process tree's socket system calls with strace (Linux), when it is installed.

Python's audit hooks see sockets made through Python; strace also sees those made by C code
(llama.cpp, Qt, a library's own resolver). `traced(argv, log)` wraps a command; after it ran,
`network_calls(log)` lists every call that involved anything but a local Unix-domain socket.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path

CALLS = "socket,socketpair,connect,bind,sendto,sendmsg,accept,accept4,listen"
_FAMILY = re.compile(r"\b(?:socket|socketpair)\((AF_\w+|\d+)|sa_family=(AF_\w+|\d+)")
LOCAL = {"AF_UNIX", "AF_LOCAL"}


@functools.cache
def available() -> bool:
    """strace is installed and may trace here (containers sometimes forbid ptrace)."""
    if shutil.which("strace") is None:
        return False
    probe = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=socket", "-o", "/dev/null", "true"],
        capture_output=True,
        timeout=30,
    )
    return probe.returncode == 0


def traced(argv: list[str], log: Path) -> list[str]:
    return ["strace", "-f", "-qq", "-e", f"trace={CALLS}", "-o", str(log), *argv]


def calls(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if re.search(r"\b\w+\(", line)]


def network_calls(log: Path) -> list[str]:
    """Calls on a socket family other than AF_UNIX (inet, inet6, netlink, packet…)."""
    found = []
    for line in calls(log):
        families = {a or b for a, b in _FAMILY.findall(line)}
        if families - LOCAL:
            found.append(line)
    return found
