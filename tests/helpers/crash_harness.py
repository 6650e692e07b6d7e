"""Start Enclave streaming a long reply, kill it with SIGKILL, and look at what was saved.

`Streaming` runs a command and records, with the time each byte arrived, the reply text it
prints: the command line prints the raw reply on stdout; the window driver
(tests/helpers/window_driver.py) prints JSON lines with the text as the chat view receives it.
After the kill, `streamed_before(t)` is the text that had reached the screen by time t: the
harness compares it with the text stored in the database.
"""

from __future__ import annotations

import codecs
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


class Streaming:
    """A child process whose reply text is captured, byte by byte, with arrival times."""

    def __init__(self, argv: list[str], env: dict[str, str], *, json_events: bool) -> None:
        self.json_events = json_events
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, bufsize=0
        )
        self._lock = threading.Lock()
        self._arrivals: list[tuple[float, str]] = []  # (time, text so far)
        self._text = ""
        self.events: list[dict] = []
        self.first_text = threading.Event()
        self.stderr = b""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._err_reader = threading.Thread(target=self._read_err, daemon=True)
        self._err_reader.start()
        self.killed_at: float | None = None

    def _read(self) -> None:
        assert self.proc.stdout is not None
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        while chunk := os.read(self.proc.stdout.fileno(), 65536):
            now = time.monotonic()
            text = decoder.decode(chunk)
            if self.json_events:
                pending += text
                *lines, pending = pending.split("\n")
                for line in lines:
                    self._event(now, line)
            elif text:
                self._append(now, text)

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        while chunk := os.read(self.proc.stderr.fileno(), 65536):
            self.stderr += chunk

    def _event(self, now: float, line: str) -> None:
        try:
            event = json.loads(line)
        except ValueError:
            return  # not ours (a library printing to stdout)
        self.events.append(event)
        if event.get("event") == "text":
            self._append(now, event["text"])

    def _append(self, now: float, text: str) -> None:
        with self._lock:
            self._text += text
            self._arrivals.append((now, self._text))
        self.first_text.set()

    @property
    def text(self) -> str:
        with self._lock:
            return self._text

    def streamed_before(self, moment: float) -> str:
        """The reply text that had arrived by `moment` (time.monotonic)."""
        with self._lock:
            before = [text for at, text in self._arrivals if at <= moment]
        return before[-1] if before else ""

    def timeline(self) -> list[tuple[float, int]]:
        """(seconds before the kill, characters so far) for each arrival: for failure notes."""
        end = self.killed_at or time.monotonic()
        with self._lock:
            return [(round(end - at, 2), len(text)) for at, text in self._arrivals]

    def kill(self) -> float:
        """SIGKILL now (if still running); returns the moment of the kill."""
        self.killed_at = time.monotonic()
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._reader.join(timeout=10)
        self._err_reader.join(timeout=10)
        return self.killed_at

    def finish(self, timeout: float) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=10)
        self._err_reader.join(timeout=10)
        return code


@dataclass(frozen=True)
class Row:
    id: int
    conversation_id: int
    role: str
    status: str
    content: str


def rows(db: Path) -> dict[int, Row]:
    """Every stored message; none when the database was never created, or killed before its
    tables were (the schema is created in one transaction: all of it or nothing)."""
    if not db.exists():
        return {}
    with sqlite3.connect(db) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "messages" not in tables:
            assert not tables, f"a half-created schema: {sorted(tables)}"
            return {}
        found = con.execute(
            "SELECT id, conversation_id, role, status, content FROM messages ORDER BY id"
        ).fetchall()
    return {r[0]: Row(*r) for r in found}


def integrity(db: Path) -> list[str]:
    """SQLite's own check after a crash (it also replays the WAL), and the foreign keys."""
    with sqlite3.connect(db) as con:
        problems = [r[0] for r in con.execute("PRAGMA integrity_check") if r[0] != "ok"]
        problems += [repr(r) for r in con.execute("PRAGMA foreign_key_check")]
    return problems


def kill_at_random_moment(run: Streaming, rng, *, anytime: bool, timeout: float = 120) -> float:
    """Kill at a random moment: any time from launch (`anytime`), else while the reply streams.

    Returns the moment of the kill. Waiting here is the point of the harness: the moment is
    drawn from the seeded `rng`, so a failure can be replayed with the same seed.
    """
    if anytime:
        delay = rng.uniform(0.2, 4.0)
    else:
        if not run.first_text.wait(timeout):
            raise AssertionError(
                f"no reply text within {timeout} s; stderr: {run.stderr.decode(errors='replace')}"
            )
        delay = rng.uniform(0.0, 2.5)
    end = time.monotonic() + delay
    while (left := end - time.monotonic()) > 0 and run.proc.poll() is None:
        time.sleep(min(left, 0.05))
    return run.kill()


def wait_until_stored(db: Path, message_id: int, expected: str, timeout: float) -> bool:
    """Poll the database, as another process would read it, until the message holds `expected`."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with sqlite3.connect(db) as con:
            row = con.execute("SELECT content FROM messages WHERE id = ?", (message_id,)).fetchone()
        if row is not None and row[0] == expected:
            return True
        time.sleep(0.01)
    return False
