"""A fast, scripted completion backend for summary tests where the real model is too slow.

It implements the `Backend` calls the document features use (`info`, `count_tokens`,
`complete`, `generate`), records every prompt, answers with a short text naming the first words
of the passage it was given, honours the `CancelToken` between pieces, and can hold inside a
chosen call until the test cancels or releases it (for deterministic Cancel tests).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from app.core.types import (
    CancelToken,
    ChatMessage,
    GenerationParams,
    GenerationStats,
    LoadOptions,
    ModelInfo,
)

_TEXT = re.compile(r"(?:Text|Texte) ?:\n(.*?)\n\n(?:Summary|Résumé)", re.S)


class FakeSummaryEngine:
    def __init__(self, n_ctx: int = 512, hold_on_call: int | None = None) -> None:
        self.n_ctx = n_ctx
        self.prompts: list[str] = []
        self.hold_on_call = hold_on_call  # 1-based call number that waits for cancel/release
        self.holding = threading.Event()
        self.released = threading.Event()
        self._info = ModelInfo(
            path="fake.gguf",
            name="Fake summariser",
            sha256="0" * 64,
            architecture="fake",
            n_ctx_train=n_ctx,
            n_ctx=n_ctx,
            n_params=0,
            size_bytes=0,
            chat_template_source="completion",
            gpu_layers=0,
            threads=1,
        )

    @property
    def info(self) -> ModelInfo:
        return self._info

    def load(self, path: Path, options: LoadOptions) -> ModelInfo:
        return self._info

    def unload(self) -> None:
        pass

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + text.count("\n") // 2

    def release(self) -> None:
        self.released.set()

    def complete(
        self, prompt: str, params: GenerationParams, cancel: CancelToken | None = None
    ) -> FakeCompletion:
        self.prompts.append(prompt)
        hold = self.hold_on_call == len(self.prompts)
        return FakeCompletion(self, prompt, params, cancel or CancelToken(), hold)

    def generate(
        self,
        messages: Sequence[ChatMessage],
        params: GenerationParams,
        cancel: CancelToken | None = None,
    ) -> FakeCompletion:
        return self.complete(messages[-1].content, params, cancel)


class FakeCompletion:
    def __init__(
        self,
        engine: FakeSummaryEngine,
        prompt: str,
        params: GenerationParams,
        cancel: CancelToken,
        hold: bool,
    ) -> None:
        self._engine = engine
        self._params = params
        self._cancel = cancel
        self._hold = hold
        match = _TEXT.search(prompt)
        words = (match.group(1) if match else prompt[-200:]).split()[:8]
        self._reply = "This part covers " + " ".join(words) + "."
        self.stats = GenerationStats(prompt_tokens=engine.count_tokens(prompt))

    def __iter__(self) -> Iterator[str]:
        started = time.perf_counter()
        pieces = self._reply.split(" ")
        for index, word in enumerate(pieces):
            if index == 2 and self._hold:
                self._engine.holding.set()
                while not self._cancel.cancelled and not self._engine.released.wait(0.005):
                    pass
            if self._cancel.cancelled:
                self.stats.stop_reason = "cancelled"
                break
            if index >= self._params.max_tokens:
                self.stats.stop_reason = "length"
                break
            self.stats.generated_tokens += 1
            yield word if index == 0 else " " + word
        self.stats.prompt_tokens_evaluated = self.stats.prompt_tokens
        self.stats.total_s = time.perf_counter() - started


class RecordingBackend:
    """Wraps a real backend and records each completion prompt (a spy, not a fake)."""

    def __init__(self, backend: object) -> None:
        self._backend = backend
        self.prompts: list[str] = []

    @property
    def info(self) -> ModelInfo | None:
        return self._backend.info  # type: ignore[attr-defined]

    def count_tokens(self, text: str) -> int:
        return self._backend.count_tokens(text)  # type: ignore[attr-defined]

    def complete(self, prompt: str, params: GenerationParams, cancel: CancelToken | None = None):
        self.prompts.append(prompt)
        return self._backend.complete(prompt, params, cancel)  # type: ignore[attr-defined]

    def generate(self, messages, params, cancel=None):
        return self._backend.generate(messages, params, cancel)  # type: ignore[attr-defined]
