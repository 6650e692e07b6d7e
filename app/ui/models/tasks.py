"""Background work of the model manager: downloads, imports, hashing, listing.

None of it touches the loaded model, so it does not queue behind chats on the ModelWorker: each
`ModelTask` runs one plain function on a thread of its own. The function gets a progress
callback and two tokens, cancel and pause, and nothing in it touches a widget; results come back
through the task's signals, which Qt delivers on the GUI thread. Threads are never terminated:
`cancel()`/`pause()` ask, the function stops at its next check, and the thread ends by itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from app.core.errors import Cancelled, EnclaveError
from app.core.models.download import DownloadPaused
from app.core.types import CancelToken

log = logging.getLogger(__name__)

TaskFn = Callable[[Callable[[object], None], CancelToken, CancelToken], object]


class _Runner(QObject):
    progress = Signal(object)
    done = Signal(str, object)  # outcome ("succeeded" | "failed" | "cancelled" | "paused"), value

    def __init__(self, fn: TaskFn, cancel: CancelToken, pause: CancelToken) -> None:
        super().__init__()
        self.fn, self.cancel, self.pause = fn, cancel, pause

    @Slot()
    def run(self) -> None:
        try:
            result = self.fn(self.progress.emit, self.cancel, self.pause)
        except DownloadPaused:
            self.done.emit("paused", None)
        except Cancelled:
            self.done.emit("cancelled", None)
        except EnclaveError as exc:
            self.done.emit("failed", exc)
        except Exception as exc:
            log.exception("model manager task failed")
            text = QCoreApplication.translate(
                "ModelTask", "Something went wrong ({error}); details are in the log file."
            )
            self.done.emit("failed", EnclaveError(text.format(error=type(exc).__name__)))
        else:
            self.done.emit("cancelled" if self.cancel.cancelled else "succeeded", result)


class ModelTask(QObject):
    """One background operation; emits exactly one outcome signal, then `finished`."""

    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)  # the EnclaveError (its str() is the message for the user)
    cancelled = Signal()
    paused = Signal()
    finished = Signal()

    def __init__(self, fn: TaskFn, kind: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.cancel_token, self.pause_token = CancelToken(), CancelToken()
        self.running = False
        self._thread = QThread()
        self._thread.setObjectName(f"enclave-models-{kind}")
        self._runner = _Runner(fn, self.cancel_token, self.pause_token)
        self._runner.moveToThread(self._thread)
        self._thread.started.connect(self._runner.run)
        self._runner.progress.connect(self.progress)
        self._runner.done.connect(self._done)  # queued: delivered on the GUI thread

    def start(self) -> ModelTask:
        self.running = True
        self._thread.start()
        return self

    def cancel(self) -> None:
        self.cancel_token.cancel()

    def pause(self) -> None:
        self.pause_token.cancel()

    @Slot(str, object)
    def _done(self, outcome: str, value: object) -> None:
        self._thread.quit()
        self._thread.wait()  # the function has returned: the thread is only leaving its loop
        self.running = False
        if outcome == "succeeded":
            self.succeeded.emit(value)
        elif outcome == "failed":
            self.failed.emit(value)
        elif outcome == "paused":
            self.paused.emit()
        else:
            self.cancelled.emit()
        self.finished.emit()
