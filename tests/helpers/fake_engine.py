"""A scripted stand-in for `LocalEngine`, for fast widget tests (it implements `Backend`).

It yields the pieces it was given, honours the `CancelToken` between pieces, and fills in
`GenerationStats` the way the real engine does. `hold_after=N` makes it pause after N pieces
until the test cancels it (or `release()` is called), so "Stop mid-answer" is deterministic.
A load reports `load_steps` as its progress; with `hold_load` it pauses after the first step
until the test cancels it (the load then raises Cancelled and nothing is loaded) or calls
`release_load()`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from app.core.errors import Cancelled
from app.core.types import (
    CancelToken,
    ChatMessage,
    GenerationParams,
    GenerationStats,
    LoadOptions,
    ModelInfo,
)

DEFAULT_REPLY = (
    "## Sorting in Python\n\nUse **`sorted()`** for a new list:\n\n"
    "```python\nnumbers = [3, 1, 2]\nprint(sorted(numbers))\n```\n\n"
    "| call | result |\n|---|---|\n| `sorted([3, 1, 2])` | `[1, 2, 3]` |\n\n"
    "- it is stable\n- it accepts `key=`\n"
)


def split_pieces(text: str, size: int = 4) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


class FakeStream:
    def __init__(
        self,
        engine: FakeEngine,
        pieces: list[str],
        cancel: CancelToken | None,
        prompt_tokens: int,
        max_tokens: int,
    ) -> None:
        self._engine = engine
        self._pieces = pieces
        self._cancel = cancel or CancelToken()
        self.stats = GenerationStats(
            prompt_tokens=prompt_tokens, prompt_tokens_evaluated=prompt_tokens
        )
        self._max_tokens = max_tokens

    def __iter__(self) -> Iterator[str]:
        start = time.perf_counter()
        stats = self.stats
        stats.stop_reason = "stop"
        for index, piece in enumerate(self._pieces):
            if self._cancel.cancelled:
                stats.stop_reason = "cancelled"
                break
            if index >= self._max_tokens:
                stats.stop_reason = "length"
                break
            if self._engine.hold_after is not None and index == self._engine.hold_after:
                self._engine.holding.set()
                while not self._cancel.cancelled and not self._engine.released.wait(0.005):
                    pass
                if self._cancel.cancelled:
                    stats.stop_reason = "cancelled"
                    break
            if self._engine.delay_s:
                time.sleep(self._engine.delay_s)
            if index == 0:
                stats.time_to_first_token_s = time.perf_counter() - start
            stats.generated_tokens += 1
            yield piece
        if self._engine.fail_with is not None:
            raise self._engine.fail_with
        stats.total_s = time.perf_counter() - start
        decode_s = max(stats.total_s - stats.time_to_first_token_s, 1e-6)
        stats.decode_tokens_per_s = stats.generated_tokens / decode_s
        stats.prompt_tokens_per_s = 1000.0


class FakeEngine:
    """Implements `app.core.backend.Backend` with scripted replies."""

    reports_load_progress = True  # load() takes on_progress and cancel, as the real engine

    def __init__(
        self,
        replies: Sequence[str] | None = None,
        piece_size: int = 4,
        delay_s: float = 0.0,
        hold_after: int | None = None,
        load_delay_s: float = 0.0,
        load_steps: Sequence[float] = (0.0, 0.5, 1.0),
        hold_load: bool = False,
    ) -> None:
        self.replies = list(replies or [DEFAULT_REPLY])
        self.piece_size = piece_size
        self.delay_s = delay_s
        self.hold_after = hold_after
        self.load_delay_s = load_delay_s
        self.load_steps = tuple(load_steps)
        self.hold_load = hold_load
        self.load_holding = threading.Event()
        self.load_released = threading.Event()
        self.holding = threading.Event()
        self.released = threading.Event()
        self.fail_with: Exception | None = None
        self.calls: list[list[ChatMessage]] = []
        self.params: list[GenerationParams] = []
        self.threads: set[str] = set()
        self._info: ModelInfo | None = None

    @property
    def info(self) -> ModelInfo | None:
        return self._info

    def load(
        self,
        path: Path,
        options: LoadOptions,
        *,
        on_progress: Callable[[float], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> ModelInfo:
        self.threads.add(threading.current_thread().name)
        self._info = None
        if self.load_delay_s:
            time.sleep(self.load_delay_s)
        for index, fraction in enumerate(self.load_steps):
            if cancel is not None and cancel.cancelled:
                raise Cancelled(f"Loading {Path(path).name} was cancelled.")
            if on_progress is not None:
                on_progress(fraction)
            if index == 0 and self.hold_load:
                self.load_holding.set()
                while not (cancel is not None and cancel.cancelled):
                    if self.load_released.wait(0.005):
                        break
        if cancel is not None and cancel.cancelled:
            raise Cancelled(f"Loading {Path(path).name} was cancelled.")
        self._info = ModelInfo(
            path=str(path),
            name="Fake Model 1B",
            sha256="f" * 64,
            architecture="fake",
            n_ctx_train=8192,
            n_ctx=options.context_size,
            n_params=1_000_000_000,
            size_bytes=1 << 30,
            chat_template_source="builtin:fake",
            gpu_layers=0,
            threads=options.threads or 2,
        )
        return self._info

    def unload(self) -> None:
        self._info = None

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)

    def release(self) -> None:
        self.released.set()

    def release_load(self) -> None:
        self.load_released.set()

    def generate(
        self,
        messages: Sequence[ChatMessage],
        params: GenerationParams,
        cancel: CancelToken | None = None,
    ) -> FakeStream:
        self.threads.add(threading.current_thread().name)
        self.calls.append(list(messages))
        self.params.append(params)
        reply = self.replies[min(len(self.calls) - 1, len(self.replies) - 1)]
        prompt_tokens = sum(self.count_tokens(m.content) for m in messages)
        return FakeStream(
            self, split_pieces(reply, self.piece_size), cancel, prompt_tokens, params.max_tokens
        )
