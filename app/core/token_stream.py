"""From token bytes to the text pieces a reader sees.

A token can end in the middle of a UTF-8 character (emoji, CJK, accented letters in byte-level
vocabularies), and a stop string can span several tokens. The assembler buffers both cases:
incomplete bytes until the character is whole, and text that might be the start of a stop
string until it is clear either way, so a stop string never reaches the output.

A turn start is a stop string ("user\n") that counts only when glued to the text before it, or
at the start of a line: a model that cannot write a turn's control token writes some stand-in
and then the role word, "…mendatanguser\n", where a sentence would have a space first.
"""

from __future__ import annotations

import codecs
import inspect
from collections.abc import Generator, Iterator, Sequence

from app.core.types import ChatMessage, GenerationStats


class TextAssembler:
    def __init__(
        self,
        stop: Sequence[str] = (),
        *,
        strip_leading: bool = False,
        turn_starts: Sequence[str] = (),
    ) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._stop = tuple(s for s in stop if s)
        self._turn_starts = tuple(s for s in turn_starts if s)
        self._last = ""  # the last character shown (a turn start must be glued to it)
        self._held = ""  # decoded text that may still turn into a stop string
        self._strip_leading = strip_leading
        self.stopped = False  # a stop string was found; nothing more will be emitted

    def push(self, data: bytes) -> str:
        """Add one token's bytes; return the text that is now safe to show."""
        if self.stopped:
            return ""
        text = self._held + self._decoder.decode(data)
        if self._strip_leading:
            text = text.lstrip()
            if not text:
                return ""
            self._strip_leading = False
        cut = self._find_stop(text)
        if cut is not None:
            self.stopped = True
            self._held = ""
            return text[:cut]
        keep = self._partial_stop_length(text)
        self._held = text[len(text) - keep :] if keep else ""
        shown = text[: len(text) - keep]
        self._last = shown[-1:] or self._last
        return shown

    def flush(self) -> str:
        """The end: release held text and any trailing incomplete bytes (as U+FFFD)."""
        if self.stopped:
            return ""
        text = self._held + self._decoder.decode(b"", final=True)
        self._held = ""
        return text.lstrip() if self._strip_leading else text

    def _find_stop(self, text: str) -> int | None:
        hits = [i for i in (text.find(s) for s in self._stop) if i >= 0]
        for start in self._turn_starts:
            at = text.find(start)
            while at >= 0:
                before = text[at - 1] if at else self._last
                if before not in (" ", "\t"):  # glued, at a line's start or the very start
                    hits.append(at)
                    break
                at = text.find(start, at + 1)
        return min(hits) if hits else None

    def _partial_stop_length(self, text: str) -> int:
        """Length of the longest tail of `text` that begins some stop string."""
        best = 0
        for stop in (*self._stop, *self._turn_starts):
            for size in range(min(len(stop) - 1, len(text)), best, -1):
                if text.endswith(stop[:size]):
                    best = size
                    break
        return best


class LocalTokenStream:
    """Iterating yields text pieces; `stats` is final once the iteration has ended."""

    def __init__(self, pieces: Generator[str, None, None], stats: GenerationStats) -> None:
        self._pieces = pieces
        self.stats = stats
        self.finished = False
        # For chat replies: the conversation as sent to the model, after fitting the context.
        self.messages: list[ChatMessage] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        try:
            return next(self._pieces)
        except BaseException:  # exhausted or failed: either way, nothing more will come
            self.finished = True
            raise

    def close(self) -> None:
        """Abandon the reply (counts as cancelled); safe to call more than once."""
        if not self.finished:
            never_started = inspect.getgeneratorstate(self._pieces) == inspect.GEN_CREATED
            self._pieces.close()  # runs the generator's cleanup, which records the stop
            if never_started:  # no cleanup ran: record it here
                self.stats.stop_reason = "cancelled"
            self.finished = True

    def text(self) -> str:
        """Consume the rest of the stream and return it joined."""
        return "".join(self)
