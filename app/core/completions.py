"""Many independent completions in one request: the results, and the one-after-the-other path.

A backend that can evaluate several prompts at once (the local engine: parallel sequences of
one llama.cpp context, see parallel_decode) offers `complete_many(prompts, params, cancel)`.
It returns `Completions`: iterating yields `(index, text, stats)` for each prompt as it
finishes (not necessarily in order), `width` says how many ran at once (1: one after the
other). After Stop nothing more is yielded, and a prompt cut short is never yielded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from app.core.backend import TokenStream
from app.core.types import CancelToken, GenerationStats

Completion = tuple[int, str, GenerationStats]


class Completions:
    """The finished prompts of a `complete_many` request, as they come."""

    def __init__(self, width: int, results: Iterator[Completion]) -> None:
        self.width = width
        self._results = results

    def __iter__(self) -> Iterator[Completion]:
        return self._results

    def close(self) -> None:
        """Abandon what is left (the engine frees what it holds for the request)."""
        close = getattr(self._results, "close", None)
        if callable(close):
            close()


def one_by_one(
    run: Callable[[str], tuple[str, GenerationStats]],
    prompts: Sequence[str],
    cancel: CancelToken,
) -> Iterator[Completion]:
    """Each prompt in turn through `run(prompt) -> (text, stats)`, until Stop."""
    for index, prompt in enumerate(prompts):
        if cancel.cancelled:
            return
        text, stats = run(prompt)
        if cancel.cancelled:  # a completion cut short is not a result
            return
        yield index, text, stats


def drained(stream: TokenStream) -> tuple[str, GenerationStats]:
    """A stream read to its end: its text and final statistics."""
    text = "".join(stream)
    return text, stream.stats
