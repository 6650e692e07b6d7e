"""Enter shows the question and its reply at once, from one write and no read of the history
(the store gives back the path it wrote); the first run is over at once, saved behind."""

from __future__ import annotations

from sqlalchemy import event

from app.core.config.settings_store import SettingsStore
from tests.helpers.fake_engine import DEFAULT_REPLY, FakeEngine
from tests.helpers.qt import WAIT_MS, assistant_texts, make_window


def sql_log(window) -> list[str]:
    statements: list[str] = []
    event.listen(
        window.store.engine,
        "before_cursor_execute",
        lambda *args: statements.append(args[2].strip()),
    )
    return statements


def warmed_up(qtbot, window) -> None:
    """The store's warm-up (started after the first paint) has run: no statement of its own
    mixes with the ones a test counts."""
    qtbot.waitUntil(
        lambda: bool(window._background) and not any(t.is_alive() for t in window._background),
        timeout=WAIT_MS,
    )


def test_the_question_shows_at_once_from_one_write(qtbot, runtime):
    engine = FakeEngine(hold_after=2)
    window = make_window(qtbot, runtime, engine)
    warmed_up(qtbot, window)
    statements = sql_log(window)
    assert window.welcome.first_run

    window.send("How do I sort a list?")  # no event-loop turn until it returns
    question, reply = window.chat_view.message_widgets
    assert (question.is_user, question.text_label.text()) == (True, "How do I sort a list?")
    assert (reply.is_user, reply.record.status) == (False, "streaming")
    assert window.stack.currentWidget() is window.chat_view
    assert sum(s.startswith("BEGIN IMMEDIATE") for s in statements) == 1
    assert not any("RECURSIVE" in s for s in statements)  # the new path is not read back
    assert not any("parent_id IN" in s for s in statements)  # a first question has no siblings
    assert not window.welcome.first_run

    with qtbot.waitSignal(window.controller.replyFinished, timeout=WAIT_MS) as done:
        engine.release()
    assert done.args[1] == "complete"
    qtbot.waitUntil(lambda: assistant_texts(window) == [DEFAULT_REPLY], timeout=WAIT_MS)
    path = window.store.active_path(window.controller.conversation_id)
    assert [w.record.id for w in window.chat_view.message_widgets] == [m.id for m in path]
    saved = SettingsStore(runtime.paths.settings_file, runtime.policy)
    qtbot.waitUntil(lambda: saved.current.first_run_done, timeout=WAIT_MS)


def test_a_follow_up_shows_under_the_answer_with_the_answers_versions(qtbot, runtime):
    engine = FakeEngine(replies=["First answer.", "Second answer.", "Third answer."])
    window = make_window(qtbot, runtime, engine)
    with qtbot.waitSignal(window.controller.replyFinished, timeout=WAIT_MS):
        window.send("Say something")
    first_answer = window.chat_view.message_widgets[-1].record.id
    with qtbot.waitSignal(window.controller.replyFinished, timeout=WAIT_MS):
        window.chat_view.regenerateRequested.emit(first_answer)
    qtbot.waitUntil(lambda: assistant_texts(window) == ["Second answer."], timeout=WAIT_MS)
    warmed_up(qtbot, window)
    statements = sql_log(window)

    with qtbot.waitSignal(window.controller.replyFinished, timeout=WAIT_MS):
        window.send("And then?")  # checked before the event loop runs again
        widgets = window.chat_view.message_widgets
        assert [w.is_user for w in widgets] == [True, False, True, False]
        assert widgets[2].text_label.text() == "And then?"
        assert widgets[1].sibling_label.text() == "2/2"  # the answer keeps its versions
        assert not widgets[2].sibling_label.isVisible()
        assert sum(s.startswith("BEGIN IMMEDIATE") for s in statements) == 1
        assert sum("RECURSIVE" in s for s in statements) == 1  # read once, inside the write
    qtbot.waitUntil(
        lambda: assistant_texts(window) == ["Second answer.", "Third answer."], timeout=WAIT_MS
    )
