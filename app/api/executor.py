"""One thread owns the backend and runs jobs one at a time, in the order they came.

A job is a plain function `(backend, cancel) -> result`, as everywhere in Enclave. The window
hands the API its own worker (anything with this `submit`), so API requests queue behind the
window's own work; `enclave serve` alone uses `ModelThread`. A job whose cancel token is set
before its turn comes is dropped without touching the model.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol, TypeVar

from app.core.errors import Cancelled
from app.core.types import CancelToken

T = TypeVar("T")
Job = Callable[[Any, CancelToken], T]


class ModelExecutor(Protocol):
    def submit(self, job: Job[T], cancel: CancelToken) -> Future[T]: ...


class ModelThread:
    def __init__(self, backend_factory: Callable[[], Any]) -> None:
        self._factory = backend_factory
        self._jobs: queue.Queue[tuple[Job[Any], CancelToken, Future[Any]] | None] = queue.Queue()
        self.backend: Any = None
        self._thread = threading.Thread(target=self._serve, name="enclave-model", daemon=True)
        self._thread.start()

    def submit(self, job: Job[T], cancel: CancelToken) -> Future[T]:
        future: Future[T] = Future()
        self._jobs.put((job, cancel, future))
        return future

    @property
    def pending(self) -> int:
        return self._jobs.qsize()

    def close(self, timeout: float = 30) -> None:
        self._jobs.put(None)
        self._thread.join(timeout)

    def _serve(self) -> None:
        while (item := self._jobs.get()) is not None:
            job, cancel, future = item
            if cancel.cancelled or not future.set_running_or_notify_cancel():
                if not future.done():
                    future.set_exception(Cancelled())
                continue
            try:
                if self.backend is None:
                    self.backend = self._factory()
                future.set_result(job(self.backend, cancel))
            except BaseException as exc:  # handed to the request that asked
                future.set_exception(exc)
        if self.backend is not None:
            self.backend.unload()
