"""What a reply shows before and around its answer: the wait, the model's thought, its model."""

from __future__ import annotations

from pathlib import Path

import tomli_w

from app.core.config.runtime import Runtime
from tests.helpers.fake_engine import FakeEngine
from tests.helpers.qt import WAIT_MS, make_window, send


def last_reply(window):
    return [w for w in window.chat_view.message_widgets if not w.is_user][-1]


def test_a_thought_streams_into_a_collapsed_section_above_the_answer(qtbot, runtime) -> None:
    engine = FakeEngine(["<think>The user greets me; answer kindly.</think>\n\nHello there!"])
    window = make_window(qtbot, runtime, engine)
    thoughts: list[str] = []
    window.controller.thoughtUpdated.connect(lambda _id, text: thoughts.append(text))
    send(qtbot, window, "Hi")
    reply = last_reply(window)
    assert reply.text() == "Hello there!"
    assert thoughts and thoughts[-1] == "The user greets me; answer kindly."
    assert reply.thought_button.isVisible() and not reply.thought_label.isVisible()
    assert reply.thought_button.text().startswith("Thought for ")
    reply.thought_button.click()
    assert reply.thought_label.isVisible()
    assert reply.thought_label.text() == "The user greets me; answer kindly."
    stored = window.store.active_path(window.controller.conversation_id)[-1]
    assert stored.content == "Hello there!"
    assert stored.stats["reasoning"] == "The user greets me; answer kindly."
    window.show_conversation(window.controller.conversation_id)  # reopened: still folded away
    assert last_reply(window).thought_button.text().startswith("Thought for ")


def test_loading_and_thinking_are_shown_until_the_first_word_and_stop_works(
    qtbot, runtime, tmp_path: Path
) -> None:
    engine = FakeEngine(["An answer."], hold_after=0)
    window = make_window(qtbot, runtime, engine)
    other = tmp_path / "other.gguf"
    other.write_bytes(b"GGUF another")
    engine.load_delay_s = 0.3
    window.controller.choose_model(str(other))  # this reply must load another model first
    states: list[str] = []
    window.controller.replyWaiting.connect(lambda _id, state, _d: states.append(state))
    send(qtbot, window, "Hi", wait=False)
    qtbot.waitUntil(lambda: "loading" in states, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: last_reply(window).wait_label.isVisible(), timeout=WAIT_MS)
    assert last_reply(window).wait_label.text().startswith("Loading model")
    qtbot.waitUntil(lambda: states[-1:] == ["thinking"], timeout=WAIT_MS)
    assert last_reply(window).wait_label.text() == "Thinking…"
    with qtbot.waitSignal(window.controller.replyFinished, timeout=WAIT_MS) as done:
        window.composer.send_button.click()  # the send button is Stop while busy
    assert done.args[1] == "cancelled"
    assert not last_reply(window).wait_label.isVisible()


def test_the_header_lists_installed_models_with_a_fit_badge_and_switches(
    qtbot, runtime: Runtime, fake_engine, variant_model: tuple[Path, str]
) -> None:
    from app.core.models.manager import ModelManager

    added = ModelManager(runtime).import_file(variant_model[0], placement="symlink")
    window = make_window(qtbot, runtime, fake_engine)
    window.new_chat()
    picker = window.model_picker
    texts = [picker.itemText(i) for i in range(picker.count()) if picker.itemData(i)]
    model = added.model
    assert any(t.startswith(f"{model.name} · ") for t in texts), texts
    assert all(t.rsplit(" · ", 1)[-1] in ("fits", "tight fit", "too big") for t in texts)
    index = picker.findData(model.id)
    with qtbot.waitSignal(window.worker.modelLoaded, timeout=WAIT_MS):
        picker.activated.emit(index)
    assert window.controller.model_choice == model.id
    send(qtbot, window, "Hi")
    conversation = window.store.get_conversation(window.controller.conversation_id)
    assert conversation.model == model.id


def test_a_locked_model_choice_is_greyed_out_with_the_reason(qtbot, tmp_path: Path, fake_engine):
    policy = tmp_path / "policy.toml"
    policy.write_text(tomli_w.dumps({"settings": {"locked": ["model"]}}), encoding="utf-8")
    runtime = Runtime.create(tmp_path / "data", policy)
    window = make_window(qtbot, runtime, fake_engine)
    assert not window.model_picker.isEnabled()
    assert "administrator" in window.model_picker.toolTip()


def test_company_server_models_sit_beside_local_ones(qtbot, tmp_path: Path, fake_engine) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(
        tomli_w.dumps(
            {"servers": [{"name": "gpu", "url": "https://llm.example/v1", "models": ["big-70b"]}]}
        ),
        encoding="utf-8",
    )
    runtime = Runtime.create(tmp_path / "data", policy)
    window = make_window(qtbot, runtime, fake_engine)
    picker = window.model_picker
    index = picker.findData("gpu/big-70b")
    assert index >= 0 and picker.itemText(index) == "big-70b · on server gpu"
    window.controller.choose_model(picker.itemData(index))  # what choosing it does, no request
    assert window.controller.model_choice == "gpu/big-70b"
