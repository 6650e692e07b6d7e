"""Jobs: in order on the model thread, or on a thread of their own; signals carry results,
exactly one outcome each, stop is cooperative."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.core.chat import ConversationService, TurnResult
from app.core.errors import EnclaveError
from app.core.models.download import DownloadPaused
from app.core.models.pull import UnverifiedDownload
from app.ui.chat_jobs import turn_job
from app.ui.jobs import Job, JobContext, run_in_thread
from tests.helpers.fake_engine import FakeEngine


@pytest.fixture
def service(runtime):
    store = runtime.open_store()
    yield ConversationService(runtime, store)
    store.close()


def chat_job(service: ConversationService, prompt: str):
    """The window's chat job for a new conversation's first question."""
    return turn_job(service, service.prepare(prompt))


def test_jobs_run_in_order_off_the_gui_thread(qtbot, worker):
    seen: list[tuple[int, str]] = []

    def make(n: int):
        def fn(ctx):
            seen.append((n, threading.current_thread().name))
            return n * 10

        return fn

    jobs = [worker.submit(make(n), kind="test") for n in range(3)]
    with qtbot.waitSignal(jobs[-1].succeeded, timeout=5000) as blocker:
        pass
    assert blocker.args == [20]
    assert [n for n, _ in seen] == [0, 1, 2]
    assert all(name != threading.main_thread().name for _, name in seen)


def test_failed_job_reports_the_user_message(qtbot, worker):
    def boom(ctx):
        raise EnclaveError("The model file is gone; choose another model.")

    job = worker.submit(boom)
    with qtbot.waitSignal(job.failed, timeout=5000) as blocker:
        pass
    assert blocker.args == ["The model file is gone; choose another model."]


def test_unexpected_exception_does_not_kill_the_thread(qtbot, worker):
    job = worker.submit(lambda ctx: 1 / 0)
    with qtbot.waitSignal(job.failed, timeout=5000) as blocker:
        pass
    assert "ZeroDivisionError" in blocker.args[0]
    ok = worker.submit(lambda ctx: "alive")
    with qtbot.waitSignal(ok.succeeded, timeout=5000) as blocker:
        pass
    assert blocker.args == ["alive"]


def test_chat_job_streams_batches_and_stops_on_cancel(
    qtbot, worker, fake_engine: FakeEngine, service
):
    fake_engine.hold_after = 5
    job = worker.submit(chat_job(service, "hi"), kind="chat")
    pieces: list[str] = []
    job.progress.connect(lambda p: pieces.append(p) if isinstance(p, str) else None)
    qtbot.waitUntil(lambda: fake_engine.holding.is_set() and bool(pieces), timeout=5000)
    with qtbot.waitSignal(job.cancelled, timeout=5000) as blocker:
        job.cancel()
    result = blocker.args[0]
    assert isinstance(result, TurnResult)
    assert result.status == "cancelled" and result.record.status == "cancelled"
    assert result.stats["stop_reason"] == "cancelled"
    assert result.stats["generated_tokens"] == 5
    assert "".join(pieces) == result.text == result.record.content
    assert 0 < len(result.text) < len(fake_engine.replies[0])


def test_queued_job_cancelled_before_start_never_runs(
    qtbot, worker, fake_engine: FakeEngine, service
):
    fake_engine.hold_after = 0
    first = worker.submit(chat_job(service, "a"), kind="chat")
    ran: list[int] = []
    second = worker.submit(lambda ctx: ran.append(1))
    second.cancel()
    qtbot.waitUntil(fake_engine.holding.is_set, timeout=5000)
    with qtbot.waitSignals([first.cancelled, second.cancelled], timeout=5000):
        first.cancel()
    assert ran == []


def test_load_model_emits_model_loaded(qtbot, worker, runtime, tmp_path: Path):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    runtime.settings.update(context_size=1024)
    with qtbot.waitSignal(worker.modelLoaded, timeout=5000) as blocker:
        worker.load_model(str(model))
    assert blocker.args[0].n_ctx == 1024
    assert blocker.args[0].path == str(model)
    assert worker.model_info is blocker.args[0]


def test_shutdown_cancels_a_running_job_and_joins(qtbot, runtime, service):
    from app.ui.model_worker import ModelWorker

    engine = FakeEngine(hold_after=1)
    w = ModelWorker(runtime, backend=engine)
    job = w.submit(chat_job(service, "a"), kind="chat")
    qtbot.waitUntil(engine.holding.is_set, timeout=5000)
    assert w.shutdown()
    assert job.state == "cancelled"


def test_a_job_gets_the_model_threads_backend(qtbot, worker, fake_engine: FakeEngine):
    job = worker.submit(lambda ctx: ctx.backend)
    with qtbot.waitSignal(job.succeeded, timeout=5000) as blocker:
        pass
    assert blocker.args == [fake_engine]


# -- a job on a thread of its own (the model manager's) ------------------------------------


def outcomes(job: Job) -> list[str]:
    """Every signal the job emits after this call, in order."""
    seen: list[str] = []
    for name in ("succeeded", "failed", "cancelled", "paused", "finished"):
        getattr(job, name).connect(lambda *_args, name=name: seen.append(name))
    return seen


def test_thread_job_runs_on_its_own_thread_which_has_ended_when_it_finishes(qtbot):
    seen: list[str] = []

    def fn(ctx: JobContext):
        seen.append(threading.current_thread().name)
        ctx.progress("half")
        return ctx.backend

    job = run_in_thread(fn, "refresh")
    signals = outcomes(job)
    progress: list[object] = []
    job.progress.connect(progress.append)  # connected after the call: nothing is missed
    ended: list[bool] = []
    job.finished.connect(lambda: ended.append(job._thread.isFinished()))
    with qtbot.waitSignal(job.succeeded, timeout=5000) as blocker:
        pass
    qtbot.waitUntil(lambda: signals == ["succeeded", "finished"], timeout=5000)
    assert blocker.args == [None]  # no backend off the model thread
    assert progress == ["half"]
    assert seen and seen[0] != threading.main_thread().name
    assert ended == [True]
    job.deleteLater()


def test_thread_job_cancelled_before_it_starts_never_runs(qtbot):
    ran: list[int] = []
    job = run_in_thread(lambda ctx: ran.append(1), "verify")
    signals = outcomes(job)
    job.cancel()
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert ran == []
    assert signals == ["cancelled", "finished"] and job.state == "cancelled"


def until_asked_to_stop(ctx: JobContext, started: threading.Event) -> None:
    """What a download or an import does between blocks: go on until cancel or pause."""
    stop = threading.Event()
    ctx.cancel.on_cancel(stop.set)
    ctx.pause.on_cancel(stop.set)
    started.set()
    assert stop.wait(30)


def test_thread_job_pauses_and_cancels_cooperatively(qtbot):
    started = threading.Event()

    def download(ctx: JobContext):
        until_asked_to_stop(ctx, started)
        if ctx.pause.cancelled:
            raise DownloadPaused()
        return "complete"

    paused = run_in_thread(download, "download")
    signals = outcomes(paused)
    qtbot.waitUntil(started.is_set, timeout=5000)
    with qtbot.waitSignal(paused.finished, timeout=5000):
        paused.pause()
    assert signals == ["paused", "finished"] and paused.state == "paused"

    started.clear()
    cancelled = run_in_thread(lambda ctx: until_asked_to_stop(ctx, started), "import")
    signals = outcomes(cancelled)
    qtbot.waitUntil(started.is_set, timeout=5000)
    with qtbot.waitSignal(cancelled.finished, timeout=5000):
        cancelled.cancel()
    assert signals == ["cancelled", "finished"]  # it returned, but after cancel()


def test_thread_job_failure_gives_the_message_and_keeps_the_error(qtbot):
    def fn(ctx: JobContext):
        raise UnverifiedDownload("No checksum is published for this file.")

    job = run_in_thread(fn, "download")
    signals = outcomes(job)
    with qtbot.waitSignal(job.failed, timeout=5000) as blocker:
        pass
    qtbot.waitUntil(lambda: "finished" in signals, timeout=5000)
    assert blocker.args == ["No checksum is published for this file."]
    assert isinstance(job.error, UnverifiedDownload)
    assert signals == ["failed", "finished"]

    bug = run_in_thread(lambda ctx: {}["missing"], "refresh")
    with qtbot.waitSignal(bug.failed, timeout=5000) as blocker:
        pass
    assert "KeyError" in blocker.args[0] and "log file" in blocker.args[0]
    qtbot.waitUntil(lambda: bug.done and bug._thread.isFinished(), timeout=5000)
