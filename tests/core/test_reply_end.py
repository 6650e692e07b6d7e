"""Where a real reply ends: loops stop by themselves, a new turn ends the reply (bundled model)."""

from __future__ import annotations

from time import perf_counter

import pytest

from app.core.engine import LocalEngine
from app.core.prompt import Content, PromptText
from app.core.reply_end import ReplyEnd
from app.core.types import CancelToken, ChatMessage, GenerationParams, GenerationStats

pytestmark = pytest.mark.model

BONJOUR = [ChatMessage("user", "Bonjour")]
GREEDY = GenerationParams(max_tokens=512, temperature=0)


def test_bonjour_stops_by_itself_when_it_loops(engine: LocalEngine) -> None:
    stopped = engine.generate(BONJOUR, GREEDY)
    text = stopped.text()
    assert stopped.stats.stop_reason == "loop"
    assert stopped.stats.generated_tokens < GREEDY.max_tokens // 2

    # Without the guard the same reply runs on to the limit, repeating what was already said.
    free = engine.generate(
        BONJOUR, GenerationParams(max_tokens=512, temperature=0, stop_on_loops=False)
    )
    full = free.text()
    assert free.stats.stop_reason == "length"
    assert free.stats.generated_tokens == 512
    assert full.startswith(text)
    assert full.count(text.strip().splitlines()[-1]) >= 4


def test_benchmarks_ignoring_the_end_are_not_cut(engine: LocalEngine) -> None:
    params = GenerationParams(max_tokens=200, temperature=0, ignore_eos=True)
    stream = engine.generate(BONJOUR, params)
    stream.text()
    assert stream.stats.generated_tokens == 200


def test_a_reply_ends_where_the_model_starts_a_new_turn(engine: LocalEngine) -> None:
    history = [
        ChatMessage("user", "Hi"),
        ChatMessage("assistant", "Hello! How can I help?"),
        ChatMessage("user", "What is 2+2?"),
    ]
    stream = engine.generate(history, GenerationParams(max_tokens=200, temperature=0))
    reply = stream.text()
    assert stream.stats.stop_reason == "stop"
    assert "user" not in reply and stream.stats.generated_tokens < 30

    # The same prompt continued with nothing to stop it: the model wrote the next user turn.
    prompt = engine.render_prompt(history)
    raw = engine.complete(prompt, GenerationParams(max_tokens=40, temperature=0, ignore_eos=True))
    continued = raw.text()
    assert continued.startswith(reply)
    assert continued[len(reply) :].startswith("user\n")


def test_a_control_token_ends_the_reply_by_id(engine: LocalEngine) -> None:
    """Markers detokenize to nothing, so the decoder matches ids, never text."""
    prompt = PromptText(["<start_of_turn>user\n", Content("Count: one, two,"), "<end_of_turn>\n"])
    params = GenerationParams(max_tokens=8, temperature=0, stop_on_loops=False)
    first = engine.complete(prompt, params)
    first.text()
    tokens = engine.tokenize_prompt(prompt)
    made = list(engine.cached_tokens[len(tokens) :])
    assert len(made) >= 4

    # The decoder itself, told that the first new token id of the reply after the first one
    # is a marker: the same reply ends just before it.
    cut = next(i for i in range(1, len(made)) if made[i] not in made[:i])
    decoder = engine._decoder
    assert decoder is not None
    stats = GenerationStats(prompt_tokens=len(tokens))
    end = ReplyEnd(stop_ids=frozenset({made[cut]}))
    pieces = list(decoder.run(tokens, params, CancelToken(), end, stats, perf_counter(), False))
    assert stats.generated_tokens == cut and stats.stop_reason == "stop"
    assert "".join(pieces) == engine.detokenize(made[:cut])
