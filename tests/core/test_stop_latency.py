"""Stop takes effect inside a long prompt's evaluation, and the KV cache stays consistent."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from time import perf_counter

import pytest

from app.core.engine import LocalEngine
from app.core.types import CancelToken, ChatMessage, GenerationParams, LoadOptions

pytestmark = pytest.mark.model

FILLER = "Lighthouses were once kept by families who lived beside the lamp, trimming wicks. "
LONG = [ChatMessage("user", FILLER * 170)]  # about 3,000 tokens
GREEDY = GenerationParams(max_tokens=6, temperature=0)
BOUND_S = 1.0  # generous for a busy test machine; the benchmark figure is about 0.05 s


@pytest.fixture(scope="module")
def big_engine(model_path: Path) -> Iterator[LocalEngine]:
    engine = LocalEngine()
    engine.load(model_path, LoadOptions(context_size=4096, threads=2))
    yield engine
    engine.unload()


class StopMidBatch(CancelToken):
    """Says "stop" inside the second prompt batch: after `batch` tokens, a few checks in."""

    def __init__(self, engine: LocalEngine, batch: int) -> None:
        super().__init__()
        self._engine, self._batch, self._checks = engine, batch, 0

    @property
    def cancelled(self) -> bool:
        if len(self._engine.cached_tokens) >= self._batch:
            self._checks += 1  # the abort callback asks between the steps of the decode
        return self._checks > 20


def test_stop_during_a_3000_token_prompt_returns_quickly(big_engine: LocalEngine) -> None:
    big_engine.clear_cache()
    prompt_tokens = len(big_engine.tokenize_prompt(big_engine.render_prompt(LONG)))
    assert prompt_tokens >= 3000
    cancel = CancelToken()
    stream = big_engine.generate(LONG, GREEDY, cancel)
    asked: list[float] = []

    def stop() -> None:
        asked.append(perf_counter())
        cancel.cancel()

    timer = threading.Timer(0.3, stop)  # well inside the first 512-token batch
    timer.start()
    try:
        assert stream.text() == ""
    finally:
        timer.cancel()
    waited = perf_counter() - asked[0]
    assert stream.stats.stop_reason == "cancelled"
    assert stream.stats.prompt_tokens_evaluated < prompt_tokens
    assert waited < BOUND_S, f"Stop took {waited:.3f} s"


def test_an_aborted_batch_leaves_the_cache_consistent(big_engine: LocalEngine) -> None:
    big_engine.clear_cache()
    tokens = big_engine.tokenize_prompt(big_engine.render_prompt(LONG))
    stopped = big_engine.generate(LONG, GREEDY, StopMidBatch(big_engine, 512))
    assert stopped.text() == ""
    assert stopped.stats.stop_reason == "cancelled"
    assert big_engine.cached_tokens == tuple(tokens[:512])  # the first batch, nothing after

    resumed = big_engine.generate(LONG, GREEDY)
    answer = resumed.text()
    assert resumed.stats.prompt_tokens_evaluated == len(tokens) - 512
    big_engine.clear_cache()
    fresh = big_engine.generate(LONG, GREEDY)
    assert fresh.text() == answer  # the kept cache was right: same greedy answer
