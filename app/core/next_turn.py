"""The opening of a conversation's next turn, evaluated while the user is still reading.

Once a reply has reached its caller, the next prompt is known up to the new message: the reply,
the template's end-of-turn markup and the start of the next user turn (Gemma:
`…reply<end_of_turn>\\n<start_of_turn>user\\n`). Evaluating those few tokens then, instead of
when the next message is sent, takes them out of the next turn's time to first token; with a
long conversation each of them costs attention over the whole history. When the next prompt
differs after all (the reply was edited, the history refitted), prefix reuse cuts the cache back
as it would have anyway: nothing is lost but these few tokens' work.

The same holds when a conversation is opened again (`warm`): its saved KV state is restored and
the rest of its history, up to the next turn's opening, is evaluated while the user types, so
the message, when sent, pays only for its own tokens.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING

from app.core.kv_cache.keeper import common_prefix
from app.core.prompt import Content, PromptText
from app.core.templates import ChatTemplate
from app.core.types import CancelToken, ChatMessage

if TYPE_CHECKING:
    from app.core.decoder import Decoder
    from app.core.kv_cache import StateSession
    from app.core.kv_cache.keeper import StateKeeper

_PLACEHOLDER = "x"  # stands for the next message: only the markup before it is kept
WARM_TAIL = 512  # tokens a warm-up evaluates at most beyond the cache (one batch: ~1 s on CPU)


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
    return turn_opening(template, [*messages, ChatMessage("assistant", reply)])


def turn_opening(template: ChatTemplate, history: Sequence[ChatMessage]) -> PromptText | None:
    """The prompt of the next turn after `history`, up to where its user message would start;
    None when the template changes the message (no safe place to cut)."""
    rendered = template.render([*history, ChatMessage("user", _PLACEHOLDER)])
    segments = rendered.segments
    last = max((i for i, (_, content) in enumerate(segments) if content), default=-1)
    if last < 0 or segments[last][0] != _PLACEHOLDER:
        return None
    return PromptText([Content(t) if content else t for t, content in segments[:last]])


def tokens_to_add(cached: Sequence[int], opening: Sequence[int], n_ctx: int) -> list[int]:
    """The opening's tokens after the cache, if it extends a cache that holds the reply."""
    n = len(cached)
    if not 0 < n < len(opening) < n_ctx or list(opening[:n]) != list(cached):
        return []
    return list(opening[n:])


def warm(
    decoder: Decoder,
    keeper: StateKeeper,
    opening: Sequence[int],
    session: StateSession | None,
    cancel: CancelToken | None = None,
) -> int:
    """Make the cache hold `opening` (a conversation's history and its next turn's opening):
    the conversation's saved state first, then at most WARM_TAIL tokens evaluated. When more
    would be needed (a long conversation without a state) the cache is left as it is: its
    conversation may be the one the user goes back to. Returns the tokens of `opening` held.
    `cancel` (a request waiting) stops the evaluation; what was evaluated is kept."""
    if len(opening) >= decoder.ctx.n_ctx:
        return 0  # the next turn drops old messages: its prompt starts otherwise
    keeper.before_prompt(decoder, session, opening)
    keeper.unsaved = False  # nothing new to save until a reply
    held = common_prefix(decoder.cached, opening)
    if len(opening) - held > WARM_TAIL:
        return held
    decoder.reuse_prefix(opening, evaluate_last=False)
    decoder.extend(opening, cancel)
    return common_prefix(decoder.cached, opening)
