"""The chat job run on the model thread (no Qt here): stream a reply, store it, in batches.

The reply is written through the store's stream writer on this thread (flushed at least once
a second, so a crash loses at most the last second) and finished as complete, cancelled or
failed with its statistics. Pieces reach `progress()` at most every `batch_s` seconds (the
first one at once), so a fast model cannot flood the GUI thread with one signal per token.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.core.backend import Backend
from app.core.store.records import MessageRecord
from app.core.store.streaming import StreamWriter
from app.core.types import CancelToken, ChatMessage, GenerationParams, GenerationStats

BATCH_S = 0.03


@dataclass(frozen=True)
class ChatResult:
    text: str
    stats: GenerationStats
    record: MessageRecord | None = None


def chat_job(
    messages: Sequence[ChatMessage],
    params: GenerationParams,
    writer: StreamWriter | None = None,
    batch_s: float = BATCH_S,
):
    history = list(messages)

    def run(engine: Backend, cancel: CancelToken, progress: Callable[[object], None]) -> ChatResult:
        parts: list[str] = []
        pending: list[str] = []
        last_flush = float("-inf")
        try:
            stream = engine.generate(history, params, cancel)
            for piece in stream:
                pending.append(piece)
                if writer is not None:
                    writer.append(piece)
                now = time.monotonic()
                if now - last_flush >= batch_s:
                    progress("".join(pending))
                    parts.extend(pending)
                    pending.clear()
                    last_flush = now
        except BaseException:
            if writer is not None and not writer.finished:
                writer.finish("failed")
            raise
        if pending:
            progress("".join(pending))
            parts.extend(pending)
        status = "cancelled" if cancel.cancelled else "complete"
        record = writer.finish(status, stream.stats) if writer is not None else None
        return ChatResult("".join(parts), stream.stats, record)

    return run
