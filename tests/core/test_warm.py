"""An opened conversation made ready for its next message (app.core.next_turn.warm,
app.core.chat.warm): its saved state restored and its history evaluated before the message is
sent, so the message pays only for its own tokens, with the answer a full evaluation gives."""

from __future__ import annotations

from time import perf_counter

import pytest

from app.core.backends.local_process import ProcessEngine
from app.core.chat import ConversationService
from app.core.chat.warm import warm_conversation
from app.core.next_turn import WARM_TAIL
from app.core.types import ChatMessage, GenerationParams
from tests.helpers.warm_turn import GREEDY, assert_next_turn_is_warm

pytestmark = pytest.mark.model
FIRST = GenerationParams(max_tokens=1, seed=1, temperature=0.0)  # the answer's first token
LONG = "Tell me about lighthouses. " + " ".join(
    f"Lighthouse {i} stands on a rock and guides the ships at night." for i in range(40)
)


def conversation(turns: int, words: str = "Name a colour.") -> list[ChatMessage]:
    messages = [ChatMessage("system", "Answer briefly.")]
    for i in range(turns):
        messages += [ChatMessage("user", f"{words} ({i})"), ChatMessage("assistant", f"Blue {i}.")]
    return messages


def test_a_warmed_conversation_evaluates_only_the_new_message(engine) -> None:
    history = conversation(3)
    engine.clear_cache()
    held = engine.warm(history)
    opening = engine.cached_tokens
    assert held == len(opening) > 0
    following = [*history, ChatMessage("user", "And another?")]
    prompt = engine.tokenize_prompt(engine.render_prompt(following))
    assert list(prompt[:held]) == list(opening)
    warmed = engine.generate(following, FIRST)
    first = warmed.text()
    assert warmed.stats.prompt_tokens_evaluated == len(prompt) - held
    # the same as the next turn of a conversation whose cache holds the history (prefix reuse
    # of the earlier turn's prompt): llama.cpp's figures depend a little on where a prompt is
    # split into batches, so that is the answer to compare with, not a single-batch one
    engine.clear_cache()
    engine.generate([*history, ChatMessage("user", "x")], FIRST).text()
    reused = engine.generate(following, FIRST)
    assert reused.text() == first
    assert reused.stats.prompt_tokens_evaluated == len(prompt) - held


def test_a_long_history_without_a_state_leaves_the_cache_to_its_conversation(engine) -> None:
    engine.clear_cache()
    engine.warm(conversation(2))
    before = engine.cached_tokens
    other = conversation(40, "Describe a long winding road through the mountains in detail.")
    assert len(engine.tokenize_prompt(engine.render_prompt(other))) > len(before) + WARM_TAIL
    engine.warm(other)
    assert engine.cached_tokens == before
    # nothing to make ready: no answer yet (the history ends with the question)
    assert engine.warm([*other, ChatMessage("user", "Why?")]) == 0
    assert engine.cached_tokens == before


@pytest.fixture
def service(model_service: ConversationService) -> ConversationService:
    return model_service


def load_conversation_model(service: ConversationService, conversation_id: int, engine) -> None:
    """As the window does when a conversation is opened: its own model, loaded."""
    conv = service.store.get_conversation(conversation_id)
    choice = service.loader.choose(*service.model_spec(conv, None))
    service.loader.load(engine, choice, {})


def test_reopened_after_a_restart_the_state_is_taken_before_the_message(
    service: ConversationService,
) -> None:
    engine = ProcessEngine()
    first = service.run(service.prepare(LONG, overrides=GREEDY, seed=1), engine)
    engine.unload()  # the app closes: the state is saved
    conversation_id = first.turn.conversation_id

    engine = ProcessEngine()  # started again
    try:
        load_conversation_model(service, conversation_id, engine)
        assert engine.cached_tokens == ()
        assert warm_conversation(service, conversation_id, engine)
        assert len(engine.cached_tokens) > 500  # restored while the user types
        assert_next_turn_is_warm(service, conversation_id, engine)
    finally:
        engine.unload()


def test_nothing_is_warmed_for_another_model_or_a_conversation_without_an_answer(
    service: ConversationService,
) -> None:
    store = service.store
    engine = ProcessEngine()
    try:
        assert not warm_conversation(service, 1, engine)  # no model loaded
        answered = service.run(service.prepare("Hello", overrides=GREEDY, seed=1), engine)
        conversation_id = answered.turn.conversation_id
        assert warm_conversation(service, conversation_id, engine)
        store.set_conversation_model(conversation_id, "other.gguf", "Other", "0" * 64)
        assert not warm_conversation(service, conversation_id, engine)  # not the model loaded
        empty = store.create_conversation()
        assert not warm_conversation(service, empty.id, engine)
    finally:
        engine.unload()


def test_the_next_request_does_not_wait_for_a_warm_up(service: ConversationService) -> None:
    engine = ProcessEngine()
    try:
        first = service.run(service.prepare("Hello", overrides=GREEDY, seed=1), engine)
        history = conversation(12, "Describe a long winding road through the mountains.")
        opening = engine.tokenize_prompt(engine.render_prompt(history))
        assert 300 < len(opening) < WARM_TAIL  # about a second of evaluation on this machine
        engine.clear_cache()
        started = perf_counter()
        engine.warm(history)
        engine.count_tokens("x")  # the next request: the warm-up gives way
        assert perf_counter() - started < 0.5
        assert first.status == "complete"
    finally:
        engine.unload()
