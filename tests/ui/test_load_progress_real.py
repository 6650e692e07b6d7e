"""Stop while the real engine loads the real model: the reply shows the figure, Stop ends the
load at llama.cpp's next report, and the next message loads the model and answers. The load is
slowed by the engine's test hook (`slow-load`: a pause at each of llama.cpp's reports)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.core.backends.local_child import FAULT_ENV, FAULT_ONCE_ENV
from tests.helpers.qt import make_window, send

SLOW_MS = 180_000


def test_stop_while_the_real_model_loads_then_the_next_message_answers(
    qtbot, runtime, model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime.settings.update(
        model=str(model_path), max_tokens=12, context_size=512, threads=2, temperature=0.0
    )
    monkeypatch.setenv(FAULT_ENV, "slow-load")
    monkeypatch.setenv(FAULT_ONCE_ENV, str(tmp_path / "slow-once"))  # only the first load
    window = make_window(qtbot, runtime, backend=None, load=False)
    send(qtbot, window, "Hello", wait=False)

    def reply():
        return [w for w in window.chat_view.message_widgets if not w.is_user][-1]

    figure = re.compile(r"^Loading model .+… \d+ %$")
    qtbot.waitUntil(lambda: bool(figure.match(reply().wait_label.text())), timeout=SLOW_MS)
    assert re.match(r"^Loading… \d+ %$", window.load_progress.text)
    with qtbot.waitSignal(window.controller.replyFinished, timeout=10_000) as done:
        window.composer.send_button.click()  # Stop: well before the ~12 s load would end
    assert done.args[1] == "cancelled"
    assert reply().status_label.text().startswith("Stopped while the model was loading")
    qtbot.waitUntil(lambda: not window.load_progress.isVisible(), timeout=10_000)
    assert window.worker.model_info is None
    send(qtbot, window, "Hello again", timeout=SLOW_MS)
    conv = window.controller.conversation_id
    path = window.store.active_path(conv)
    assert [(m.role, m.status) for m in path] == [
        ("user", "complete"),
        ("assistant", "cancelled"),
        ("user", "complete"),
        ("assistant", "complete"),
    ]
    assert path[-1].content and window.worker.model_info is not None
    assert window.status.model_label.text().startswith("Model: ")


def test_cancel_beside_the_figure_stops_a_real_switch_and_the_next_message_answers(
    qtbot, runtime, model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime.settings.update(max_tokens=12, context_size=512, threads=2, temperature=0.0)
    monkeypatch.setenv(FAULT_ENV, "slow-load")
    monkeypatch.setenv(FAULT_ONCE_ENV, str(tmp_path / "slow-once"))
    window = make_window(qtbot, runtime, backend=None, load=False)
    window.new_chat()
    window.choose_model(str(model_path))  # as the header's model choice does
    figure = re.compile(r"^Loading… \d+ %$")
    qtbot.waitUntil(lambda: bool(figure.match(window.load_progress.text)), timeout=SLOW_MS)
    with qtbot.waitSignal(window.worker.modelUnloaded, timeout=10_000):
        window.load_progress.cancel_button.click()
    assert not window.load_progress.isVisible() and window.worker.model_info is None
    assert window.controller.model_choice is None
    assert "loading was stopped" in window.status.model_label.text()
    runtime.settings.update(model=str(model_path))
    send(qtbot, window, "Hello", timeout=SLOW_MS)  # loads it (fast now) and answers
    reply = window.store.active_path(window.controller.conversation_id)[-1]
    assert reply.status == "complete" and reply.content
    assert window.worker.model_info is not None
