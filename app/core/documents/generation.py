"""One model call for the document features: a completion, timed, its text cleaned up.

The summariser and the question answerer only need `count_tokens`, the model's context size and
a completion; a backend without raw completion (a chat-only server) gets the prompt as one user
message instead. Independent prompts (a summary's map stage) go to the backend's
`complete_many` when it has one (the local engine runs them as parallel sequences), else one
after the other.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from app.core.backend import Backend
from app.core.completions import Completion, Completions, one_by_one
from app.core.errors import ModelError
from app.core.types import CancelToken, ChatMessage, GenerationParams, GenerationStats

_SENTENCE_END = re.compile(r"[.!?…](?=\s|$)")
_SENTENCES = re.compile(r"(?<=[.!?…])\s+")
_HEADING = re.compile(r"^\s*#{1,6}(?:\s|$)")
_INLINE_HEADING = re.compile(r"\s#{1,6}(?=\s)")
_ONLY_MARKS = re.compile(r"[#*_=\-\s]+")
_BULLET = re.compile(r"^(?:[-*•]|\d+[.)])\s")


@dataclass(slots=True)
class Usage:
    """Tokens and model time spent, summed over calls (for stats and the benchmark)."""

    prompt_tokens: int = 0
    generated_tokens: int = 0
    model_s: float = 0.0
    calls: int = 0


def context_size(backend: Backend) -> int:
    info = backend.info
    if info is None:
        raise ModelError("No model is loaded; load a model before summarising or asking.")
    return int(info.n_ctx)


def complete(
    backend: Backend,
    prompt: str,
    params: GenerationParams,
    cancel: CancelToken,
    usage: Usage,
    on_piece: Callable[[str], None] | None = None,
) -> tuple[str, GenerationStats]:
    """The model's continuation of `prompt` and the call's statistics."""
    started = time.perf_counter()
    raw = getattr(backend, "complete", None)
    if callable(raw):
        stream = raw(prompt, params, cancel)
    else:
        stream = backend.generate([ChatMessage("user", prompt)], params, cancel)
    pieces: list[str] = []
    for piece in stream:
        pieces.append(piece)
        if on_piece is not None:
            on_piece(piece)
    stats = stream.stats
    usage.prompt_tokens += stats.prompt_tokens_evaluated or stats.prompt_tokens
    usage.generated_tokens += stats.generated_tokens
    usage.model_s += time.perf_counter() - started
    usage.calls += 1
    return "".join(pieces), stats


def complete_all(
    backend: Backend,
    prompts: Sequence[str],
    params: GenerationParams,
    cancel: CancelToken,
    usage: Usage,
) -> Iterator[Completion]:
    """(index, text, stats) for each of `prompts` as it finishes, in any order, until Stop.

    `usage.model_s` counts the wall time of the whole request once, not per prompt.
    """
    many = getattr(backend, "complete_many", None)
    if callable(many):
        results: Completions = many(prompts, params, cancel)
    else:
        results = Completions(
            1, one_by_one(lambda p: _one(backend, p, params, cancel), prompts, cancel)
        )
    started = time.perf_counter()
    try:
        for index, text, stats in results:
            usage.prompt_tokens += stats.prompt_tokens_evaluated or stats.prompt_tokens
            usage.generated_tokens += stats.generated_tokens
            usage.calls += 1
            usage.model_s += time.perf_counter() - started
            yield index, text, stats
            started = time.perf_counter()
    finally:
        results.close()


def _one(
    backend: Backend, prompt: str, params: GenerationParams, cancel: CancelToken
) -> tuple[str, GenerationStats]:
    return complete(backend, prompt, params, cancel, Usage())


def clean(text: str, stops: tuple[str, ...], truncated: bool, bullets: bool = False) -> str:
    """Cut at the first stop marker, tidy the layout, drop repeats and a sentence cut short.

    The model copies the source's hard line wraps and sometimes Markdown headings; both are
    noise in a summary. `bullets=True` keeps a list the model wrote as one item per line;
    otherwise the result is one paragraph (it goes inside a list item).
    """
    for stop in stops:
        at = text.find(stop)
        if at >= 0:
            text = text[:at]
    # Headings the model invents ("## Notes") carry nothing: drop those lines.
    lines = [line.strip() for line in text.splitlines() if not _HEADING.match(line)]
    lines = [line for line in lines if line and not _ONLY_MARKS.fullmatch(line)]
    joined: list[str] = []
    for line in lines:
        if joined and not (bullets and _BULLET.match(line)):
            joined[-1] = f"{joined[-1]} {line}"
        else:
            joined.append(line)
    seen: set[str] = set()
    kept = (
        _drop_repeats(" ".join(_INLINE_HEADING.sub(" ", line).split()), seen) for line in joined
    )
    text = "\n".join(line for line in kept if line)
    if truncated:
        ends = list(_SENTENCE_END.finditer(text))
        if ends and ends[-1].end() > len(text) // 3:
            text = text[: ends[-1].end()]
    return text.strip()


def _drop_repeats(line: str, seen: set[str]) -> str:
    """A small model loops: keep each sentence once (`seen` spans the whole text)."""
    kept = []
    for sentence in _SENTENCES.split(line):
        key = _BULLET.sub("", sentence.strip()).lower()
        if key and key in seen:
            continue
        seen.add(key)
        kept.append(sentence)
    return " ".join(k.strip() for k in kept if k.strip())


def degenerate(text: str) -> bool:
    """Empty or looping output (a small model's failure mode): not worth showing."""
    words = text.split()
    if len(words) < 3:
        return True
    return len(set(words)) < max(3, len(words) // 5)


def lead_sentences(text: str, count: int = 2, max_chars: int = 400) -> str:
    """The first sentences of a passage: the fallback when the model's output is unusable."""
    flat = " ".join(text.split())
    out = []
    for match in _SENTENCE_END.finditer(flat):
        out.append(match.end())
        if len(out) == count:
            break
    cut = out[-1] if out else len(flat)
    snippet = flat[: min(cut, max_chars)].strip()
    return snippet if cut <= max_chars else snippet + "…"
