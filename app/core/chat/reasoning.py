"""Keep a model's reasoning apart from its answer, as the text streams.

Reasoning models write their chain of thought before the answer: `<think>…</think>` (Qwen3,
DeepSeek-R1 distills; some templates open the block themselves, so the reply starts inside it),
or gpt-oss style channels (`<|channel|>analysis<|message|>…<|end|>` then
`<|start|>assistant<|channel|>final<|message|>` before the answer). `ReasoningSplitter` turns the
stream into answer pieces (`str`) and reasoning pieces (`Thought`); a marker split across two
pieces is held back until it is whole. A company server's `reasoning_content` arrives as
`Thought` already and passes through.
"""

from __future__ import annotations

from app.core.types import Thought

_OPEN = "<think>"
_CLOSE = "</think>"
_CHANNEL_THOUGHT = "<|channel|>analysis<|message|>"
_CHANNEL_END = "<|end|>"
# Markup between gpt-oss's analysis and final channels: dropped, never shown.
_CHANNEL_NOISE = ("<|start|>assistant", "<|channel|>final<|message|>", "<|return|>")
_MARKERS = (_OPEN, _CLOSE, _CHANNEL_THOUGHT, _CHANNEL_END, *_CHANNEL_NOISE)


def prompt_opens_thought(prompt: str) -> bool:
    """The template itself opened the reasoning block: the reply starts inside it."""
    tail = prompt.rstrip()
    return tail.endswith(_OPEN) and tail.rfind(_OPEN) > tail.rfind(_CLOSE)


class ReasoningSplitter:
    def __init__(self, in_thought: bool = False) -> None:
        self.in_thought = in_thought
        self.thought_seen = in_thought
        self._answered = False
        self._pending = ""
        self._closer = _CLOSE

    def feed(self, piece: str) -> list[str]:
        """The answer (`str`) and reasoning (`Thought`) pieces `piece` completes."""
        if isinstance(piece, Thought):
            return [piece]
        text = self._pending + piece
        self._pending = ""
        out: list[str] = []
        while text:
            marker, at = self._next_marker(text)
            if marker is None:
                keep = _partial_marker_len(text)
                self._emit(out, text[: len(text) - keep])
                self._pending = text[len(text) - keep :]
                break
            self._emit(out, text[:at])
            text = text[at + len(marker) :]
            self._switch(marker)
        return out

    def flush(self) -> list[str]:
        out: list[str] = []
        self._emit(out, self._pending)
        self._pending = ""
        return out

    def _next_marker(self, text: str) -> tuple[str | None, int]:
        found: tuple[str | None, int] = (None, len(text))
        for marker in _MARKERS:
            at = text.find(marker)
            if 0 <= at < found[1]:
                found = (marker, at)
        return found

    def _switch(self, marker: str) -> None:
        if marker in (_OPEN, _CHANNEL_THOUGHT) and not self.in_thought:
            self.in_thought = self.thought_seen = True
            self._closer = _CLOSE if marker == _OPEN else _CHANNEL_END
        elif self.in_thought and marker == self._closer:
            self.in_thought = False

    def _emit(self, out: list[str], text: str) -> None:
        if not text:
            return
        if self.in_thought:
            out.append(Thought(text))
            return
        if not self._answered and self.thought_seen:
            text = text.lstrip()  # the blank lines between the thought and the answer
            if not text:
                return
        self._answered = True
        out.append(text)


def _partial_marker_len(text: str) -> int:
    """How many characters at the end of `text` could start a marker."""
    best = 0
    for marker in _MARKERS:
        for size in range(min(len(marker) - 1, len(text)), 0, -1):
            if text.endswith(marker[:size]):
                best = max(best, size)
                break
    return best
