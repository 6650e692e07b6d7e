"""The chat job run on the model thread (no Qt here): the core runs the turn, this batches it.

`ConversationService.run` chooses and loads the model, streams the reply into the store (flushed
at least once a second) and finishes it with its status. Text pieces reach `progress()` at most
every `batch_s` seconds (the first one at once), so a fast model cannot flood the GUI thread with
one signal per token (reasoning pieces are batched the same way, as `Thought`); anything else
(what the reply waits for, the loaded ModelInfo) is passed on at once.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from app.core.chat import ConversationService, Turn, TurnResult
from app.core.chat.warm import warm_conversation
from app.core.errors import Cancelled
from app.core.types import Thought

if TYPE_CHECKING:  # only the type: this module stays free of Qt
    from app.ui.jobs import JobContext

BATCH_S = 0.03


def turn_job(service: ConversationService, turn: Turn, batch_s: float = BATCH_S):
    def run(ctx: JobContext) -> TurnResult:
        progress = ctx.progress
        answer: list[str] = []
        thought: list[str] = []
        last_flush = float("-inf")

        def flush() -> None:
            if thought:
                progress(Thought("".join(thought)))
                thought.clear()
            if answer:
                progress("".join(answer))
                answer.clear()

        def on_piece(piece: object) -> None:
            nonlocal last_flush
            if not isinstance(piece, str):
                flush()
                progress(piece)  # what the reply waits for, the loaded model: at once
                return
            (thought if isinstance(piece, Thought) else answer).append(piece)
            now = time.monotonic()
            if now - last_flush >= batch_s:
                flush()
                last_flush = now

        try:
            result = service.run(turn, ctx.backend, ctx.cancel, on_piece)
        finally:
            flush()
        if result.status == "cancelled":
            raise Cancelled(result)
        return result

    return run


def warm_job(service: ConversationService, conversation_id: int):
    """The conversation just opened, made ready for its next message (app.core.chat.warm)."""

    def run(ctx: JobContext) -> bool:
        return warm_conversation(service, conversation_id, ctx.backend)

    return run
