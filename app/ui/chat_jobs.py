"""The chat job run on the model thread (no Qt here): the core runs the turn, this batches it.

`ConversationService.run` chooses and loads the model, streams the reply into the store (flushed
at least once a second) and finishes it with its status. Text pieces reach `progress()` at most
every `batch_s` seconds (the first one at once), so a fast model cannot flood the GUI thread with
one signal per token; anything else (the loaded ModelInfo) is passed on at once.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from app.core.chat import ConversationService, Turn, TurnFailed, TurnResult
from app.core.errors import Cancelled
from app.core.types import Thought

if TYPE_CHECKING:  # only the type: this module stays free of Qt
    from app.ui.jobs import JobContext

BATCH_S = 0.03


def turn_job(service: ConversationService, turn: Turn, batch_s: float = BATCH_S):
    def run(ctx: JobContext) -> TurnResult:
        progress = ctx.progress
        pending: list[str] = []
        last_flush = float("-inf")

        def on_piece(piece: object) -> None:
            nonlocal last_flush
            if not isinstance(piece, str) or isinstance(piece, Thought):
                progress(piece)
                return
            pending.append(piece)
            now = time.monotonic()
            if now - last_flush >= batch_s:
                progress("".join(pending))
                pending.clear()
                last_flush = now

        try:
            result = service.run(turn, ctx.backend, ctx.cancel, on_piece)
        except TurnFailed:
            if pending:
                progress("".join(pending))
            raise
        if pending:
            progress("".join(pending))
        if result.status == "cancelled":
            raise Cancelled(result)
        return result

    return run
