"""A conversation's saved KV state with the real model: after a restart only the new tokens are
evaluated, and every mismatch (model, context size, history, settings, a damaged file) falls
back to a full evaluation with the same greedy answer.

The reference answer is a full evaluation of the same prompt, greedy. (The cache kept in memory
is no closer a reference: it holds the same keys and values, but a restored cache has its cells
in another order, and float sums in another order round differently.)"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from app.core.engine import LocalEngine
from app.core.kv_cache import StateSession
from app.core.kv_cache.keeper import common_prefix
from app.core.kv_cache.state_file import read_header, read_payload, write_state
from app.core.types import ChatMessage, GenerationParams, LoadOptions

GREEDY = GenerationParams(max_tokens=12, temperature=0.0, seed=1)
TOPICS = ("rivers", "mountains", "harbours", "forests", "bridges", "markets")


def conversation(words: int = 6, topics: tuple[str, ...] = TOPICS) -> list[ChatMessage]:
    """A few hundred tokens of history: turns about `topics`, `words` sentences each."""
    messages = [ChatMessage("system", "You answer questions about geography.")]
    for topic in topics:
        text = " ".join(f"The {topic} of region {i} are worth a visit." for i in range(words))
        messages.append(ChatMessage("user", f"Tell me about {topic}. {text}"))
        messages.append(ChatMessage("assistant", f"Here is what I know about {topic}. {text}"))
    return messages


def prompt_tokens(engine: LocalEngine, messages: list[ChatMessage]) -> list[int]:
    return engine.tokenize_prompt(engine.render_prompt(messages))


def reply(engine: LocalEngine, messages: list[ChatMessage], session: StateSession | None = None):
    stream = engine.generate(messages, GREEDY, session=session)
    return "".join(stream), stream.stats


def first_turn(engine: LocalEngine, session: StateSession, words: int = 2) -> list[ChatMessage]:
    """A turn of a conversation, saved; returns the history of the next turn."""
    history = conversation(words)
    text, _stats = reply(engine, history, session)
    assert engine.save_state()
    return [*history, ChatMessage("assistant", text), ChatMessage("user", "And the coasts?")]


def full_answer(engine: LocalEngine, messages: list[ChatMessage]) -> str:
    engine.clear_cache()
    text, stats = reply(engine, messages)
    assert stats.prompt_tokens_evaluated == stats.prompt_tokens
    return text


@pytest.fixture
def session(tmp_path: Path) -> StateSession:
    return StateSession(1, tmp_path / "kv_cache", 1 << 30)


def test_after_a_restart_only_the_new_tokens_are_evaluated(
    engine: LocalEngine, session: StateSession
) -> None:
    following = first_turn(engine, session, words=6)  # longer than Gemma 3's sliding window
    saved = read_header(session.path)
    tokens = prompt_tokens(engine, following)
    engine.clear_cache()  # what a new process starts with
    text, stats = reply(engine, following, session)
    new = len(tokens) - common_prefix(saved.tokens, tokens)
    assert len(tokens) > 900 and 0 < new < 30  # the new question and the turn markers
    assert (stats.prompt_tokens, stats.prompt_tokens_evaluated) == (len(tokens), new)
    assert text == full_answer(engine, following)


def test_a_regenerated_answer_reuses_the_saved_prompt(
    engine: LocalEngine, session: StateSession
) -> None:
    history = conversation(words=6)
    reply(engine, history, session)
    assert engine.save_state()
    engine.clear_cache()
    again, stats = reply(engine, history, session)  # the same question again, after a restart
    assert stats.prompt_tokens_evaluated == 1  # the prompt's last token: its logits are needed
    assert again == full_answer(engine, history)


def _edit_history(messages: list[ChatMessage]) -> list[ChatMessage]:
    first = messages[1]
    return [messages[0], dataclasses.replace(first, content="Tell me about deserts."),
            *messages[2:]]  # fmt: skip


def _damage(offset: int, value: bytes) -> Callable[[Path], None]:
    def apply(path: Path) -> None:
        with path.open("r+b") as fh:
            fh.seek(offset, os.SEEK_END if offset < 0 else os.SEEK_SET)
            fh.write(value)

    return apply


def _truncate(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _resign(**changes: object) -> Callable[[Path], None]:
    """The same bytes under another signature: a file made by another llama.cpp, template..."""

    def apply(path: Path) -> None:
        header = read_header(path)
        payload = read_payload(path, header)
        signature = {**header.signature, **changes}
        write_state(path, signature, header.tokens, header.n_prompt, payload)

    return apply


@pytest.mark.parametrize(
    ("case", "change_file", "change_history"),
    [
        ("edited history", None, _edit_history),
        ("corrupt payload", _damage(-5000, b"\x7f" * 64), None),
        ("corrupt header", _damage(40, b"{{{{"), None),
        ("truncated file", _truncate, None),
        ("empty file", lambda p: p.write_bytes(b""), None),
        ("other llama.cpp version", _resign(llama_cpp="0.0.1"), None),
        ("other template", _resign(template="builtin:chatml"), None),
        ("other file format", _resign(format=0), None),
    ],
)
def test_any_mismatch_means_a_full_evaluation_and_the_same_answer(
    engine: LocalEngine,
    session: StateSession,
    case: str,
    change_file: Callable[[Path], None] | None,
    change_history: Callable[[list[ChatMessage]], list[ChatMessage]] | None,
) -> None:
    following = first_turn(engine, session)
    if change_file is not None:
        change_file(session.path)
    if change_history is not None:
        following = change_history(following)
    engine.clear_cache()
    text, stats = reply(engine, following, session)
    assert stats.prompt_tokens_evaluated == stats.prompt_tokens, case
    assert not session.path.exists()  # discarded: it can never be used
    assert engine.save_state() and read_header(session.path).tokens[:10] == tuple(
        prompt_tokens(engine, following)[:10]
    )  # the next one is saved for the conversation as it is now
    assert text == full_answer(engine, following)


@pytest.mark.parametrize("other", ["context size", "model"])
def test_a_state_from_another_model_or_context_size_is_not_used(
    engine: LocalEngine,
    session: StateSession,
    model_path: Path,
    variant_model: tuple[Path, str],
    other: str,
) -> None:
    following = first_turn(engine, session)
    second = LocalEngine()
    path, options = model_path, LoadOptions(context_size=2048, threads=2)
    if other == "context size":
        options = dataclasses.replace(options, context_size=1536)
    else:
        path = variant_model[0]  # the same weights under another sha256
    second.load(path, options)
    try:
        text, stats = reply(second, following, session)
        assert stats.prompt_tokens_evaluated == stats.prompt_tokens
        assert not session.path.exists()
        assert text == full_answer(second, following)
    finally:
        second.unload()


def test_the_disk_budget_keeps_the_most_recently_used(engine: LocalEngine, tmp_path: Path) -> None:
    directory = tmp_path / "kv_cache"

    def saved_turn(conversation_id: int, budget: int) -> StateSession:
        session = StateSession(conversation_id, directory, budget)
        topics = (TOPICS[conversation_id],)  # one conversation per topic: their own prompts
        reply(engine, conversation(words=14, topics=topics), session)
        engine.save_state()
        return session

    one = saved_turn(1, 1 << 30)
    size = one.path.stat().st_size
    budget = int(2.5 * size)  # room for two
    two = saved_turn(2, budget)
    assert one.path.exists() and two.path.exists()
    engine.clear_cache()
    saved_turn(1, budget)  # conversation 1 used again: now the most recent
    three = saved_turn(3, budget)
    assert one.path.exists() and three.path.exists() and not two.path.exists()
    assert sum(p.stat().st_size for p in directory.iterdir()) <= budget
    four = saved_turn(4, size // 2)  # a budget smaller than one state: nothing kept
    assert not four.path.exists()


def test_a_short_conversation_is_not_saved(engine: LocalEngine, session: StateSession) -> None:
    reply(engine, [ChatMessage("user", "Hello")], session)
    assert not engine.save_state() and not session.path.exists()
