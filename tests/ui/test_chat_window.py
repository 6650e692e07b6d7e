"""The chat window end to end on a real store, with a scripted engine for speed."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.ui.details_dialog import DetailsDialog
from tests.helpers.fake_engine import DEFAULT_REPLY, FakeEngine
from tests.helpers.qt import WAIT_MS, assistant_texts, make_window, send


def test_prompt_streams_text_on_screen_and_is_stored(qtbot, runtime):
    engine = FakeEngine(hold_after=6)
    window = make_window(qtbot, runtime, engine)
    send(qtbot, window, "How do I sort a list?", wait=False)

    # Mid-answer: part of the reply is on screen and already written to the database.
    qtbot.waitUntil(
        lambda: engine.holding.is_set() and any(assistant_texts(window)), timeout=WAIT_MS
    )
    partial = assistant_texts(window)[0]
    assert 0 < len(partial) < len(DEFAULT_REPLY)
    assert DEFAULT_REPLY.startswith(partial)
    reply_id = window.controller.streaming_message_id
    qtbot.waitUntil(lambda: window.store.get_message(reply_id).content != "", timeout=WAIT_MS)
    assert window.store.get_message(reply_id).status == "streaming"
    assert window.composer.send_button.text() == "Stop"

    with qtbot.waitSignal(window.controller.replyFinished, timeout=WAIT_MS) as done:
        engine.release()
    assert done.args[1] == "complete"
    stored = window.store.get_message(reply_id)
    assert stored.content == DEFAULT_REPLY
    assert stored.status == "complete"
    assert stored.model_name == "Fake Model 1B" and stored.generated_tokens > 0
    qtbot.waitUntil(lambda: assistant_texts(window) == [DEFAULT_REPLY], timeout=WAIT_MS)
    body = window.chat_view.message_widgets[-1].body
    shown = body.toPlainText()
    assert "Sorting in Python" in shown and "print(sorted(numbers))" in shown
    assert "##" not in shown  # rendered as a heading, not shown as Markdown source
    assert body.code_blocks == ["numbers = [3, 1, 2]\nprint(sorted(numbers))\n"]
    user = window.store.active_path(window.controller.conversation_id)[0]
    assert (user.role, user.content) == ("user", "How do I sort a list?")
    assert window.sidebar.visible_ids() == [window.controller.conversation_id]
    assert window.composer.send_button.text() == "Send"


def test_stop_mid_answer_keeps_the_partial_answer_as_cancelled(qtbot, runtime):
    engine = FakeEngine(hold_after=5)
    window = make_window(qtbot, runtime, engine)
    send(qtbot, window, "Tell me a story", wait=False)
    qtbot.waitUntil(engine.holding.is_set, timeout=WAIT_MS)
    with qtbot.waitSignal(window.controller.replyFinished, timeout=WAIT_MS) as done:
        qtbot.mouseClick(window.composer.send_button, Qt.MouseButton.LeftButton)
    message_id, status, stats = done.args
    assert status == "cancelled"
    assert stats.stop_reason == "cancelled" and stats.generated_tokens == 5
    stored = window.store.get_message(message_id)
    assert stored.status == "cancelled"
    assert stored.content == "".join(DEFAULT_REPLY[i : i + 4] for i in range(0, 20, 4))
    widget = window.chat_view.widget_for(message_id)
    qtbot.waitUntil(lambda: widget.status_label.isVisible(), timeout=WAIT_MS)
    assert widget.status_label.text() == "Stopped."


def test_escape_stops_the_answer(qtbot, runtime):
    engine = FakeEngine(hold_after=3)
    window = make_window(qtbot, runtime, engine)
    send(qtbot, window, "Long answer please", wait=False)
    qtbot.waitUntil(engine.holding.is_set, timeout=WAIT_MS)
    with qtbot.waitSignal(window.controller.replyFinished, timeout=WAIT_MS) as done:
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Escape)
    assert done.args[1] == "cancelled"


def test_regenerate_keeps_both_versions_and_flips_between_them(qtbot, runtime):
    engine = FakeEngine(replies=["First answer.", "Second answer."])
    window = make_window(qtbot, runtime, engine)
    send(qtbot, window, "Say something")
    first = window.chat_view.message_widgets[-1]
    with qtbot.waitSignal(window.controller.replyFinished, timeout=WAIT_MS) as done:
        qtbot.mouseClick(first.regen_button, Qt.MouseButton.LeftButton)
    new_id = done.args[0]
    qtbot.waitUntil(lambda: assistant_texts(window) == ["Second answer."], timeout=WAIT_MS)
    siblings = window.store.siblings(new_id)
    assert [m.content for m in siblings] == ["First answer.", "Second answer."]
    latest = window.chat_view.widget_for(new_id)
    assert latest.sibling_label.text() == "2/2" and latest.prev_button.isVisible()

    qtbot.mouseClick(latest.prev_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: assistant_texts(window) == ["First answer."], timeout=WAIT_MS)
    shown = window.chat_view.message_widgets[-1]
    assert shown.sibling_label.text() == "1/2"
    path = window.store.active_path(window.controller.conversation_id)
    assert [m.content for m in path] == ["Say something", "First answer."]


def test_edit_and_resend_makes_a_branch_and_keeps_the_old_one(qtbot, runtime):
    engine = FakeEngine(replies=["Paris.", "Lyon is the third city."])
    window = make_window(qtbot, runtime, engine)
    send(qtbot, window, "Capital of France?")
    user = window.chat_view.last_user_widget()
    old_user_id = user.record.id
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Up)  # Up edits the last message
    assert user.editor is not None
    user.edit_box.setPlainText("Third city of France?")
    with qtbot.waitSignal(window.controller.replyFinished, timeout=WAIT_MS):
        qtbot.mouseClick(user.save_edit_button, Qt.MouseButton.LeftButton)
    conv = window.controller.conversation_id
    qtbot.waitUntil(lambda: assistant_texts(window) == ["Lyon is the third city."], timeout=WAIT_MS)
    path = window.store.active_path(conv)
    assert [m.content for m in path] == ["Third city of France?", "Lyon is the third city."]
    versions = window.store.siblings(path[0].id)
    assert versions[0].id == old_user_id and len(versions) == 2
    assert engine.calls[-1][-1].content == "Third city of France?"
    assert all(m.content != "Paris." for m in engine.calls[-1])  # the new branch only

    new_user = window.chat_view.last_user_widget()
    assert new_user.sibling_label.text() == "2/2"
    qtbot.mouseClick(new_user.prev_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: assistant_texts(window) == ["Paris."], timeout=WAIT_MS)
    assert [m.content for m in window.store.active_path(conv)] == ["Capital of France?", "Paris."]


def test_follow_up_sends_the_history(qtbot, runtime):
    engine = FakeEngine(replies=["Hello!", "Fine, thanks."])
    window = make_window(qtbot, runtime, engine)
    send(qtbot, window, "Hi")
    send(qtbot, window, "How are you?")
    assert [(m.role, m.content) for m in engine.calls[-1]] == [
        ("user", "Hi"),
        ("assistant", "Hello!"),
        ("user", "How are you?"),
    ]
    assert len(window.sidebar.visible_ids()) == 1


def test_details_show_model_checksum_and_token_counts(qtbot, runtime):
    window = make_window(qtbot, runtime, FakeEngine(replies=["Short."]))
    send(qtbot, window, "Hi")
    message = window.store.active_path(window.controller.conversation_id)[-1]
    dialog = DetailsDialog(message, window)
    qtbot.addWidget(dialog)
    assert dialog.value_labels["SHA-256"].text() == "f" * 64
    assert dialog.value_labels["Generated tokens"].text() == str(message.generated_tokens)
    assert '"temperature": 0.7' in dialog.params_box.toPlainText()
    assert '"model_sha256"' in dialog.as_json()


def test_history_is_usable_while_the_model_loads(qtbot, runtime):
    store = runtime.open_store()
    conv = store.create_conversation(title="Earlier chat")
    store.add_message(conv.id, "user", "an old question")
    store.close()
    engine = FakeEngine(load_delay_s=0.5)
    window = make_window(qtbot, runtime, engine, load=False)
    window.load_model()
    assert window.worker.model_info is None  # still loading...
    assert window.sidebar.visible_ids() == [conv.id]  # ...and the history is already there
    window.show_conversation(conv.id)
    assert [w.text() for w in window.chat_view.message_widgets] == ["an old question"]
    qtbot.waitUntil(lambda: window.worker.model_info is not None, timeout=WAIT_MS)


def test_a_long_conversation_shows_its_last_page_and_loads_older_on_demand(qtbot, runtime):
    from datetime import UTC, datetime

    from app.core.store.records import ImportedConversation, ImportedMessage
    from app.ui.chat_view import PAGE

    now = datetime.now(UTC)
    messages = tuple(
        ImportedMessage(
            key=i,
            parent_key=i - 1 if i else None,
            role="user" if i % 2 == 0 else "assistant",
            content=f"message number {i}",
            status="complete",
            model_name=None,
            model_sha256=None,
            params=None,
            prompt_tokens=None,
            generated_tokens=None,
            time_to_first_token_s=None,
            tokens_per_s=None,
            stats=None,
            created_at=now,
            updated_at=now,
        )
        for i in range(2000)
    )
    store = runtime.open_store()
    conv = store.import_conversation(
        ImportedConversation(
            title="Very long",
            title_is_auto=False,
            system_prompt="",
            model=None,
            model_name=None,
            model_sha256=None,
            pinned=False,
            created_at=now,
            updated_at=now,
            messages=messages,
            active_leaf_key=1999,
        )
    )
    store.close()
    window = make_window(qtbot, runtime, FakeEngine(replies=["the newest answer"]))
    window.show_conversation(conv.id)
    view = window.chat_view
    shown = [w.text() for w in view.message_widgets]
    assert len(shown) == PAGE and shown[-1] == "message number 1999"
    assert view.earlier_button.isVisible()
    qtbot.mouseClick(view.earlier_button, Qt.MouseButton.LeftButton)
    assert len(view.message_widgets) == 2 * PAGE
    assert view.message_widgets[0].text() == f"message number {2000 - 2 * PAGE}"
    send(qtbot, window, "one more")  # the widgets already there are kept, not rebuilt
    assert [w.text() for w in view.message_widgets[-2:]] == ["one more", "the newest answer"]
    assert len(view.message_widgets) == 2 * PAGE + 2
