"""The restart case end to end: a conversation answered by the engine process, the app closed
(the process saves the conversation's KV state and ends), the app started again and the
conversation continued through the conversation service: only the new turn is evaluated, the
answer is the one a full evaluation gives, and deleting the conversation erases its state."""

from __future__ import annotations

import stat

import pytest

from app.core.backends.local_process import ProcessEngine
from app.core.chat import ConversationService
from app.core.kv_cache.directory import state_path
from tests.helpers.warm_turn import GREEDY, assert_next_turn_is_warm

QUESTION = "Tell me about lighthouses. " + " ".join(
    f"Lighthouse {i} stands on a rock and guides the ships at night." for i in range(40)
)


@pytest.fixture
def service(model_service: ConversationService) -> ConversationService:
    return model_service


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
        assert_next_turn_is_warm(service, conversation, engine)
    finally:
        engine.unload()

    service.store.erase_conversations([conversation])  # `enclave history delete`
    assert not path.exists()
    assert list(path.parent.iterdir()) == []
