"""Plain data passed between the engine, the store, the command line and the window."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


class Thought(str):
    """A piece of a model's reasoning (a `<think>` block, a server's `reasoning_content`).

    A backend's stream yields plain `str` pieces for the answer and `Thought` pieces for the
    reasoning, so every consumer can keep the two apart: reasoning is shown folded, stored apart,
    and never fed back to the model.
    """


@dataclass(frozen=True)
class LoadOptions:
    context_size: int = 4096
    threads: int = 0  # 0 = from the CPU count
    gpu_layers: int = -1  # -1 = all when llama.cpp has a GPU backend, else none
    template_override: str | None = None  # a template family name, e.g. "chatml"


@dataclass(frozen=True)
class GenerationParams:
    max_tokens: int = 512
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    seed: int | None = None
    stop: tuple[str, ...] = ()
    ignore_eos: bool = False  # run to max_tokens regardless of end tokens/stops (benchmarks)
    stop_on_loops: bool = True  # end a reply that repeats itself over and over (stop_reason "loop")

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stop"] = list(self.stop)
        return data


StopReason = Literal["stop", "length", "cancelled", "error", "loop"]


@dataclass
class GenerationStats:
    prompt_tokens: int = 0  # tokens in the whole prompt
    prompt_tokens_evaluated: int = 0  # of those, evaluated this turn (the rest came from cache)
    generated_tokens: int = 0
    time_to_first_token_s: float = 0.0
    prompt_tokens_per_s: float = 0.0
    decode_tokens_per_s: float = 0.0
    total_s: float = 0.0
    stop_reason: StopReason = "stop"
    dropped_messages: int = 0  # oldest turns left out to fit the context

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ModelInfo:
    path: str
    name: str
    sha256: str
    architecture: str
    n_ctx_train: int
    n_ctx: int
    n_params: int
    size_bytes: int
    chat_template_source: str  # "gguf", "builtin:<family>", "completion"
    gpu_layers: int
    threads: int
    metadata: dict[str, str] = field(default_factory=dict)


class CancelToken:
    """Cooperative stop: the generating loop checks it between tokens."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._callbacks: list[Callable[[], None]] = []  # e.g. close a remote stream at once

    def cancel(self) -> None:
        self._event.set()
        for callback in list(self._callbacks):
            callback()

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Run `callback` (in the cancelling thread) when cancelled; returns the remover."""
        self._callbacks.append(callback)
        if self._event.is_set():
            callback()
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()
