"""Prompt text that knows which of its parts are message content.

A template's own markers (`<start_of_turn>`, `<|im_start|>`, `<|eot_id|>`) must become control
tokens; the text of a message, a document or an extract must never become one, whatever it
contains, or a dropped file could open turns of its own (prompt injection). `PromptText` is the
rendered prompt as a plain `str` (so it prints and compares as before) that also carries its
segments: markup (the template's, where control-token spellings are parsed) and content (plain
text). Anything that loses the segments (`prompt + "x"`, `.strip()`) is a plain str again, and a
plain str is tokenized as content only: it fails safe.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Segment = tuple[str, bool]  # (text, is_content)


class Content(str):
    """Text from a message, a document or the user: always plain text, never control tokens."""


class PromptText(str):
    """A rendered prompt: markup parts (plain `str`) and content parts (`Content`), joined.

    `PromptText(["<start_of_turn>user\\n", Content(message), "<end_of_turn>\\n"])`
    """

    segments: tuple[Segment, ...]

    def __new__(cls, parts: Iterable[str]) -> PromptText:
        segments: list[Segment] = []
        for part in parts:
            pieces = (
                segments_of(part)
                if isinstance(part, PromptText)
                else ((part, isinstance(part, Content)),)
            )
            for text, content in pieces:
                if not text:
                    continue
                if segments and segments[-1][1] == content:
                    segments[-1] = (segments[-1][0] + text, content)
                else:
                    segments.append((str(text), content))
        return cls._of(tuple(segments))

    @classmethod
    def _of(cls, segments: tuple[Segment, ...]) -> PromptText:
        obj = str.__new__(cls, "".join(text for text, _ in segments))
        obj.segments = segments
        return obj

    def __reduce__(self) -> tuple[Any, ...]:  # crosses process boundaries intact
        return (PromptText._of, (self.segments,))

    def __repr__(self) -> str:
        return f"PromptText({list(self.segments)!r})"


def segments_of(prompt: str) -> tuple[Segment, ...]:
    """The segments of a prompt; a plain str is one content segment."""
    if isinstance(prompt, PromptText):
        return prompt.segments
    return ((str(prompt), True),) if prompt else ()
