"""The stream a RemoteBackend returns: chunks of a chat completion turned into pieces and stats.

Each `data:` chunk of `/v1/chat/completions` may carry answer text (`delta.content`), reasoning
(`delta.reasoning_content` from llama-server and DeepSeek, `delta.reasoning` from vLLM and
others: yielded as `Thought`), a `finish_reason`, `usage` (when the server honours
`stream_options.include_usage`), or an in-band `error`. Anything else is ignored.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from app.core.backends.remote_errors import StreamInterrupted
from app.core.types import CancelToken, ChatMessage, GenerationStats, Thought

REASONING_KEYS = ("reasoning_content", "reasoning")


@dataclass
class StreamState:
    started: float
    dropped: int = 0
    cancel: CancelToken | None = None
    stats: GenerationStats = field(default_factory=GenerationStats)
    answer: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    done: bool = False  # `[DONE]` arrived
    finished: bool = False  # a finish_reason arrived
    pieces: int = 0
    first_at: float | None = None
    last_at: float | None = None
    usage: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.stats.dropped_messages = self.dropped

    @property
    def cancelled(self) -> bool:
        if self.cancel is not None and self.cancel.cancelled:
            self.stats.stop_reason = "cancelled"
            return True
        return False

    def take(self, chunk: dict[str, Any], server: str) -> Iterator[str]:
        error = chunk.get("error")
        if error:
            message = error.get("message") if isinstance(error, dict) else str(error)
            raise self.interrupted(server, f"the server reported: {message}")
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or ():
            if not isinstance(choice, dict):
                continue
            delta = choice.get("delta") or {}
            for key in REASONING_KEYS:
                text = delta.get(key)
                if isinstance(text, str) and text:
                    self.reasoning.append(text)
                    yield self._count(Thought(text))
            text = delta.get("content")
            if isinstance(text, str) and text:
                self.answer.append(text)
                yield self._count(text)
            reason = choice.get("finish_reason")
            if reason:
                self.finished = True
                self.stats.stop_reason = "length" if reason == "length" else "stop"

    def _count(self, piece: str) -> str:
        now = time.perf_counter()
        if self.first_at is None:
            self.first_at = now
        self.last_at = now
        self.pieces += 1
        return piece

    def interrupted(self, server: str, reason: str) -> StreamInterrupted:
        self.stats.stop_reason = "error"
        self.finish()
        kept = "; the part received is kept" if self.answer else ""
        return StreamInterrupted(
            f"The company server {server} stopped in the middle of the reply ({reason}){kept}.",
            server=server,
            partial="".join(self.answer),
            reasoning="".join(self.reasoning),
            stats=self.stats,
        )

    def finish(self) -> None:
        """Timings and token counts (the server's usage when sent, else one token a piece)."""
        stats, now = self.stats, time.perf_counter()
        stats.total_s = now - self.started
        generated = self.usage.get("completion_tokens")
        stats.generated_tokens = generated if isinstance(generated, int) else self.pieces
        prompt = self.usage.get("prompt_tokens")
        if isinstance(prompt, int):
            stats.prompt_tokens = stats.prompt_tokens_evaluated = prompt
        if self.first_at is not None:
            stats.time_to_first_token_s = self.first_at - self.started
            if self.last_at is not None and self.last_at > self.first_at and self.pieces > 1:
                stats.decode_tokens_per_s = (stats.generated_tokens - 1) / (
                    self.last_at - self.first_at
                )
            if stats.prompt_tokens and stats.time_to_first_token_s > 0:
                stats.prompt_tokens_per_s = stats.prompt_tokens / stats.time_to_first_token_s


class RemoteTokenStream:
    """Iterating yields pieces (str answer, Thought reasoning); `stats` final once ended."""

    def __init__(self, pieces: Iterator[str], state: StreamState) -> None:
        self._pieces = pieces
        self._state = state
        self.stats = state.stats
        self.finished = False
        self.messages: list[ChatMessage] = []  # the conversation as sent, after fitting

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        try:
            return next(self._pieces)
        except BaseException:
            self.finished = True
            raise

    def close(self) -> None:
        """Abandon the reply (counts as cancelled): the HTTP response is closed at once."""
        if not self.finished:
            self.stats.stop_reason = "cancelled"
            self._pieces.close()  # type: ignore[attr-defined]
            self._state.finish()
            self.finished = True

    @property
    def partial(self) -> str:
        """The answer text received so far."""
        return "".join(self._state.answer)

    def text(self) -> str:
        return "".join(p for p in self if not isinstance(p, Thought))
