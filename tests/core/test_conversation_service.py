"""The conversation service with a scripted engine: statuses, history, branches, reasoning."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.core.chat import ConversationService, TurnFailed
from app.core.errors import ModelError
from app.core.types import Thought
from tests.helpers.fake_engine import FakeEngine


@pytest.fixture
def service(placeholder_service: ConversationService) -> ConversationService:
    return placeholder_service


def test_a_turn_is_stored_complete_with_its_model(service: ConversationService) -> None:
    engine = FakeEngine(["Bonjour !"])
    result = service.run(service.prepare("Salut"), engine)
    assert (result.status, result.text) == ("complete", "Bonjour !")
    assert result.record.model_name == "Fake Model 1B"
    conversation = service.store.get_conversation(result.turn.conversation_id)
    assert conversation.model_name == "Fake Model 1B" and conversation.model


def test_a_failure_before_any_text_is_failed_and_after_some_is_partial(
    service: ConversationService,
) -> None:
    engine = FakeEngine([""])
    engine.fail_with = ModelError("The model failed while generating (boom).")
    with pytest.raises(TurnFailed) as failed:
        service.run(service.prepare("one"), engine)
    assert failed.value.result.status == "failed"
    assert failed.value.result.record.stats["error"].startswith("The model failed")
    engine = FakeEngine(["some text"])
    engine.fail_with = ModelError("cut")
    with pytest.raises(TurnFailed) as partial:
        service.run(service.prepare("two"), engine)
    assert (partial.value.result.status, partial.value.result.text) == ("partial", "some text")


def test_the_history_leaves_out_failed_replies_and_stops_at_a_regenerated_question(
    service: ConversationService,
) -> None:
    engine = FakeEngine(["first answer"])
    first = service.run(service.prepare("question one"), engine)
    conv = first.turn.conversation_id
    broken = FakeEngine([""])
    broken.fail_with = ModelError("nope")
    with pytest.raises(TurnFailed):
        service.run(service.prepare("question two", conv), broken)
    turn = service.prepare("question three", conv)
    assert [m.content for m in turn.history] == ["question one", "first answer", "question two",
                                                 "question three"]  # fmt: skip
    again = service.prepare_regenerate(first.record.id)
    assert [m.content for m in again.history] == ["question one"]
    edited = service.prepare_edit(first.turn.question_id, "question one, edited")
    assert [m.content for m in edited.history] == ["question one, edited"]
    assert len(service.store.siblings(edited.question_id)) == 2


def test_reasoning_is_stored_apart_never_fed_back_nor_searched(
    service: ConversationService,
) -> None:
    engine = FakeEngine(["<think>The user wants a zeppelin fact.</think>\n\nZeppelins float."])
    seen: list[str] = []
    result = service.run(service.prepare("Tell me about airships"), engine, on_piece=seen.append)
    assert result.text == "Zeppelins float."
    assert result.record.stats["reasoning"] == "The user wants a zeppelin fact."
    assert any(isinstance(p, Thought) for p in seen)
    turn = service.prepare("More?", result.turn.conversation_id)
    assert "zeppelin fact" not in " ".join(m.content for m in turn.history)
    assert service.store.search("fact") == []
    assert service.store.search("float")


def test_exports_leave_the_reasoning_out_unless_asked(service: ConversationService) -> None:
    from app.core.export import export_conversation
    from app.core.export_json import conversation_to_dict

    engine = FakeEngine(["<think>secret plan about walruses</think>The answer."])
    result = service.run(service.prepare("Question"), engine)
    conv_id = result.turn.conversation_id
    for fmt in ("md", "html", "json"):
        assert "walruses" not in export_conversation(service.store, conv_id, fmt), fmt
    conversation = service.store.get_conversation(conv_id)
    messages = service.store.all_messages(conv_id)
    asked = conversation_to_dict(conversation, messages, include_reasoning=True)
    assert asked["messages"][-1]["stats"]["reasoning"] == "secret plan about walruses"


def test_a_conversation_whose_model_is_gone_says_which_and_the_way_out(
    service: ConversationService, tmp_path: Path
) -> None:
    model = tmp_path / "gone-model.gguf"
    model.write_bytes(b"GGUF soon gone")
    first = service.run(service.prepare("Hello", model=str(model)), FakeEngine(["Hi"]))
    conv = first.turn.conversation_id
    assert service.store.get_conversation(conv).model == str(model)
    model.unlink()
    with pytest.raises(ModelError, match="uses the model Fake Model 1B, which is no longer") as e:
        service.prepare("Again", conv, check_model=True)
    assert "choose another model" in str(e.value)
    assert len(service.store.active_path(conv)) == 2  # nothing written by the refused turn
    other = os.environ["ENCLAVE_BUNDLED_MODEL"]  # the way out: another model
    turn = service.prepare("Again", conv, model=other)
    assert service.run(turn, FakeEngine(["Back"])).status == "complete"
