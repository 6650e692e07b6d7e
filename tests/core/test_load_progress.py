"""Loading a model reports llama.cpp's progress and can be stopped, in this process and in the
engine process (a load that cannot hear Stop ends with its process)."""

from __future__ import annotations

import threading
from itertools import pairwise
from pathlib import Path
from time import monotonic

import psutil
import pytest

from app.core.backends.local_child import FAULT_ENV
from app.core.backends.local_process import CANCEL_GRACE_S, ProcessEngine
from app.core.engine import LocalEngine
from app.core.errors import Cancelled
from app.core.types import CancelToken, ChatMessage, GenerationParams, LoadOptions

pytestmark = pytest.mark.model

OPTIONS = LoadOptions(context_size=1024, threads=2)
ASK = [ChatMessage("user", "Bonjour")]
GREEDY = GenerationParams(max_tokens=4, temperature=0, stop_on_loops=False)


def _in_order_to_the_end(values: list[float]) -> None:
    assert values, "no progress was reported"
    assert values == sorted(values) and 0.0 <= values[0] < 1.0
    assert values[-1] == 1.0 and values.count(1.0) == 1


def test_the_engine_in_this_process_reports_every_step(model_path: Path) -> None:
    engine = LocalEngine()
    values: list[float] = []
    try:
        info = engine.load(model_path, OPTIONS, on_progress=values.append, cancel=CancelToken())
        assert info.name
        _in_order_to_the_end(values)
        assert len(values) > 100  # one report per tensor: llama.cpp's own
    finally:
        engine.unload()


def test_the_engine_process_reports_progress_in_order_throttled(model_path: Path) -> None:
    engine = ProcessEngine()
    values: list[float] = []
    try:
        engine.load(model_path, OPTIONS, on_progress=values.append)
        _in_order_to_the_end(values)
        # At most one report per 2 % and per 50 ms, and the end: the pipe is not flooded.
        assert 2 <= len(values) <= 51
        assert all(b - a >= 0.02 for a, b in pairwise(values[:-1]))  # the end comes anyway
        assert engine.generate(ASK, GREEDY).text() is not None
    finally:
        engine.unload()


def test_stop_during_a_slow_load_aborts_it_and_the_next_load_works(
    model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FAULT_ENV, "slow-load")  # ~12 s: a pause at every progress report
    engine = ProcessEngine()
    cancel = CancelToken()
    values: list[float] = []
    stopped_at: list[float] = []

    def on_progress(fraction: float) -> None:
        values.append(fraction)
        if not cancel.cancelled:  # Stop right after the load started
            stopped_at.append(monotonic())
            cancel.cancel()

    try:
        with pytest.raises(Cancelled, match=f"Loading {model_path.name} was cancelled"):
            engine.load(model_path, OPTIONS, on_progress=on_progress, cancel=cancel)
        assert monotonic() - stopped_at[0] < 1.0  # at llama.cpp's next report
        assert values and values[-1] < 0.9
        assert engine.info is None
        pid = engine.pid
        assert pid is not None and psutil.pid_exists(pid)  # aborted cleanly, not ended
        monkeypatch.delenv(FAULT_ENV)
        engine.unload()  # the engine process has the fault from its start: a fresh one
        again: list[float] = []
        assert engine.load(model_path, OPTIONS, on_progress=again.append).name
        _in_order_to_the_end(again)
        assert engine.generate(ASK, GREEDY).text() is not None
    finally:
        engine.unload()


def test_a_load_that_cannot_hear_stop_ends_with_its_process(
    model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FAULT_ENV, "stuck-load")  # no progress report, Stop ignored
    engine = ProcessEngine()
    cancel = CancelToken()
    outcome: list[BaseException] = []

    def load() -> None:
        try:
            engine.load(model_path, OPTIONS, cancel=cancel)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=load)
    thread.start()
    try:
        deadline = monotonic() + 60
        while engine.pid is None and monotonic() < deadline:  # the engine process runs
            thread.join(0.02)
        pid = engine.pid
        assert pid is not None
        thread.join(0.3)  # the load request is in the child, stuck
        asked = monotonic()
        cancel.cancel()
        thread.join(CANCEL_GRACE_S + 5)
        assert not thread.is_alive()
        assert monotonic() - asked < CANCEL_GRACE_S + 1.5
        assert len(outcome) == 1 and isinstance(outcome[0], Cancelled)
        assert engine.pid is None and engine.info is None and not psutil.pid_exists(pid)
        monkeypatch.delenv(FAULT_ENV)  # a fresh engine process, read at its start
        assert engine.load(model_path, OPTIONS).name
        assert engine.generate(ASK, GREEDY).text() is not None
    finally:
        thread.join(5)
        engine.unload()


def test_a_load_stopped_before_it_starts_loads_nothing(model_path: Path) -> None:
    engine = ProcessEngine()
    cancel = CancelToken()
    cancel.cancel()
    values: list[float] = []
    try:
        with pytest.raises(Cancelled):
            engine.load(model_path, OPTIONS, on_progress=values.append, cancel=cancel)
        assert values == [] and engine.info is None
    finally:
        engine.unload()


def test_a_turn_stopped_while_its_model_loads_is_cancelled_and_the_next_one_answers(
    model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.chat import ConversationService, TurnEvent
    from app.core.config.runtime import Runtime

    monkeypatch.setenv("ENCLAVE_BUNDLED_MODEL", str(model_path))
    monkeypatch.setenv(FAULT_ENV, "slow-load")
    runtime = Runtime.create(tmp_path / "data", tmp_path / "no-policy.toml")
    store = runtime.open_store()
    service = ConversationService(runtime, store)
    engine = ProcessEngine()
    cancel = CancelToken()
    events: list[TurnEvent] = []

    def on_piece(piece: object) -> None:
        if isinstance(piece, TurnEvent):
            events.append(piece)
            if piece.fraction is not None:
                cancel.cancel()  # Stop at the first figure

    try:
        turn = service.prepare("Bonjour", overrides={"max_tokens": 4})
        result = service.run(turn, engine, cancel, on_piece)
        assert result.status == "cancelled" and result.model is None
        assert result.record.stats["stopped_while"] == "loading"
        assert len(events) >= 2 and {e.state for e in events} == {"loading"}
        assert events[0].fraction is None and events[0].detail  # "Loading model {name}…"
        assert all(e.detail == events[0].detail for e in events)
        assert all(e.fraction is not None and e.fraction < 1.0 for e in events[1:])
        path = store.active_path(turn.conversation_id)
        assert [(m.role, m.content, m.status) for m in path] == [
            ("user", "Bonjour", "complete"),
            ("assistant", "", "cancelled"),
        ]
        monkeypatch.delenv(FAULT_ENV)
        engine.unload()  # a fresh engine process, without the fault
        fractions: list[float] = []

        def progress(piece: object) -> None:
            if isinstance(piece, TurnEvent) and piece.fraction is not None:
                fractions.append(piece.fraction)

        again = service.prepare("Bonjour", turn.conversation_id, overrides={"max_tokens": 4})
        second = service.run(again, engine, CancelToken(), progress)
        assert second.status == "complete" and second.model is not None
        _in_order_to_the_end(fractions)
        assert store.get_message(turn.question_id).content == "Bonjour"  # nothing lost
    finally:
        engine.unload()
        store.close()
