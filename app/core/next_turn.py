"""The opening of a conversation's next turn, evaluated while the user is still reading.

Once a reply has reached its caller, the next prompt is known up to the new message: the reply,
the template's end-of-turn markup and the start of the next user turn (Gemma:
`…reply<end_of_turn>\\n<start_of_turn>user\\n`). Evaluating those few tokens then, instead of
when the next message is sent, takes them out of the next turn's time to first token; with a
long conversation each of them costs attention over the whole history. When the next prompt
differs after all (the reply was edited, the history refitted), prefix reuse cuts the cache back
as it would have anyway: nothing is lost but these few tokens' work.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence

from app.core.prompt import Content, PromptText
from app.core.templates import ChatTemplate
from app.core.types import ChatMessage

_PLACEHOLDER = "x"  # stands for the next message: only the markup before it is kept


def collected(pieces: Generator[str, None, None], into: list[str]) -> Generator[str, None, None]:
    """Pass the pieces on, keeping them; closing this closes `pieces` (its cleanup runs)."""
    try:
        for piece in pieces:
            into.append(piece)
            yield piece
    finally:
        pieces.close()


def next_turn_opening(
    template: ChatTemplate, messages: Sequence[ChatMessage], reply: str
) -> PromptText | None:
    """The prompt of the turn after `reply`, up to where the next user message would start."""
    rendered = template.render(
        [*messages, ChatMessage("assistant", reply), ChatMessage("user", _PLACEHOLDER)]
    )
    segments = rendered.segments
    last = max((i for i, (_, content) in enumerate(segments) if content), default=-1)
    if last < 0 or segments[last][0] != _PLACEHOLDER:
        return None  # the template changed the message: no safe place to cut
    return PromptText([Content(t) if content else t for t, content in segments[:last]])


def tokens_to_add(cached: Sequence[int], opening: Sequence[int], n_ctx: int) -> list[int]:
    """The opening's tokens after the cache, if it extends a cache that holds the reply."""
    n = len(cached)
    if not 0 < n < len(opening) < n_ctx or list(opening[:n]) != list(cached):
        return []
    return list(opening[n:])
