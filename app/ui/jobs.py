"""The one job type of the window: background work, its signals, and how it stops.

A job is a plain function `fn(ctx) -> result` that never touches a widget. `ctx` carries what it
may use: the backend (on the model thread; None on a thread of its own), the cancel and pause
tokens, and `progress(value)`. Two places run jobs:

- `ModelWorker.submit(fn, kind)`: queued on the one thread that owns the model, in order;
- `run_in_thread(fn, kind, parent)`: on a thread of its own, for work that does not touch the
  model (the model manager's downloads, imports, hashing).

Both return a `Job` at once; connect to its signals right away (the work starts only once the GUI
is back in its event loop). A job emits exactly one of succeeded / failed / cancelled / paused,
then `finished`, all delivered on the GUI thread. Stopping is cooperative: `cancel()` / `pause()`
ask, the function stops at its next check, a job cancelled before it starts never runs, and no
thread is ever terminated.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

from app.core.backend import Backend
from app.core.errors import Cancelled, EnclaveError
from app.core.models.download import DownloadPaused
from app.core.types import CancelToken

log = logging.getLogger(__name__)

OUTCOMES = ("succeeded", "failed", "cancelled", "paused")


@dataclass(frozen=True)
class JobContext:
    """What a job function may use, on whichever thread runs it."""

    backend: Backend | None  # the model thread's backend; None on a thread of its own
    cancel: CancelToken
    pause: CancelToken
    progress: Callable[[object], None]


JobFn = Callable[[JobContext], object]
Outcome = tuple[str, object]


class Job(QObject):
    """A queued or running unit of work; emits exactly one outcome signal, then `finished`."""

    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(str)  # the message for the user; the EnclaveError itself is `error`
    cancelled = Signal(object)  # what the job had done (e.g. a partial reply), or None
    paused = Signal()  # a download stopped to resume later
    finished = Signal()  # after any of the four above

    def __init__(self, fn: JobFn, kind: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.fn = fn
        self.kind = kind
        self.token = CancelToken()
        self.pause_token = CancelToken()
        self.state = "queued"  # queued | running | succeeded | failed | cancelled | paused
        self.error: EnclaveError | None = None  # set when it failed
        self._lock = threading.Lock()
        self._thread: QThread | None = None  # its own thread, from run_in_thread

    def cancel(self) -> None:
        """Ask the job to stop; a job still queued will never start."""
        self.token.cancel()

    def pause(self) -> None:
        """Ask a pausable job (a download) to stop where it can resume."""
        self.pause_token.cancel()

    @property
    def done(self) -> bool:
        return self.state in OUTCOMES

    def run(self, backend: Backend | None) -> Outcome | None:
        """Run the function on the calling thread; its outcome, or None if the job has
        already ended (shut down while queued)."""
        if self.token.cancelled:
            return ("cancelled", None)
        with self._lock:
            if self.done:
                return None
            self.state = "running"
        ctx = JobContext(backend, self.token, self.pause_token, self.progress.emit)
        try:
            result = self.fn(ctx)
        except DownloadPaused:  # a Cancelled: caught first
            return ("paused", None)
        except Cancelled as exc:
            return ("cancelled", exc.args[0] if exc.args else None)
        except EnclaveError as exc:
            return ("failed", exc)
        except Exception as exc:  # a bug in a job must not end its thread
            log.exception("job %s failed", self.kind)
            return ("failed", EnclaveError(_unexpected(exc)))
        return ("cancelled" if self.token.cancelled else "succeeded", result)

    def _finish(self, state: str, value: object) -> None:
        """Move to a final state once, whichever thread gets there first, and say so."""
        with self._lock:
            if self.done:
                return
            self.state = state
        if state == "succeeded":
            self.succeeded.emit(value)
        elif state == "failed":
            self.error = value if isinstance(value, EnclaveError) else EnclaveError(str(value))
            self.failed.emit(str(value))
        elif state == "paused":
            self.paused.emit()
        else:
            self.cancelled.emit(value)
        self.finished.emit()


def _unexpected(exc: BaseException) -> str:
    text = QCoreApplication.translate(
        "Job", "Something went wrong ({error}); details are in the log file."
    )
    return text.format(error=type(exc).__name__)


class _JobThread(QThread):
    """A thread of its own for one job; its outcome is given on the GUI thread, after the
    thread has ended, so whoever deletes the finished job never deletes a running thread."""

    _go = Signal()

    def __init__(self, job: Job) -> None:
        super().__init__(job)  # deleted with its job
        self.job = job
        self.outcome: Outcome | None = None
        self.setObjectName(f"enclave-job-{job.kind}")
        self.finished.connect(self._report)  # queued: this object lives on the GUI thread
        self._go.connect(self.start, Qt.ConnectionType.QueuedConnection)

    def run(self) -> None:
        self.outcome = self.job.run(None)

    @Slot()
    def _report(self) -> None:
        self.wait()  # the function has returned: the thread is only leaving run()
        if self.outcome is not None:
            self.job._finish(*self.outcome)


def run_in_thread(fn: JobFn, kind: str, parent: QObject | None = None) -> Job:
    """Run `fn` on a thread of its own and return its handle; connect to its signals now."""
    job = Job(fn, kind, parent)
    job._thread = _JobThread(job)
    job._thread._go.emit()
    return job
