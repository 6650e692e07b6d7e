"""The settings' "Local API" switch: the window serves Enclave's OpenAI-compatible API on
127.0.0.1 while the user has it on (off by default, never when the policy forbids it).

The API's requests run on the window's one model thread, queued behind the window's own work:
`WorkerExecutor` gives the `ModelWorker` the `submit(job, cancel) -> Future` contract of the
API's `ModelThread`. Starting and stopping (imports, binding, joining the server's thread) run
off the GUI thread; only closing the window stops the server in place.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from app.api import token as api_token
from app.api.executor import Job as ApiJob
from app.api.serve import HOST  # no server code yet: uvicorn loads when the switch is on
from app.core.errors import Cancelled, EnclaveError
from app.core.types import CancelToken, ModelInfo
from app.ui.jobs import JobContext
from app.ui.model_worker import ModelWorker

log = logging.getLogger(__name__)


class WorkerExecutor(QObject):
    """`submit(job, cancel)` from any thread (the API's event loop): the job is queued on the
    window's model worker, and its Future completes with the job's result or exception. A
    cancel token set (or a Future cancelled) before the job's turn drops it unrun."""

    _request = Signal(object)

    def __init__(self, worker: ModelWorker) -> None:
        super().__init__(worker)
        self.worker = worker
        self._open: set[CancelToken] = set()
        self._lock = threading.Lock()
        # Queued: the worker's jobs are Qt objects, made on the GUI thread only.
        self._request.connect(self._submit, Qt.ConnectionType.QueuedConnection)

    def submit(self, job: ApiJob[Any], cancel: CancelToken) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            self._open.add(cancel)
        future.add_done_callback(lambda _f: self._forget(cancel))
        self._request.emit((job, cancel, future))
        return future

    def cancel_all(self) -> None:
        """Stop every request, queued or running (the API is switched off or the window
        closes), so the server's open responses end and it can stop."""
        with self._lock:
            tokens = list(self._open)
        for token in tokens:
            token.cancel()

    def _forget(self, cancel: CancelToken) -> None:
        with self._lock:
            self._open.discard(cancel)

    @Slot(object)
    def _submit(self, item: tuple[ApiJob[Any], CancelToken, Future[Any]]) -> None:
        job, cancel, future = item

        def run(ctx: JobContext) -> None:
            if cancel.cancelled:
                if future.set_running_or_notify_cancel():
                    future.set_exception(Cancelled())
                return
            if not future.set_running_or_notify_cancel():
                return  # the Future was cancelled while queued
            try:
                # ctx.cancel is also set by the window (shutdown): the job sees both.
                result = job(ctx.backend, ctx.cancel)
            except BaseException as exc:  # handed to the request that asked, as ModelThread
                future.set_exception(exc)
                return
            info = getattr(result, "model", None)  # a turn's model (it may have loaded another)
            if isinstance(info, ModelInfo):
                ctx.progress(info)
            future.set_result(result)

        try:
            handle = self.worker.submit(run, kind="api")
        except RuntimeError as exc:  # the worker has shut down: the window is closing
            if future.set_running_or_notify_cancel():
                future.set_exception(Cancelled(str(exc)))
            return
        remove = cancel.on_cancel(handle.token.cancel)  # a client gone cancels it, queued too
        handle.progress.connect(self.worker.note_loaded)  # the window shows which model is in

        def finished() -> None:
            remove()
            if not future.done():  # dropped unrun (cancelled while queued, or shut down)
                future.set_exception(Cancelled())

        handle.finished.connect(finished)


class ApiSwitch(QObject):
    """Starts and stops the local API for the window, from the user's settings."""

    changed = Signal()  # running, stopped, or failed to start (see `error`)
    _finished = Signal(object, str)  # from the start/stop thread: the server made, an error

    def __init__(self, runtime, store, worker: ModelWorker, parent: QObject | None = None):
        super().__init__(parent)
        self.runtime = runtime
        self.store = store
        self.executor = WorkerExecutor(worker)
        self.server: Any = None  # app.api.serve.ApiServer while running
        self.error = ""  # why it could not start, for the settings
        self._thread: threading.Thread | None = None  # a start or stop under way
        self._started: Any = None  # what that thread made (None for a stop)
        self._pending = False  # the settings changed meanwhile: apply them after it
        self._closed = False
        self._finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)

    # -- what the settings show -------------------------------------------------------------
    @property
    def allowed(self) -> bool:
        return self.runtime.policy.api.enabled

    @property
    def running(self) -> bool:
        return self.server is not None

    def url(self) -> str:
        if self.server is not None:
            return self.server.url
        return f"http://{HOST}:{self.runtime.settings.current.api_port}/v1"

    def token(self) -> str:
        """The token clients must send (made on first use, in the data dir, 0600)."""
        if self.server is not None:
            return self.server.token.value
        return api_token.load_or_create(self.runtime.paths.data_dir)

    def regenerate_token(self) -> str:
        """A new token; the running server refuses the old one from now on."""
        if self.server is not None:
            return self.server.token.regenerate()
        return api_token.regenerate(self.runtime.paths.data_dir)

    # -- lifecycle --------------------------------------------------------------------------
    def apply(self) -> None:
        """Match the settings: start, stop, or restart on another port (in the background)."""
        if self._closed:
            return
        if self._thread is not None:
            self._pending = True  # once the start or stop under way has finished
            return
        settings = self.runtime.settings.current
        wanted = settings.api_enabled and self.allowed
        port = settings.api_port
        server = self.server
        if server is not None and (not wanted or not server.url.endswith(f":{port}/v1")):
            self.server = None
            self.executor.cancel_all()  # open responses end, so the server can stop
            self._pending = wanted  # a new port: start again once stopped
            self._in_background(server.stop)
        elif server is None and wanted:
            self._in_background(lambda: self._start(port))

    def _start(self, port: int) -> Any:
        from app.api.serve import ApiServer  # uvicorn and starlette: only when switched on

        server = ApiServer(self.runtime, self.store, self.executor, port)
        server.start()
        return server

    def _in_background(self, fn) -> None:
        def run() -> None:
            try:
                result, error = fn(), ""
            except EnclaveError as exc:  # a port in use, an unreadable token file
                result, error = None, str(exc)
            except Exception as exc:  # a bug must not leave the switch waiting forever
                log.exception("starting or stopping the local API failed")
                result, error = None, f"{type(exc).__name__}: {exc}"
            self._started = result  # read by shutdown() after a join, before the signal lands
            self._finished.emit(result, error)

        self._thread = threading.Thread(target=run, name="enclave-api-switch", daemon=True)
        self._thread.start()

    @Slot(object, str)
    def _on_finished(self, server: Any, error: str) -> None:
        self._thread = None
        if self._closed:
            return
        self.server = server if server is not None else self.server
        self.error = error
        if server is not None:
            log.info("local API listening on %s", server.url)
        self.changed.emit()
        if self._pending:
            self._pending = False
            self.apply()

    def shutdown(self) -> None:
        """The window closes: stop the server now (its requests are cancelled first)."""
        self._closed = True
        thread, self._thread = self._thread, None
        if thread is not None:  # a start or stop under way: wait for it, then stop what it made
            thread.join(30)
        self.executor.cancel_all()
        for server in {id(s): s for s in (self.server, self._started) if s is not None}.values():
            server.stop()
        self.server = self._started = None
