"""The chat job run on the model thread (no Qt here): stream a reply, in batches.

Pieces are handed to `progress()` at most every `batch_s` seconds (the first one at once), so
a fast model does not flood the GUI thread with one queued signal per token.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.core.backend import Backend
from app.core.types import CancelToken, ChatMessage, GenerationParams, GenerationStats

BATCH_S = 0.03


@dataclass(frozen=True)
class ChatResult:
    text: str
    stats: GenerationStats


def chat_job(messages: Sequence[ChatMessage], params: GenerationParams, batch_s: float = BATCH_S):
    history = list(messages)

    def run(engine: Backend, cancel: CancelToken, progress: Callable[[object], None]) -> ChatResult:
        stream = engine.generate(history, params, cancel)
        parts: list[str] = []
        pending: list[str] = []
        last_flush = float("-inf")
        for piece in stream:
            pending.append(piece)
            now = time.monotonic()
            if now - last_flush >= batch_s:
                progress("".join(pending))
                parts.extend(pending)
                pending.clear()
                last_flush = now
        if pending:
            progress("".join(pending))
            parts.extend(pending)
        return ChatResult("".join(parts), stream.stats)

    return run
