"""Fitting history into the context window: pure rules, then the real model."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.context import fit_history, reply_budget
from app.core.errors import ContextOverflowError, ModelError
from app.core.types import ChatMessage, GenerationParams, LoadOptions


def words(messages: Sequence[ChatMessage]) -> int:
    """A stand-in tokenizer: one token per word, three per message for the template, one BOS."""
    return 1 + sum(len(m.content.split()) + 3 for m in messages)


def sentence(n: int, tag: str) -> str:
    return " ".join(f"{tag}{i}" for i in range(n))


def conversation(turns: int, size: int) -> list[ChatMessage]:
    history = [ChatMessage("system", sentence(10, "sys"))]
    for t in range(turns):
        history.append(ChatMessage("user", sentence(size, f"u{t}-")))
        history.append(ChatMessage("assistant", sentence(size, f"a{t}-")))
    history.append(ChatMessage("user", sentence(size, "new")))
    return history


def test_reply_budget_is_capped_at_half_the_window() -> None:
    assert reply_budget(128, 2048) == 128
    assert reply_budget(4000, 2048) == 1024


def test_history_that_fits_is_untouched() -> None:
    messages = conversation(3, 5)
    fitted = fit_history(messages, n_ctx=1000, max_tokens=100, count=words)
    assert fitted.messages == messages
    assert fitted.dropped == 0
    assert fitted.prompt_tokens == words(messages)


def test_oldest_turns_go_first_in_pairs_keeping_system_and_new_message() -> None:
    messages = conversation(10, 20)
    fitted = fit_history(messages, n_ctx=200, max_tokens=50, count=words)
    kept = fitted.messages
    assert kept[0] == messages[0]  # system prompt
    assert kept[-1] == messages[-1]  # the new message
    assert fitted.prompt_tokens == words(kept) <= 150
    assert fitted.dropped == len(messages) - len(kept) > 0
    assert fitted.dropped % 2 == 0  # whole user/assistant turns
    assert kept[1:] == messages[1 + fitted.dropped :]  # a recent, unbroken stretch
    assert kept[1].role == "user"
    # As much history as possible: one more turn would not fit.
    one_more = [messages[0], *messages[1 + fitted.dropped - 2 :]]
    assert words(one_more) > 150


def test_a_leading_assistant_message_is_its_own_turn() -> None:
    messages = [
        ChatMessage("assistant", sentence(40, "greeting")),
        ChatMessage("user", sentence(5, "q")),
        ChatMessage("assistant", sentence(5, "a")),
        ChatMessage("user", sentence(5, "new")),
    ]
    fitted = fit_history(messages, n_ctx=80, max_tokens=20, count=words)
    assert fitted.messages == messages[1:]
    assert fitted.dropped == 1


def test_new_message_too_big_names_both_sizes() -> None:
    messages = [ChatMessage("system", sentence(10, "s")), ChatMessage("user", sentence(300, "w"))]
    with pytest.raises(ContextOverflowError) as caught:
        fit_history(messages, n_ctx=256, max_tokens=64, count=words)
    error = caught.value
    assert error.message_tokens == words([messages[1]]) == 304
    # 256 - 64 for the reply, minus what the system prompt adds (10 words + 3).
    assert error.available_tokens == 256 - 64 - 13
    assert error.n_ctx == 256
    assert "304 tokens" in str(error) and "only 179 of the model's 256-token" in str(error)


def test_a_huge_system_prompt_leaves_no_room() -> None:
    messages = [ChatMessage("system", sentence(500, "s")), ChatMessage("user", "hello")]
    with pytest.raises(ContextOverflowError) as caught:
        fit_history(messages, n_ctx=256, max_tokens=64, count=words)
    assert caught.value.available_tokens == 0


@settings(max_examples=150, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=16),
    with_system=st.booleans(),
    n_ctx=st.integers(min_value=64, max_value=600),
    max_tokens=st.integers(min_value=1, max_value=400),
)
def test_fitting_never_loses_the_essentials(
    sizes: list[int], with_system: bool, n_ctx: int, max_tokens: int
) -> None:
    messages = [ChatMessage("system", sentence(8, "s"))] if with_system else []
    for i, size in enumerate(sizes):
        messages.append(
            ChatMessage("user" if i % 2 == 0 else "assistant", sentence(size, f"m{i}-"))
        )
    if messages[-1].role != "user":
        messages.append(ChatMessage("user", "last question"))
    available = n_ctx - reply_budget(max_tokens, n_ctx)
    try:
        fitted = fit_history(messages, n_ctx=n_ctx, max_tokens=max_tokens, count=words)
    except ContextOverflowError:
        essentials = [m for m in messages[:-1] if m.role == "system"] + [messages[-1]]
        assert words(essentials) > available
        return
    assert fitted.prompt_tokens <= available
    assert fitted.messages[-1] == messages[-1]
    if with_system:
        assert fitted.messages[0] == messages[0]
    tail = fitted.messages[1:] if with_system else fitted.messages
    assert tail == messages[len(messages) - len(tail) :]


# --- on the real model ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_engine(model_path: Path) -> Iterator[object]:
    from app.core.engine import LocalEngine

    engine = LocalEngine()
    engine.load(model_path, LoadOptions(context_size=256, threads=2))
    yield engine
    engine.unload()


@pytest.mark.model
def test_real_overflowing_history_keeps_system_prompt_and_new_message(small_engine) -> None:
    system = ChatMessage("system", "You are a terse assistant for lighthouse keepers.")
    history = [system]
    for t in range(12):
        history.append(ChatMessage("user", f"Question {t}: how do I polish lens number {t} well?"))
        history.append(
            ChatMessage("assistant", f"Answer {t}: use a soft cloth and alcohol, {t} times.")
        )
    new = ChatMessage("user", "Last question: when should the lamp be lit tonight?")
    history.append(new)
    params = GenerationParams(max_tokens=8, temperature=0)

    stream = small_engine.generate(history, params)
    reply = stream.text()

    sent = stream.messages
    assert sent[0] == system and sent[-1] == new
    assert stream.stats.dropped_messages == len(history) - len(sent) > 0
    assert ChatMessage("user", "Question 0: how do I polish lens number 0 well?") not in sent
    assert stream.stats.prompt_tokens == len(
        small_engine.tokenize_prompt(small_engine.render_prompt(sent))
    )
    assert stream.stats.prompt_tokens <= 256 - 8
    assert stream.stats.generated_tokens > 0 and reply


@pytest.mark.model
def test_real_oversized_message_is_refused_naming_both_sizes(small_engine) -> None:
    huge = ChatMessage("user", "lighthouse " * 400)
    with pytest.raises(ContextOverflowError) as caught:
        small_engine.generate(
            [ChatMessage("system", "Be brief."), huge], GenerationParams(max_tokens=32)
        )
    error = caught.value
    assert error.message_tokens > 400
    assert error.n_ctx == 256
    assert 0 < error.available_tokens < 256 - 32
    assert f"{error.message_tokens} tokens" in str(error)
    assert f"only {error.available_tokens} of the model's 256-token context" in str(error)
    # The engine is still usable after the refusal.
    stream = small_engine.generate([ChatMessage("user", "Hello")], GenerationParams(max_tokens=4))
    stream.text()
    assert stream.stats.stop_reason in ("stop", "length")


def test_a_huge_template_is_blamed_not_the_users_message() -> None:
    def bloated(messages: Sequence[ChatMessage]) -> int:
        return 1_000_000 + words(messages)  # a template that writes a million tokens itself

    with pytest.raises(ModelError, match="chat template alone takes 1000004 tokens") as caught:
        fit_history([ChatMessage("user", "Hi")], n_ctx=2048, max_tokens=64, count=bloated)
    assert not isinstance(caught.value, ContextOverflowError)
    assert "message" not in str(caught.value)
