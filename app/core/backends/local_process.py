"""ProcessEngine: the local llama.cpp engine in a process of its own.

llama.cpp has many asserts (GGML_ASSERT aborts the process), and a bad file or driver can
segfault it or exhaust memory; in the app's own process any of these would close the window
with whatever the user was doing. Here they end the engine process only: the caller gets a
ModelError naming the model (keeping the reply so far is its business), and the next request
starts a fresh engine and loads the model again. Jan, LM Studio and Ollama do the same.

Same interface as LocalEngine (the Backend protocol, plus complete, count_tokens and the
helpers tests and benchmarks use). The model stays loaded in the child between turns, so prefix
reuse works as before; pieces are streamed as they are made; Stop is a shared byte the child
reads between tokens and inside prompt batches. A load reports llama.cpp's progress and hears
Stop at each report; one that cannot hear it (a phase without reports) ends with its process.
Unloading ends the child: the memory goes back to the system. "spawn" (not fork): the parent
has threads and maybe Qt.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import weakref
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from pathlib import Path
from time import monotonic
from typing import Any

from app.core.backends.local_child import rebuild, serve
from app.core.completions import Completions
from app.core.errors import Cancelled, ModelError
from app.core.kv_cache import StateSession
from app.core.types import (
    CancelToken,
    ChatMessage,
    GenerationParams,
    GenerationStats,
    LoadOptions,
    ModelInfo,
)

_log = logging.getLogger(__name__)
START_TIMEOUT_S = 60.0  # an interpreter and llama.cpp on a busy machine
CANCEL_GRACE_S = 1.0  # a load told to stop that has not answered by then is ended
POLL_S = 0.02  # how often a waiting reader looks at the caller's Stop


class EngineCrashed(ModelError):
    """The engine process died (native abort, segfault, killed for memory)."""


def _how(code: int | None) -> str:
    if code is None:
        return "it stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return {"SIGKILL": "killed, most likely out of memory"}.get(name, name)
    return f"exit code {code}"


class _Child:
    """One engine process and its pipe."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.flag = context.RawValue("b", 0)  # Stop, shared with the child
        ours, theirs = context.Pipe()
        # Not a daemon: the engine starts a helper process of its own for GGUF templates.
        self.process = context.Process(
            target=serve, args=(theirs, self.flag), name="enclave-engine", daemon=False
        )
        self.process.start()
        theirs.close()
        self.conn: Connection = ours
        self.receive(START_TIMEOUT_S)  # "ready"

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def poll(self, seconds: float) -> tuple | None:
        """The next message if one comes within `seconds`, else None; raises EngineCrashed
        when the child died first."""
        try:
            ready = wait([self.conn, self.process.sentinel], seconds)
            if self.conn in ready:
                return self.conn.recv()
        except (EOFError, OSError):
            ready = [self.process.sentinel]
        if self.process.sentinel in ready:
            self.process.join(1.0)
            raise EngineCrashed(_how(self.process.exitcode))
        return None

    def receive(self, timeout: float | None = None, cancel: CancelToken | None = None) -> tuple:
        """The next message; raises EngineCrashed when the child died first."""
        waited = 0.0
        while True:
            message = self.poll(POLL_S)
            if message is not None:
                return message
            if cancel is not None and cancel.cancelled:
                self.flag.value = 1
            waited += POLL_S
            if timeout is not None and waited >= timeout:
                self.stop()
                raise EngineCrashed(_how(None))

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # already gone
            self.conn.send(("exit",))
        self.process.join(5.0)
        self.kill()

    def kill(self) -> None:
        """End the process now (what `stop` does when asking is not enough)."""
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join(5.0)
        self.conn.close()
        if self.process.exitcode is not None:
            self.process.close()


class ProcessTokenStream:
    """Pieces of a reply made in the engine process; `stats` is final once exhausted."""

    def __init__(self, engine: ProcessEngine, child: _Child, cancel: CancelToken | None) -> None:
        self._engine, self._child, self._cancel = engine, child, cancel
        self.stats = GenerationStats()
        self.messages: list[ChatMessage] = []
        self.finished = False

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self.finished:
            raise StopIteration
        if self._cancel is not None and self._cancel.cancelled:
            self._stop()  # pieces the child made ahead are dropped: nobody asked for them
            raise StopIteration
        try:
            message = self._child.receive(cancel=self._cancel)
        except EngineCrashed as exc:
            self.finished = True
            self.stats.stop_reason = "error"
            raise self._engine.crashed(exc, "answering") from exc
        kind = message[0]
        if kind == "piece":
            self.stats.generated_tokens = message[2]  # live, for progress display
            return message[1]
        self.finished = True
        self._engine.stream_ended(self)
        if kind == "end":
            self._update(message[1])
            raise StopIteration
        self._update(message[2])
        raise rebuild(message[1])

    def _update(self, stats: GenerationStats) -> None:
        vars(self.stats).update(vars(stats))  # the same object callers may hold

    def _stop(self) -> None:
        """Stop the child, drain what it already sent; the stats count what was read."""
        seen = self.stats.generated_tokens
        self._child.flag.value = 1
        self._cancel = None
        with contextlib.suppress(ModelError):
            for _ in self:
                pass
        self.stats.generated_tokens = seen
        self.stats.stop_reason = "cancelled"

    def close(self) -> None:
        """Abandon the reply (counts as cancelled)."""
        if not self.finished:
            self._stop()

    def text(self) -> str:
        return "".join(self)


class ProcessEngine:
    """The Backend protocol, served by a LocalEngine in a child process."""

    keeps_kv_state = True  # generate() takes a conversation's `session` (app.core.kv_cache)

    def __init__(self) -> None:
        self._child: _Child | None = None
        self._loaded: tuple[Path, LoadOptions] | None = None
        self._info: ModelInfo | None = None
        self._active: ProcessTokenStream | None = None
        self._finalizer = weakref.finalize(self, ProcessEngine._stop_child, [None])

    @staticmethod
    def _stop_child(box: list[_Child | None]) -> None:
        child = box[0]
        box[0] = None
        if child is not None:
            child.stop()

    def _set_child(self, child: _Child | None) -> None:
        self._child = child
        self._finalizer.detach()
        self._finalizer = weakref.finalize(self, ProcessEngine._stop_child, [child])

    @property
    def info(self) -> ModelInfo | None:
        return self._info

    @property
    def pid(self) -> int | None:
        """The engine process's id while one runs (tests, diagnostics)."""
        return self._child.process.pid if self._child is not None else None

    # --- loading -----------------------------------------------------------------------------

    reports_load_progress = True  # load() takes on_progress and cancel (see the loader)

    def load(
        self,
        path: Path | str,
        options: LoadOptions | None = None,
        *,
        on_progress: Callable[[float], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> ModelInfo:
        """Load a model in the engine process. `on_progress(fraction)` follows llama.cpp's
        reports (throttled by the child); `cancel` stops the load: the child's llama.cpp aborts
        at its next report, and a child that does not answer within CANCEL_GRACE_S (a phase
        without reports) is ended. Either way Cancelled is raised and no model is loaded."""
        path, options = Path(path).expanduser(), options or LoadOptions()
        self._close_active()
        self._loaded, self._info = None, None
        child = self._running(path.name)
        if cancel is not None and cancel.cancelled:
            raise Cancelled(f"Loading {path.name} was cancelled.")
        try:
            child.flag.value = 0
            child.conn.send(("load", path, options, True))
            answer = self._await_load(child, path.name, on_progress, cancel)
        except (EngineCrashed, OSError) as exc:
            crash = exc if isinstance(exc, EngineCrashed) else EngineCrashed(str(exc))
            raise self.crashed(crash, "loading", path.name) from exc
        except BaseException:  # cancelled past the grace, Ctrl-C, a failing callback
            self._drop(child)  # its pipe is mid-answer: only a fresh process is in step
            raise
        if answer[0] == "error":
            raise rebuild(answer[1])
        self._loaded, self._info = (path, options), answer[1]
        return answer[1]

    @staticmethod
    def _await_load(
        child: _Child,
        model: str,
        on_progress: Callable[[float], None] | None,
        cancel: CancelToken | None,
    ) -> tuple:
        """The load's answer, passing its progress on; Stop is handed to the child at once."""
        asked_at: float | None = None
        while True:
            message = child.poll(POLL_S)
            if message is not None and message[0] != "progress":
                return message
            if message is not None and on_progress is not None:
                on_progress(message[1])
            if cancel is None or not cancel.cancelled:
                continue
            if asked_at is None:
                child.flag.value = 1
                asked_at = monotonic()
            elif monotonic() - asked_at > CANCEL_GRACE_S:
                _log.info("The engine did not stop loading %s when asked; ending it", model)
                raise Cancelled(f"Loading {model} was cancelled.")

    def _drop(self, child: _Child) -> None:
        """End a child that cannot be trusted to be in step any more."""
        if self._child is child:
            self._set_child(None)
        child.kill()

    def unload(self) -> None:
        """Forget the model and end the engine process: its memory goes back to the system."""
        self._close_active()
        self._loaded, self._info = None, None
        if self._child is not None:
            child = self._child
            self._set_child(None)
            child.stop()

    def crashed(self, exc: EngineCrashed, doing: str, model: str | None = None) -> EngineCrashed:
        """Forget the dead process and say what happened, naming the model."""
        if self._child is not None:
            dead = self._child
            self._set_child(None)
            dead.stop()
        self._active = None
        name = model or (self._info.name if self._info else "the model")
        _log.warning("The engine process died while %s with %s: %s", doing, name, exc)
        again = (
            "try again to start it afresh"
            if doing == "loading"
            else ("the reply so far is kept; send the message again to restart it")
        )
        return EngineCrashed(
            f"The model engine stopped unexpectedly while {doing} with {name} ({exc}); {again}."
        )

    def _running(self, model: str | None) -> _Child:
        """The engine process, started (and the model loaded again) when there is none."""
        if self._child is not None and self._child.alive:
            return self._child
        if self._child is not None:  # died while idle
            self.crashed(EngineCrashed(_how(self._child.process.exitcode)), "idle")
        try:
            self._set_child(_Child())
        except EngineCrashed as exc:
            raise self.crashed(exc, "starting", model) from exc
        except OSError as exc:
            raise ModelError(f"The model engine could not start ({exc}).") from exc
        if self._loaded is not None:  # after a crash: the same model, afresh
            self._ask(("load", *self._loaded), model=model, doing="loading")
        return self._child  # type: ignore[return-value]

    def _ask(self, request: tuple[Any, ...], *, model: str | None = None, doing: str) -> Any:
        child = self._running(model)
        try:
            child.conn.send(request)
            answer = child.receive()
        except (EngineCrashed, OSError) as exc:
            crash = exc if isinstance(exc, EngineCrashed) else EngineCrashed(str(exc))
            raise self.crashed(crash, doing, model) from exc
        if answer[0] == "error":
            raise rebuild(answer[1])
        return answer[1]

    def _require_model(self) -> str:
        if self._loaded is None:
            raise ModelError("No model is loaded; load a model first.")
        return self._info.name if self._info else self._loaded[0].name

    def _call(self, op: str, *args: Any) -> Any:
        model = self._require_model()
        self._close_active()
        return self._ask((op, *args), model=model, doing="working")

    # --- the LocalEngine interface -------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        return int(self._call("count_tokens", text))

    def tokenize(self, text: str, *, add_special: bool = False) -> list[int]:
        return list(self._call("tokenize", text, add_special))

    def detokenize(self, tokens: Sequence[int]) -> str:
        return str(self._call("detokenize", list(tokens)))

    def render_prompt(self, messages: Sequence[ChatMessage]) -> str:
        return self._call("render_prompt", list(messages))

    def tokenize_prompt(self, prompt: str) -> list[int]:
        return list(self._call("tokenize_prompt", prompt))

    def clear_cache(self) -> None:
        self._call("clear_cache")

    @property
    def n_ctx(self) -> int:
        return int(self._call("n_ctx"))

    @property
    def cached_tokens(self) -> tuple[int, ...]:
        return tuple(self._call("cached_tokens"))

    def generate(
        self,
        messages: Sequence[ChatMessage],
        params: GenerationParams,
        cancel: CancelToken | None = None,
        session: StateSession | None = None,
    ) -> ProcessTokenStream:
        """`session`: the child restores the conversation's saved KV state and saves it again
        after the reply (see LocalEngine.generate)."""
        if not messages:
            raise ValueError("generate() needs at least one message")
        return self._stream(("generate", list(messages), params, session), cancel)

    def warm(self, history: Sequence[ChatMessage], session: StateSession | None = None) -> None:
        """The engine process makes the conversation of `history` ready for its next message
        (LocalEngine.warm) in the background: this returns at once, and the next request
        ends the warm-up early. Nothing to do without a model, or with an engine process that
        ended (the next message restarts it, not this)."""
        if self._loaded is None or not history or self._child is None or not self._child.alive:
            return
        self._call("warm", list(history), session)

    def complete(
        self, prompt: str, params: GenerationParams, cancel: CancelToken | None = None
    ) -> ProcessTokenStream:
        return self._stream(("complete", prompt, params), cancel)

    def complete_many(
        self, prompts: Sequence[str], params: GenerationParams, cancel: CancelToken | None = None
    ) -> Completions:
        """LocalEngine.complete_many in the engine process (see process_many)."""
        from app.core.backends.process_many import ProcessCompletions

        child, answer = self._begin(("complete_many", list(prompts), params))
        results = ProcessCompletions(self, child, answer[1], cancel)
        self._active = results  # type: ignore[assignment]  # closed like a reply stream
        return results

    def _stream(self, request: tuple[Any, ...], cancel: CancelToken | None) -> ProcessTokenStream:
        child, answer = self._begin(request)
        stream = ProcessTokenStream(self, child, cancel)
        stream.messages = answer[1]
        stream._update(answer[2])
        self._active = stream
        return stream

    def _begin(self, request: tuple[Any, ...]) -> tuple[_Child, tuple[Any, ...]]:
        """Send a streamed request; the child and its first answer."""
        model = self._require_model()
        self._close_active()
        child = self._running(model)
        try:
            child.flag.value = 0
            child.conn.send(request)
            answer = child.receive()
        except (EngineCrashed, OSError) as exc:
            crash = exc if isinstance(exc, EngineCrashed) else EngineCrashed(str(exc))
            raise self.crashed(crash, "answering", model) from exc
        if answer[0] == "error":
            raise rebuild(answer[1])
        return child, answer

    def stream_ended(self, stream: ProcessTokenStream) -> None:
        if self._active is stream:
            self._active = None

    def _close_active(self) -> None:
        """One reply at a time: a new request ends the previous stream (as cancelled)."""
        if self._active is not None:
            active, self._active = self._active, None
            active.close()
