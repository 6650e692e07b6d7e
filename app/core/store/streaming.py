"""Writing a reply while it streams, so a crash loses at most the last flush interval."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from app.core.errors import Cancelled, StoreError
from app.core.store.records import MessageRecord

# save(content, status, stats) -> the stored message; status/stats None leave them as they are.
SaveFn = Callable[[str, str | None, Any], MessageRecord | None]


class StreamWriter:
    """Collects pieces of a reply and writes the text so far to the database.

    It writes on the first piece, then whenever `flush_interval_s` has passed since the last
    write (checked on each piece), and on `finish`. With the real clock a timer also writes
    text left pending when no new piece comes within the interval (a slow or stalled model),
    so a crash loses at most the last interval; a test's clock drives the writes itself.
    Append and finish from one thread (the worker). If a write fails the StoreError
    propagates, but `content` still holds everything received.
    """

    def __init__(
        self,
        save: SaveFn,
        initial: str = "",
        flush_interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._save = save
        self._parts: list[str] = [initial] if initial else []
        self._interval = flush_interval_s
        self._clock = clock
        self._last_flush = clock()
        self._dirty = False
        self._flushed_once = False
        self._record: MessageRecord | None = None
        self.flush_count = 0
        self._lock = threading.RLock()  # the timer's thread writes too
        self._use_timer = clock is time.monotonic
        self._timer: threading.Timer | None = None

    @property
    def content(self) -> str:
        return "".join(self._parts)

    @property
    def finished(self) -> bool:
        return self._record is not None

    def append(self, piece: str) -> None:
        with self._lock:
            if self._record is not None:
                raise RuntimeError("this reply is already finished; start a new stream writer")
            if not piece:
                return
            self._parts.append(piece)
            self._dirty = True
            if not self._flushed_once or self._clock() - self._last_flush >= self._interval:
                self.flush()
            elif self._use_timer and self._timer is None:
                delay = self._interval - (self._clock() - self._last_flush)
                self._timer = threading.Timer(max(delay, 0.0), self._flush_late)
                self._timer.daemon = True
                self._timer.start()

    def _flush_late(self) -> None:
        with self._lock:
            self._timer = None
            if self._record is None:
                with contextlib.suppress(StoreError):  # the next piece or finish() reports it
                    self.flush()

    def flush(self) -> None:
        """Write the text received so far (the message stays 'streaming')."""
        with self._lock:
            if not self._dirty:
                return
            text = self.content
            self._parts = [text]  # keeps joins cheap for long replies
            self._save(text, None, None)
            self._dirty = False
            self._flushed_once = True
            self._last_flush = self._clock()
            self.flush_count += 1

    def finish(self, status: str = "complete", stats: Any = None) -> MessageRecord:
        """Write the final text with its status (complete, cancelled, failed…) and stats."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._record is None:
                record = self._save(self.content, status, stats)
                if record is None:
                    raise StoreError("The reply being written was deleted before it finished.")
                self._record = record
                self._dirty = False
            return self._record

    def __enter__(self) -> StreamWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._record is not None:
            return
        if exc is None:
            self.finish("complete")
            return
        status = "cancelled" if isinstance(exc, Cancelled | KeyboardInterrupt) else "failed"
        with contextlib.suppress(StoreError):  # the original exception is the one to report
            self.finish(status)
