"""A model load shows its figure (in the reply and in the status bar) and can be stopped, in a
reply and beside the figure; afterwards nothing is lost and the next message answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.core.config.runtime import Runtime
from tests.helpers.fake_engine import FakeEngine
from tests.helpers.qt import WAIT_MS, make_window, send


def last_reply(window):
    return [w for w in window.chat_view.message_widgets if not w.is_user][-1]


def other_model(tmp_path: Path, name: str = "other.gguf") -> str:
    other = tmp_path / name
    other.write_bytes(b"GGUF " + name.encode())
    return str(other)


def test_a_reply_loading_its_model_shows_the_percentage_and_stop_ends_the_load(
    qtbot, runtime: Runtime, tmp_path: Path
) -> None:
    engine = FakeEngine(["An answer."], load_steps=(0.42, 1.0))
    window = make_window(qtbot, runtime, engine)
    engine.hold_load = True  # the next load stops after its first figure until released
    window.controller.choose_model(other_model(tmp_path))
    send(qtbot, window, "Hi", wait=False)
    qtbot.waitUntil(
        lambda: last_reply(window).wait_label.text() == "Loading model other.gguf… 42 %",
        timeout=WAIT_MS,
    )
    assert last_reply(window).wait_label.isVisible()
    assert window.load_progress.isVisible() and window.load_progress.text == "Loading… 42 %"
    bar = window.load_progress.bar
    assert bar.fontMetrics().horizontalAdvance("Loading… 100 %") < bar.width()  # never cut
    with qtbot.waitSignal(window.controller.replyFinished, timeout=WAIT_MS) as done:
        window.composer.send_button.click()  # Stop, while the model loads
    assert done.args[1] == "cancelled"
    reply = last_reply(window)
    assert not reply.wait_label.isVisible()
    assert reply.status_label.text() == (
        "Stopped while the model was loading; send again to load it."
    )
    qtbot.waitUntil(lambda: not window.load_progress.isVisible(), timeout=WAIT_MS)
    assert window.worker.model_info is None  # the old model went first: none is loaded
    assert "loading was stopped" in window.status.model_label.text()
    conv = window.controller.conversation_id
    path = window.store.active_path(conv)
    assert [(m.role, m.content, m.status) for m in path] == [
        ("user", "Hi", "complete"),
        ("assistant", "", "cancelled"),
    ]

    engine.hold_load = False
    send(qtbot, window, "Hi again")  # the conversation's model loads now and answers
    assert last_reply(window).text() == "An answer."
    assert window.worker.model_info is not None
    assert window.status.model_label.text() == "Model: Fake Model 1B"
    assert [m.content for m in window.store.active_path(conv)][:2] == ["Hi", ""]


@pytest.mark.parametrize("how", ["cancel", "escape"])
def test_cancel_stops_a_switch_from_the_header_and_the_window_says_what_is_loaded(
    qtbot, runtime: Runtime, tmp_path: Path, how: str
) -> None:
    engine = FakeEngine(["An answer."], load_steps=(0.0, 0.42, 1.0))
    window = make_window(qtbot, runtime, engine)
    window.new_chat()
    figures: list[float] = []
    window.worker.modelProgress.connect(figures.append)
    with qtbot.waitSignal(window.worker.modelLoaded, timeout=WAIT_MS):
        window.choose_model(other_model(tmp_path))  # as the header's model choice does
    assert figures == [0.0, 0.42, 1.0]
    assert not window.load_progress.isVisible()

    engine.load_steps = (0.42, 1.0)
    engine.hold_load = True
    window.choose_model(other_model(tmp_path, "third.gguf"))
    qtbot.waitUntil(lambda: window.load_progress.text == "Loading… 42 %", timeout=WAIT_MS)
    assert window.load_progress.isVisible()
    with qtbot.waitSignal(window.worker.modelUnloaded, timeout=WAIT_MS):
        if how == "cancel":
            window.load_progress.cancel_button.click()
        else:  # the window's Stop shortcut reaches a switch too
            qtbot.keyClick(window.composer.edit, Qt.Key.Key_Escape)
    assert not window.load_progress.isVisible()
    assert window.worker.model_info is None and window.controller.model_choice is None
    assert window.model_picker.currentIndex() == -1  # no model shown as loaded
    assert "loading was stopped" in window.status.model_label.text()

    engine.hold_load = False
    send(qtbot, window, "Hello")  # the next message loads a model again and answers
    assert last_reply(window).text() == "An answer."
    assert window.worker.model_info is not None


def test_cancel_before_a_queued_switch_starts_keeps_the_loaded_model(
    qtbot, runtime: Runtime, tmp_path: Path
) -> None:
    engine = FakeEngine(["An answer."], hold_after=0)
    window = make_window(qtbot, runtime, engine)
    loaded = window.worker.model_info
    send(qtbot, window, "Hi", wait=False)  # a reply holds the model thread
    qtbot.waitUntil(engine.holding.is_set, timeout=WAIT_MS)
    window.controller.choose_model(other_model(tmp_path))
    job = window.worker.load_model(other_model(tmp_path))  # queued behind the reply
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS):
        for queued in window.worker.pending("load"):
            queued.cancel()
        engine.release()
    assert job.state == "cancelled"
    assert window.worker.model_info is loaded  # nothing was unloaded
    qtbot.waitUntil(lambda: not window.controller.busy, timeout=WAIT_MS)
    assert window.status.model_label.text() == "Model: Fake Model 1B"
