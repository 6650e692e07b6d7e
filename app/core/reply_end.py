"""Where a reply ends: end tokens, the template's markers, stop strings, turn starts, loops.

A model that starts a new turn must end its reply there. Its template's markers are control
tokens that detokenize to nothing, so they are caught by id (every control token the template
writes: `<start_of_turn>`, `<|im_start|>`, `<|eot_id|>`, …). A model that cannot write those
tokens (a base model) writes a stand-in word and the role word instead ("…mendatanguser\\n"):
the role words that follow the template's turn openers are caught as glued turn starts (see
token_stream.TextAssembler).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.core.prompt_tokens import PromptTokenizer
from app.core.templates import ChatTemplate, ChatTemplateError
from app.core.types import ChatMessage, GenerationParams


@dataclass(frozen=True)
class TurnSigns:
    """What the template writes around a turn, as the decoder looks for it."""

    markers: frozenset[int] = frozenset()  # control token ids
    turn_starts: tuple[str, ...] = ()  # a user turn's opener without its control tokens


@dataclass(frozen=True)
class ReplyEnd:
    stops: tuple[str, ...] = ()  # stop strings, never shown
    stop_ids: frozenset[int] = frozenset()  # token ids that end the reply
    turn_starts: tuple[str, ...] = ()
    stop_on_loops: bool = False


_USER_TEXT = ("U", "V")
_SAMPLE = (
    ChatMessage("system", "S"), ChatMessage("user", "U"), ChatMessage("assistant", "A"),
    ChatMessage("user", "V"),
)  # fmt: skip


def turn_signs(template: ChatTemplate, tokenizer: PromptTokenizer) -> TurnSigns:
    for sample in (_SAMPLE, _SAMPLE[1:], _SAMPLE[-1:]):
        try:
            prompt = template.render(sample)
        except ChatTemplateError:  # a template with rules on roles; try a simpler sample
            continue
        markers = tokenizer.markup_controls(prompt)
        starts: set[str] = set()
        segments = prompt.segments
        for i, (text, content) in enumerate(segments):
            if not (content and text.endswith(_USER_TEXT)) or i == 0 or segments[i - 1][1]:
                continue
            pieces = tokenizer.split_markup(segments[i - 1][0])
            role = "".join(p for p in pieces if isinstance(p, str)).lstrip()
            if role and any(isinstance(p, int) for p in pieces):  # opened by a control token
                starts.add(role)
        return TurnSigns(frozenset(markers), tuple(sorted(starts)))
    return TurnSigns()


def reply_end(
    params: GenerationParams,
    signs: TurnSigns,
    stops: Sequence[str],
    special_id: Callable[[str], int | None],
) -> ReplyEnd:
    """The ending rules for one reply; `special_id(text)` is the vocabulary's id of a stop."""
    if params.ignore_eos:  # benchmarks: run to the token limit
        return ReplyEnd()
    ids = {t for t in (special_id(s) for s in stops) if t is not None}
    return ReplyEnd(
        stops=tuple(stops),
        stop_ids=signs.markers | ids,
        turn_starts=signs.turn_starts,
        stop_on_loops=params.stop_on_loops,
    )
