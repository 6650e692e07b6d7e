"""The model worker: jobs run in order on one thread, signals carry results, stop is cooperative."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.core.chat import ConversationService, TurnResult
from app.core.errors import EnclaveError
from app.ui.chat_jobs import turn_job
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
        def fn(engine, cancel, progress):
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
    def boom(engine, cancel, progress):
        raise EnclaveError("The model file is gone; choose another model.")

    job = worker.submit(boom)
    with qtbot.waitSignal(job.failed, timeout=5000) as blocker:
        pass
    assert blocker.args == ["The model file is gone; choose another model."]


def test_unexpected_exception_does_not_kill_the_thread(qtbot, worker):
    job = worker.submit(lambda e, c, p: 1 / 0)
    with qtbot.waitSignal(job.failed, timeout=5000) as blocker:
        pass
    assert "ZeroDivisionError" in blocker.args[0]
    ok = worker.submit(lambda e, c, p: "alive")
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
    second = worker.submit(lambda e, c, p: ran.append(1))
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
