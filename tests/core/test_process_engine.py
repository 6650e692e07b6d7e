"""ProcessEngine: the real engine in a child process; crashes there never take the caller down."""

from __future__ import annotations

import os
import re
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from time import perf_counter

import psutil
import pytest

from app.core.backends.local_child import FAULT_ENV
from app.core.backends.local_process import EngineCrashed, ProcessEngine
from app.core.engine import LocalEngine
from app.core.errors import ContextOverflowError, ModelError
from app.core.types import CancelToken, ChatMessage, GenerationParams, LoadOptions

pytestmark = pytest.mark.model

OPTIONS = LoadOptions(context_size=2048, threads=2)
ASK = [ChatMessage("user", "Tell me about lighthouses and the people who kept them.")]
GREEDY = GenerationParams(max_tokens=12, temperature=0, stop_on_loops=False)
NAME = "Gemma 3 270M (demo)"


@pytest.fixture(scope="module")
def process_engine(model_path: Path) -> Iterator[ProcessEngine]:
    engine = ProcessEngine()
    engine.load(model_path, OPTIONS)
    yield engine
    engine.unload()


def test_it_answers_like_the_engine_in_this_process(
    process_engine: ProcessEngine, engine: LocalEngine
) -> None:
    assert process_engine.info is not None and process_engine.info.name == NAME
    assert process_engine.pid != os.getpid()
    stream = process_engine.generate(ASK, GREEDY)
    pieces = list(stream)
    assert len(pieces) > 3  # streamed piece by piece
    assert stream.stats.generated_tokens == 12 and stream.stats.stop_reason == "length"
    engine.clear_cache()
    assert "".join(pieces) == engine.generate(ASK, GREEDY).text()
    assert process_engine.count_tokens("lighthouse keepers") == engine.count_tokens(
        "lighthouse keepers"
    )


def test_a_follow_up_turn_evaluates_only_its_new_tokens(process_engine: ProcessEngine) -> None:
    process_engine.clear_cache()
    first = process_engine.generate(ASK, GREEDY)
    reply = first.text()
    history = [*ASK, ChatMessage("assistant", reply), ChatMessage("user", "And in winter?")]
    second = process_engine.generate(history, GREEDY)
    second.text()
    assert first.stats.prompt_tokens_evaluated == first.stats.prompt_tokens
    assert (
        0
        < second.stats.prompt_tokens_evaluated
        < second.stats.prompt_tokens - first.stats.prompt_tokens + 2
    )


def test_stop_takes_effect_within_one_token(process_engine: ProcessEngine) -> None:
    cancel = CancelToken()
    stream = process_engine.generate(ASK, GenerationParams(max_tokens=200), cancel)
    for seen, _piece in enumerate(stream, 1):
        if seen == 3:
            cancel.cancel()
    assert stream.stats.stop_reason == "cancelled"
    assert stream.stats.generated_tokens <= 4
    # The engine is ready for the next request straight away.
    assert process_engine.generate(ASK, GREEDY).text()


def test_errors_cross_with_their_type(process_engine: ProcessEngine) -> None:
    huge = [ChatMessage("user", "lighthouse " * 5000)]
    with pytest.raises(ContextOverflowError, match="tokens long"):
        process_engine.generate(huge, GREEDY)
    with pytest.raises(ModelError, match="No model is loaded"):
        ProcessEngine().generate(ASK, GREEDY)


def test_an_abort_mid_reply_ends_only_the_engine(
    model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FAULT_ENV, "abort-mid-reply")  # read by the engine process it starts
    engine = ProcessEngine()
    engine.load(model_path, OPTIONS)
    first_pid = engine.pid
    kept: list[str] = []
    try:
        with pytest.raises(
            EngineCrashed, match=rf"while answering with {re.escape(NAME)} \(SIGABRT\)"
        ):
            for piece in engine.generate(ASK, GREEDY):
                kept.append(piece)
        assert len(kept) == 3  # what came before the crash reached the caller
        assert first_pid is not None and not psutil.pid_exists(first_pid)

        monkeypatch.delenv(FAULT_ENV)
        again = engine.generate(ASK, GREEDY)  # a fresh engine, the same model loaded again
        assert again.text().startswith("".join(kept))
        assert engine.pid not in (None, first_pid)
    finally:
        engine.unload()


def test_a_segfault_while_loading_is_a_clear_error(
    model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FAULT_ENV, "segv-mid-load")
    engine = ProcessEngine()
    with pytest.raises(
        EngineCrashed, match=rf"while loading with {re.escape(model_path.name)} \(SIGSEGV\)"
    ):
        engine.load(model_path, OPTIONS)
    assert engine.info is None
    monkeypatch.delenv(FAULT_ENV)
    try:
        assert engine.load(model_path, OPTIONS).name == NAME
        assert engine.generate(ASK, GREEDY).text()
    finally:
        engine.unload()


def test_a_killed_engine_says_so_and_unloading_ends_the_process(model_path: Path) -> None:
    engine = ProcessEngine()
    engine.load(model_path, OPTIONS)
    stream = engine.generate(ASK, GenerationParams(max_tokens=200))
    next(stream)
    pid = engine.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)  # as the kernel's out-of-memory killer would
    with pytest.raises(EngineCrashed, match="killed, most likely out of memory"):
        stream.text()
    assert stream.stats.stop_reason == "error"
    assert engine.generate(ASK, GREEDY).text()
    pid = engine.pid
    engine.unload()
    assert engine.pid is None and pid is not None and not psutil.pid_exists(pid)


def test_stop_during_a_long_prompt_reaches_the_engine_process(model_path: Path) -> None:
    engine = ProcessEngine()
    engine.load(model_path, LoadOptions(context_size=4096, threads=2))
    try:
        long = [ChatMessage("user", "Lighthouses were kept by families beside the lamp. " * 280)]
        cancel = CancelToken()
        stream = engine.generate(long, GenerationParams(max_tokens=8), cancel)
        asked: list[float] = []

        def stop() -> None:
            asked.append(perf_counter())
            cancel.cancel()

        timer = threading.Timer(0.3, stop)  # inside the first 512-token batch
        timer.start()
        try:
            assert stream.text() == ""
        finally:
            timer.cancel()
        assert stream.stats.prompt_tokens >= 3000
        assert stream.stats.stop_reason == "cancelled"
        assert perf_counter() - asked[0] < 1.0  # generous; about 0.1 s on a busy machine
    finally:
        engine.unload()
