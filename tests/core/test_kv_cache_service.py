"""The restart case end to end: a conversation answered by the engine process, the app closed
(the process saves the conversation's KV state and ends), the app started again and the
conversation continued through the conversation service: only the new turn is evaluated, the
answer is the one a full evaluation gives, and deleting the conversation erases its state."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from app.core.backends.local_process import ProcessEngine
from app.core.chat import ConversationService
from app.core.config.runtime import Runtime
from app.core.kv_cache.directory import state_path

GREEDY = {"temperature": 0.0, "max_tokens": 8}
QUESTION = "Tell me about lighthouses. " + " ".join(
    f"Lighthouse {i} stands on a rock and guides the ships at night." for i in range(40)
)


@pytest.fixture
def service(tmp_path: Path, model_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ENCLAVE_BUNDLED_MODEL", str(model_path))
    runtime = Runtime.create(tmp_path / "data")
    store = runtime.open_store()
    yield ConversationService(runtime, store)
    store.close()


def test_a_conversation_continued_after_a_restart_evaluates_only_its_new_turn(
    service: ConversationService,
) -> None:
    engine = ProcessEngine()
    first = service.run(service.prepare(QUESTION, overrides=GREEDY, seed=1), engine)
    engine.unload()  # the app closes: the engine process saves the state and ends
    conversation = first.turn.conversation_id
    path = state_path(service.runtime.paths.kv_cache_dir, conversation)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    engine = ProcessEngine()  # the app started again: a new engine process, nothing cached
    try:
        turn = service.prepare("And which one is the oldest?", conversation, overrides=GREEDY,
                               seed=1)  # fmt: skip
        second = service.run(turn, engine)
        stats = second.record.stats
        assert stats["prompt_tokens"] > 500 and 0 < stats["prompt_tokens_evaluated"] < 30
        engine.clear_cache()
        full = engine.generate(list(turn.history), turn.params)
        assert "".join(full) == second.text
        assert full.stats.prompt_tokens_evaluated == stats["prompt_tokens"]
    finally:
        engine.unload()

    service.store.erase_conversations([conversation])  # `enclave history delete`
    assert not path.exists()
    assert list(path.parent.iterdir()) == []
