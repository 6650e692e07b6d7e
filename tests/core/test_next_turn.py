"""The next turn's opening, evaluated once a reply has been sent (app.core.next_turn)."""

from __future__ import annotations

import pytest

from app.core.next_turn import collected, next_turn_opening, tokens_to_add
from app.core.templates import select_template
from app.core.types import CancelToken, ChatMessage, GenerationParams


def gemma():
    return select_template(
        architecture="gemma3",
        embedded=None,
        override=None,
        has_special_token=lambda _text: True,
        bos_token="<bos>",
        eos_token="<eos>",
    )


def test_the_opening_is_the_prompt_up_to_the_next_message() -> None:
    template = gemma()
    messages = [ChatMessage("system", "Be brief."), ChatMessage("user", "Hi <end_of_turn>")]
    opening = next_turn_opening(template, messages, "Hello!")
    assert opening is not None
    assert str(opening).endswith("Hello!<end_of_turn>\n<start_of_turn>user\n")
    following = [*messages, ChatMessage("assistant", "Hello!"), ChatMessage("user", "And?")]
    assert str(template.render(following)).startswith(str(opening))
    # the message text stays content: a control-token spelling in it is never markup
    assert any(content and "Hi <end_of_turn>" in t for t, content in opening.segments)


def test_only_a_cache_the_opening_extends_gets_tokens() -> None:
    assert tokens_to_add([1, 2, 3], [1, 2, 3, 4, 5], n_ctx=100) == [4, 5]
    assert tokens_to_add([1, 2, 3], [1, 2, 9, 4, 5], n_ctx=100) == []  # the reply differs
    assert tokens_to_add([], [1, 2], n_ctx=100) == []  # nothing cached: nothing to extend
    assert tokens_to_add([1, 2], [1, 2], n_ctx=100) == []
    assert tokens_to_add([1, 2], [1, 2, 3, 4], n_ctx=4) == []  # would fill the context


def test_collected_keeps_the_pieces_and_closing_runs_the_cleanup() -> None:
    cleaned: list[bool] = []

    def pieces():
        try:
            yield "a"
            yield "b"
        finally:
            cleaned.append(True)

    kept: list[str] = []
    stream = collected(pieces(), kept)
    assert next(stream) == "a"
    stream.close()
    assert kept == ["a"] and cleaned == [True]


@pytest.mark.model
def test_after_a_reply_the_next_turn_evaluates_only_its_message(engine) -> None:
    params = GenerationParams(max_tokens=16, seed=3, temperature=0.0)
    history = [ChatMessage("system", "Answer briefly."), ChatMessage("user", "Name a colour.")]
    engine.clear_cache()
    first = engine.generate(history, params)
    reply = first.text()
    cached_after_reply = len(engine.cached_tokens)
    engine.save_state()
    opened = engine.cached_tokens
    assert len(opened) > cached_after_reply  # the end-of-turn markup and the next turn's start
    following = [*history, ChatMessage("assistant", reply), ChatMessage("user", "And another?")]
    prompt = engine.tokenize_prompt(engine.render_prompt(following))
    assert list(prompt[: len(opened)]) == list(opened)
    second = engine.generate(following, params)
    second.text()
    assert second.stats.prompt_tokens_evaluated == len(prompt) - len(opened)
    # a request already waiting interrupts the opening: the cache stays as the reply left it
    engine.clear_cache()
    engine.generate(history, params).text()
    held = engine.cached_tokens
    waiting = CancelToken()
    waiting.cancel()
    engine.save_state(waiting)
    assert engine.cached_tokens == held
    # a cancelled reply opens nothing: its text is not what the history will hold
    engine.clear_cache()
    stream = engine.generate(history, params)
    next(iter(stream))
    stream.close()
    held = engine.cached_tokens
    engine.save_state()
    assert engine.cached_tokens == held
