"""The engine process: a LocalEngine serving one parent over a pipe (see local_process).

One request in, answers out: plain calls get one ("ok", value) or ("error", exc); a reply
gets ("started", messages, stats) when its prompt is ready, then ("piece", text, generated)
per piece as it is made, then ("end", stats) or ("error", exc); a load asked to report sends
("progress", fraction) as llama.cpp reads the weights. Stop is a byte in shared memory that the
parent sets: the decoder reads it between tokens and, through llama.cpp's abort callback, inside
a prompt batch; a load reads it at each progress report.

A warm-up ("warm") is answered ("ok", None) at once and runs after, like the state saved after
a reply: work between requests, which gives way as soon as the next request arrives.

ENCLAVE_TEST_ENGINE_FAULT (read here only, in the child) makes this process die as llama.cpp
might: `abort-mid-reply` (SIGABRT after a few pieces), `segv-mid-load` (SIGSEGV while loading),
or load as a big file would: `slow-load` (a pause at each progress report: about 12 s for the
bundled model), `stuck-load` (no progress report at all, ignoring Stop, for an hour).
With ENCLAVE_TEST_ENGINE_FAULT_ONCE naming a file, the fault fires only while that file does not
exist (it is created first), so the restarted engine works.
"""

from __future__ import annotations

import ctypes
import logging
import os
import pickle
import signal
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from app.core.errors import ModelError
from app.core.types import CancelToken

_log = logging.getLogger(__name__)
FAULT_ENV = "ENCLAVE_TEST_ENGINE_FAULT"
FAULT_ONCE_ENV = "ENCLAVE_TEST_ENGINE_FAULT_ONCE"
CALLS = frozenset(
    {"count_tokens", "tokenize", "detokenize", "render_prompt", "tokenize_prompt", "clear_cache"}
)
PROPERTIES = frozenset({"n_ctx", "cached_tokens", "turn_signs"})
SLOW_LOAD_S = 0.05  # the `slow-load` fault's pause at each of llama.cpp's progress reports


class CheckedCancel(CancelToken):
    """Cancelled when `check()` says so: the parent's Stop byte in shared memory, or (for work
    between requests, which gives way) the parent's next request waiting on the pipe."""

    def __init__(self, check: Callable[[], bool]) -> None:
        super().__init__()
        self._check = check

    @property
    def cancelled(self) -> bool:
        return bool(self._check()) or super().cancelled


class _Throttled:
    """Load progress for the pipe: at most one report per STEP of the way and per PERIOD_S
    (so at most ~50 in all, ~20 a second), never backwards, and the end (1.0) always."""

    STEP = 0.02
    PERIOD_S = 0.05

    def __init__(self, send: Callable[[float], None]) -> None:
        self._send = send
        self._last = -1.0
        self._at = 0.0

    def __call__(self, fraction: float) -> None:
        if fraction <= self._last:
            return
        now = time.monotonic()
        if fraction >= 1.0 or (
            fraction - self._last >= self.STEP and now - self._at >= self.PERIOD_S
        ):
            self._send(fraction)
            self._last, self._at = fraction, now


def _fault(kind: str) -> bool:
    if os.environ.get(FAULT_ENV) != kind:
        return False
    once = os.environ.get(FAULT_ONCE_ENV)
    if once:
        if Path(once).exists():
            return False
        Path(once).touch()
    return True


def _crash(kind: str) -> None:
    if kind.startswith("abort"):
        os.abort()  # as a failed GGML_ASSERT does
    ctypes.string_at(0)  # a segmentation fault


def _sendable(exc: BaseException) -> tuple[type[BaseException], str, dict[str, Any]]:
    """An exception as (class, message, attributes): see `rebuild` on the parent's side."""
    state = {k: v for k, v in vars(exc).items() if _picklable(v)}
    if not _picklable(type(exc)):
        return ModelError, f"The model engine failed: {exc}", {}
    return type(exc), str(exc), state


def _picklable(value: Any) -> bool:
    try:
        pickle.dumps(value)
        return True
    except Exception:
        return False


def rebuild(sent: tuple[type[BaseException], str, dict[str, Any]]) -> BaseException:
    """The exception the child raised, whatever its constructor takes."""
    cls, message, state = sent
    exc = cls.__new__(cls)
    BaseException.__init__(exc, message)
    vars(exc).update(state)
    return exc


class _Server:
    def __init__(self, conn: Connection, flag: Any) -> None:
        from app.core.engine import LocalEngine  # llama.cpp loads in the child only

        self.conn = conn
        self.flag = flag
        self.engine = LocalEngine()

    def stop_byte(self) -> CancelToken:
        return CheckedCancel(lambda: self.flag.value)

    def request_waiting(self) -> CancelToken:
        return CheckedCancel(self.conn.poll)

    def answer(self, request: tuple[Any, ...]) -> None:
        op, *args = request
        try:
            if op in ("generate", "complete"):
                self.reply(op, *args)
                return
            if op == "complete_many":
                self.many(*args)
                return
            if op == "warm":
                self.warm(*args)
                return
            self.conn.send(("ok", self.call(op, args)))
        except Exception as exc:
            self.conn.send(("error", _sendable(exc)))

    def call(self, op: str, args: list[Any]) -> Any:
        engine = self.engine
        if op == "load":
            return self.load(*args)
        if op == "unload":
            return engine.unload()
        if op in PROPERTIES:
            return getattr(engine, op)
        if op in CALLS:
            return getattr(engine, op)(*args)
        raise ModelError(f"The model engine does not know {op!r}.")

    def load(self, path: Path, options: Any, report: bool = False) -> Any:
        """Load a model; with `report`, ("progress", fraction) messages come first (throttled).
        The shared Stop byte makes llama.cpp abort the load at its next report."""
        if _fault("segv-mid-load"):
            _crash("segv")
        if _fault("stuck-load"):
            time.sleep(3600)  # stuck where llama.cpp reports nothing: only the parent ends it
        slow = _fault("slow-load")
        send = _Throttled(lambda fraction: self.conn.send(("progress", fraction)))

        def on_progress(fraction: float) -> None:
            if report:
                send(fraction)
            if slow:
                time.sleep(SLOW_LOAD_S)  # a big file on a slow disk

        return self.engine.load(path, options, on_progress=on_progress, cancel=self.stop_byte())

    def reply(self, op: str, payload: Any, params: Any, session: Any = None) -> None:
        self.flag.value = 0
        if op == "generate":
            stream = self.engine.generate(payload, params, self.stop_byte(), session)
        else:
            stream = self.engine.complete(payload, params, self.stop_byte())
        self.conn.send(("started", stream.messages, stream.stats))
        abort_after = 3 if _fault("abort-mid-reply") else -1
        try:
            for count, piece in enumerate(stream, 1):
                self.conn.send(("piece", piece, stream.stats.generated_tokens))
                if count == abort_after:
                    _crash("abort")
        except Exception as exc:
            self.conn.send(("error", _sendable(exc), stream.stats))
            return
        self.conn.send(("end", stream.stats))
        if op == "generate":  # after "end": the caller has its reply while the state is saved
            self.engine.save_state(self.request_waiting())

    def warm(self, history: list[Any], session: Any = None) -> None:
        """Answered at once, then done while the parent waits for nothing: a conversation
        opened is made ready for its next message; the next request ends it early."""
        self.conn.send(("ok", None))
        try:
            self.engine.warm(history, session, self.request_waiting())
        except Exception:  # nobody waits for an answer: the next request meets the same cause
            _log.exception("Could not make the conversation ready")

    def many(self, prompts: list[str], params: Any) -> None:
        """complete_many: ("started", width), ("done", index, text, stats)…, ("end",)."""
        self.flag.value = 0
        results = self.engine.complete_many(prompts, params, self.stop_byte())
        self.conn.send(("started", results.width))
        try:
            for index, text, stats in results:
                self.conn.send(("done", index, text, stats))
        except Exception as exc:
            self.conn.send(("error", _sendable(exc)))
            return
        self.conn.send(("end",))


def serve(conn: Connection, flag: Any) -> None:
    """The child's main loop, until the parent says stop or goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle
    server = _Server(conn, flag)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            break
        if request[0] == "exit":
            break
        server.answer(request)
    server.engine.unload()
