"""The one thread that owns the model, and the jobs it runs.

Everything that touches the model (loading, chat, summarising) is a `Job` (see `app.ui.jobs`):
a plain function `fn(ctx) -> result`, run on the worker thread with `ctx.backend` set, one at a
time, in the order submitted. Its signals carry progress and the outcome back to the GUI thread
(Qt queues cross-thread signals), and `cancel()` is cooperative. Nothing here touches a widget,
and the thread is never terminated: `shutdown()` cancels and joins it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from app.core.backend import Backend
from app.core.errors import Cancelled
from app.core.types import ModelInfo
from app.ui.jobs import Job, JobContext, JobFn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadStopped:
    """A load job's outcome when it was stopped: what the engine has loaded now."""

    info: ModelInfo | None


class _Runner(QObject):
    """Lives on the worker thread; runs each job it receives, in order."""

    run = Signal(object)

    def __init__(self, engine_box: list[Backend | None]) -> None:
        super().__init__()
        self._box = engine_box  # shared with ModelWorker, which reads it after the join
        self.run.connect(self._run)

    def _engine(self) -> Backend:
        if self._box[0] is None:  # made here, on the model thread: llama.cpp loads lazily
            from app.core.backends import local_backend

            self._box[0] = local_backend()
        return self._box[0]

    @Slot(object)
    def _run(self, job: Job) -> None:
        outcome = job.run(self._engine())
        if outcome is not None:
            job._finish(*outcome)


class ModelWorker(QObject):
    """Owns the engine on its own thread; `submit()` queues jobs for it."""

    modelLoading = Signal()
    modelProgress = Signal(float)  # how much of the model is loaded (llama.cpp's fraction)
    modelLoaded = Signal(object)
    modelUnloaded = Signal()  # a load was stopped part-way: no model is loaded now
    modelFailed = Signal(str)
    busyChanged = Signal(bool)
    _submitted = Signal(object)

    def __init__(
        self, runtime: Any = None, backend: Backend | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.runtime = runtime
        self._engine_box: list[Backend | None] = [backend]  # None: the local engine, made lazily
        self.model_info: ModelInfo | None = None
        self._jobs: list[Job] = []
        self._thread = QThread()
        self._thread.setObjectName("enclave-model")
        self._runner = _Runner(self._engine_box)
        self._runner.moveToThread(self._thread)
        # Deferred deletes run as the thread ends: the runner goes with its thread.
        self._thread.finished.connect(self._runner.deleteLater)
        self._thread.start()
        self._closed = False
        # Jobs reach the thread only once the GUI returns to its event loop, so signals
        # connected right after submit() can never miss an early emission.
        self._submitted.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)

    # -- jobs -----------------------------------------------------------------------------
    def submit(self, fn: JobFn, kind: str = "job") -> Job:
        """Queue `fn` behind earlier jobs and return its handle; connect to its signals now."""
        if self._closed:
            raise RuntimeError("the model worker has been shut down")
        job = Job(fn, kind, parent=self)
        self._jobs.append(job)
        job.finished.connect(self._job_finished)  # a bound slot: delivered on the GUI thread
        self.busyChanged.emit(True)
        self._submitted.emit(job)
        return job

    @Slot(object)
    def _dispatch(self, job: Job) -> None:
        if self._closed:
            return  # shutdown() finishes it as cancelled
        self._runner.run.emit(job)

    @property
    def busy(self) -> bool:
        return any(not j.done for j in self._jobs)

    def pending(self, kind: str | None = None) -> list[Job]:
        return [j for j in self._jobs if not j.done and (kind is None or j.kind == kind)]

    @Slot()
    def _job_finished(self) -> None:
        job = self.sender()
        if isinstance(job, Job):
            self._forget(job)

    def _forget(self, job: Job) -> None:
        if job in self._jobs:
            self._jobs.remove(job)
        job.deleteLater()
        if not self.busy:
            self.busyChanged.emit(False)

    # -- model ----------------------------------------------------------------------------
    def load_model(self, spec: str | None = None, conversation_model: str | None = None) -> Job:
        """Load a model on the worker thread: `spec` as `enclave chat -m` takes it, None for the
        user's or the policy's default; chosen and checked by the core's ModelLoader.
        `conversation_model` names a conversation's own model, for a clearer message."""
        models = self.runtime.models

        def load(ctx: JobContext):
            choice = models.choose(spec, conversation_model)
            ctx.progress(str(choice.path))
            try:
                return models.load(ctx.backend, choice, on_progress=ctx.progress, cancel=ctx.cancel)
            except Cancelled:  # say what is loaded now: the old model, or none
                raise Cancelled(LoadStopped(models.backend_for(choice, ctx.backend).info)) from None

        self.modelLoading.emit()
        job = self.submit(load, kind="load")
        job.progress.connect(self._load_progress)
        job.succeeded.connect(self._loaded)
        job.cancelled.connect(self._load_cancelled)
        job.failed.connect(self.modelFailed)
        return job

    def _load_progress(self, value: object) -> None:
        if isinstance(value, float):
            self.modelProgress.emit(value)

    def _load_cancelled(self, value: object) -> None:
        if isinstance(value, LoadStopped):
            self.note_stopped(value.info)
        elif isinstance(value, ModelInfo):  # it had loaded when Stop came
            self.note_stopped(value)
        else:  # stopped before it began: nothing changed
            self.note_stopped(self.model_info)

    def note_stopped(self, info: ModelInfo | None) -> None:
        """A load was stopped (Cancel in the header, Stop in a reply): `info` is what the
        engine has loaded now, None for nothing."""
        self.model_info = info
        if info is None:
            self.modelUnloaded.emit()
        else:
            self.modelLoaded.emit(info)

    def _loaded(self, info: ModelInfo) -> None:
        self.model_info = info
        self.modelLoaded.emit(info)

    def note_loaded(self, info: ModelInfo) -> None:
        """A job loaded another model (a conversation's own): tell whoever shows it."""
        if info is not self.model_info:
            self._loaded(info)

    # -- end ------------------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel everything, let the current token finish, and join the thread."""
        if self._closed:
            return True
        self._closed = True
        for job in list(self._jobs):
            job.cancel()
        self._thread.quit()
        joined = self._thread.wait(timeout_ms)
        for job in list(self._jobs):  # queued jobs the loop never reached
            job._finish("cancelled", None)
        engine = self._engine_box[0]
        if joined and engine is not None:
            try:
                engine.unload()
            except Exception:  # freeing at exit must not raise
                log.exception("unloading the model failed")
        return joined

    @property
    def engine(self) -> Backend | None:
        """The backend, once the model thread has made it; only that thread may use it."""
        return self._engine_box[0]
