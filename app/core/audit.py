"""The local audit trail: what the app did, never what was said.

One JSON line per event, appended, each carrying its own sha256 and the sha256 of the line before
it, so editing, removing or reordering a line breaks the chain at that line. A small head file
next to the trail records how many lines there are and the last line's hash, so cutting lines off
the end is seen too. Callers pass names, counts, sha256s and paths; never a prompt, a reply or
a document's text.
Appends take an exclusive file lock, so several processes (window, CLI, API) share one trail.
On Linux an event is also sent to the system journal when its socket exists (the journal's
native datagram protocol: no dependency).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.core.config.policy import AuditPolicy

FieldValue = str | int | float | bool | None
GENESIS = "0" * 64  # the "previous hash" of the first line
JOURNAL_SOCKET = Path("/run/systemd/journal/socket")
_TAIL_BYTES = 64 * 1024  # enough to hold the last line of any trail

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    lines: int  # the lines read
    bad_line: int | None = None  # 1-based number of the first line that fails
    reason: str = ""


class AuditTrail:
    """An append-only, hash-chained event log; `AuditTrail(None)` records nothing."""

    def __init__(self, path: Path | None, *, journal_socket: Path | None = None) -> None:
        self.path = path
        self.journal_socket = journal_socket
        self._warned = False

    @property
    def enabled(self) -> bool:
        return self.path is not None

    @property
    def head_path(self) -> Path | None:
        return None if self.path is None else self.path.with_name(self.path.name + ".head")

    def record(self, event: str, **fields: FieldValue) -> None:
        """Append one event. An unwritable trail is logged, never fatal to the user's work."""
        if self.path is None:
            return
        for name, value in fields.items():
            if not isinstance(value, str | int | float | bool | type(None)):
                raise TypeError(f"audit field {name} must be a plain value, not {type(value)}")
        try:
            line = self._append(event, fields)
        except OSError as exc:
            if not self._warned:
                log.warning("cannot write the audit trail %s: %s", self.path, exc)
                self._warned = True
            return
        if self.journal_socket is not None:
            _send_to_journal(self.journal_socket, event, line)

    def _append(self, event: str, fields: dict[str, FieldValue]) -> str:
        assert self.path is not None and self.head_path is not None
        _private_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            with _locked(fd):
                previous, count = _last_line(fd)
                entry = {
                    "seq": count + 1,
                    "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                    "event": event,
                    "fields": fields,
                    "prev": _digest(previous) if previous is not None else GENESIS,
                }
                entry["hash"] = _digest(_dump(entry))  # its own hash: an edit names its line
                line = _dump(entry)
                os.write(fd, line.encode("utf-8") + b"\n")
                os.fsync(fd)
                head = json.dumps({"lines": count + 1, "sha256": _digest(line.encode("utf-8"))})
                _write_head(self.head_path, head)
        finally:
            os.close(fd)
        return line

    def events(self) -> list[dict]:
        """Every event that parses, oldest first (use `verify` to know they are intact)."""
        out = []
        for raw in self._raw_lines():
            with contextlib.suppress(ValueError):
                entry = json.loads(raw)
                if isinstance(entry, dict):
                    out.append(entry)
        return out

    def verify(self) -> VerifyResult:
        """Check the chain line by line and the head; name the first line that fails."""
        lines = self._raw_lines()
        previous = GENESIS
        for number, raw in enumerate(lines, start=1):
            try:
                entry = json.loads(raw)
            except ValueError:
                return VerifyResult(False, len(lines), number, "not a complete JSON line")
            if not isinstance(entry, dict) or not _self_consistent(entry):
                return VerifyResult(False, len(lines), number, "its content was altered")
            if entry.get("prev") != previous:
                return VerifyResult(
                    False, len(lines), number, "its previous-line hash does not match"
                )
            if entry.get("seq") != number:
                return VerifyResult(False, len(lines), number, "out of sequence")
            previous = _digest(raw)
        return self._verify_head(lines)

    def _verify_head(self, lines: list[bytes]) -> VerifyResult:
        """A crash between the line and the head leaves the head one line behind: tolerated;
        a head ahead of the file means lines were cut off the end."""
        assert self.head_path is not None
        try:
            head = json.loads(self.head_path.read_text(encoding="utf-8"))
            claimed, digest = int(head["lines"]), str(head["sha256"])
        except FileNotFoundError:
            if lines:
                return VerifyResult(False, len(lines), 1, "the head file is missing")
            return VerifyResult(True, 0)
        except (OSError, ValueError, KeyError, TypeError):
            return VerifyResult(False, len(lines), len(lines) or 1, "the head file is unreadable")
        if claimed > len(lines):
            return VerifyResult(
                False,
                len(lines),
                len(lines) + 1,
                f"the trail was cut short: {claimed} lines recorded, {len(lines)} present",
            )
        if claimed < len(lines) - 1 or (claimed and _digest(lines[claimed - 1]) != digest):
            return VerifyResult(False, len(lines), max(claimed, 1), "it does not match the head")
        return VerifyResult(True, len(lines))

    def _raw_lines(self) -> list[bytes]:
        if self.path is None:
            return []
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        return lines


def trail_for(policy: AuditPolicy, data_dir: Path) -> AuditTrail:
    """The trail the policy asks for: the data dir's `audit/`, or, in an admin's machine-wide
    folder, one sub-folder per user (each user's file stays private to that user)."""
    if not policy.enabled:
        return AuditTrail(None)
    if policy.directory is None:
        directory = data_dir / "audit"
    else:
        import getpass

        directory = policy.directory / getpass.getuser()
    journal = JOURNAL_SOCKET if sys.platform.startswith("linux") else None
    return AuditTrail(directory / "audit.jsonl", journal_socket=journal)


def record_app_start(trail: AuditTrail, policy_file: Path | None) -> None:
    """`app_start` with the version and the policy in force (its path and sha256)."""
    from app import __version__

    digest = None
    if policy_file is not None:
        with contextlib.suppress(OSError):
            digest = hashlib.sha256(policy_file.read_bytes()).hexdigest()
    trail.record(
        "app_start",
        version=__version__,
        pid=os.getpid(),
        policy_file=str(policy_file) if policy_file else None,
        policy_sha256=digest,
    )


def _dump(entry: dict) -> str:
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":"))


def _self_consistent(entry: dict) -> bool:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return entry.get("hash") == _digest(_dump(body))


def _digest(line: bytes | str) -> str:
    raw = line.encode("utf-8") if isinstance(line, str) else line
    return hashlib.sha256(raw).hexdigest()


def _last_line(fd: int) -> tuple[bytes | None, int]:
    """The last complete line and the number of lines (from its `seq`, else by counting)."""
    size = os.fstat(fd).st_size
    if size == 0:
        return None, 0
    start = max(0, size - _TAIL_BYTES)
    tail = os.pread(fd, size - start, start).rstrip(b"\n")
    last = tail.rsplit(b"\n", 1)[-1]
    try:
        return last, int(json.loads(last)["seq"])
    except (ValueError, KeyError, TypeError):
        # A damaged tail: keep appending, chained to what is there; verify reports the damage.
        with open(fd, "rb", closefd=False) as f:
            f.seek(0)
            return last, sum(1 for _ in f)


def _write_head(path: Path, text: str) -> None:
    temp = path.with_name(path.name + ".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)


def _private_dir(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if sys.platform != "win32" and (directory.stat().st_mode & 0o777) != 0o700:
        with contextlib.suppress(OSError):  # a shared folder an admin made: leave its mode
            if directory.stat().st_uid == os.getuid():
                directory.chmod(0o700)


@contextlib.contextmanager
def _locked(fd: int) -> Iterator[None]:
    """An exclusive lock on the whole trail for the read-last-line-then-append step."""
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
        try:
            yield
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _send_to_journal(sock_path: Path, event: str, line: str) -> None:
    """Best effort: the journal's native protocol is KEY=value lines in one datagram."""
    if not sock_path.exists():
        return
    payload = (
        (
            f"MESSAGE=enclave audit: {event}\nSYSLOG_IDENTIFIER=enclave\nPRIORITY=6\n"
            f"ENCLAVE_AUDIT_EVENT={event}\n"
        ).encode()
        + b"ENCLAVE_AUDIT_LINE\n"
        + len(line.encode()).to_bytes(8, "little")
        + (line.encode() + b"\n")
    )
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendto(payload, str(sock_path))
