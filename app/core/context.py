"""Fit a conversation into the model's context window.

The system prompt and the newest message are always kept; the oldest turns go first, a whole
turn (a user message and the replies to it) at a time. When the two kept messages alone do not
fit, the caller gets a ContextOverflowError naming both sizes: a message is never cut silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.core.errors import ContextOverflowError, ModelError
from app.core.types import ChatMessage

# Counts the tokens of the prompt rendered from these messages (template included).
PromptCounter = Callable[[Sequence[ChatMessage]], int]


@dataclass(frozen=True)
class FittedHistory:
    messages: list[ChatMessage]
    dropped: int  # how many of the oldest messages were left out
    prompt_tokens: int


def reply_budget(max_tokens: int, n_ctx: int) -> int:
    """Tokens kept free for the answer: what was asked for, but at most half the window."""
    return max(1, min(max_tokens, n_ctx // 2))


def _turns(messages: Sequence[ChatMessage]) -> list[list[ChatMessage]]:
    """Group messages into turns, each opened by a user message (a leading reply is its own)."""
    turns: list[list[ChatMessage]] = []
    for message in messages:
        if message.role == "user" or not turns:
            turns.append([message])
        else:
            turns[-1].append(message)
    return turns


def fit_history(
    messages: Sequence[ChatMessage], *, n_ctx: int, max_tokens: int, count: PromptCounter
) -> FittedHistory:
    """Keep as many recent turns as fit in n_ctx minus the reply budget."""
    if not messages:
        raise ValueError("fit_history needs at least one message")
    available = n_ctx - reply_budget(max_tokens, n_ctx)
    system = [m for m in messages[:-1] if m.role == "system"]
    newest = messages[-1]
    history = [m for m in messages[:-1] if m.role != "system"]

    total = count(messages)
    if total <= available:
        return FittedHistory(list(messages), 0, total)

    essential = [*system, newest]
    essential_tokens = count(essential)
    if essential_tokens > available:
        frame = count([ChatMessage(newest.role, "")])  # the template's own text, no message
        if frame > available:  # not the user's fault: say what is too long
            raise ModelError(
                f"The model's chat template alone takes {frame} tokens of its {n_ctx}-token "
                f"context; choose another template family for this model in its settings."
            )
        message_tokens = count([newest])
        free_for_message = max(0, available - (essential_tokens - message_tokens))
        raise ContextOverflowError(message_tokens, free_for_message, n_ctx)

    # Fewer turns never cost more tokens, so search for the smallest number to drop.
    turns = _turns(history)

    def build(drop: int) -> list[ChatMessage]:
        kept = [m for turn in turns[drop:] for m in turn]
        return [*system, *kept, newest]

    counted: dict[int, int] = {len(turns): essential_tokens}
    low, high = 1, len(turns)  # dropping every turn is known to fit
    while low < high:
        mid = (low + high) // 2
        counted[mid] = count(build(mid))
        if counted[mid] <= available:
            high = mid
        else:
            low = mid + 1
    kept = build(high)
    return FittedHistory(kept, len(messages) - len(kept), counted[high])
