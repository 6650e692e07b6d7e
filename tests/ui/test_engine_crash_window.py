"""A native crash of the engine process never takes the window down: the real window and the
real engine process, made to abort mid-reply and to segfault mid-load by the engine's test hook.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.backends.local_child import FAULT_ENV, FAULT_ONCE_ENV
from tests.helpers.qt import make_window, send

SLOW_MS = 180_000


@pytest.fixture
def settings(runtime, model_path: Path):
    runtime.settings.update(
        model=str(model_path), max_tokens=24, context_size=512, threads=2, temperature=0.0
    )
    return runtime


def test_an_abort_mid_reply_keeps_the_partial_answer_and_the_next_message_answers(
    qtbot, settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FAULT_ENV, "abort-mid-reply")
    monkeypatch.setenv(FAULT_ONCE_ENV, str(tmp_path / "aborted-once"))
    window = make_window(qtbot, settings, backend=None, timeout=SLOW_MS)
    errors: list[str] = []
    window.controller.replyFailed.connect(lambda _id, error: errors.append(error))
    send(qtbot, window, "Write one sentence about the sea.", timeout=SLOW_MS)
    assert window.isVisible()
    first = window.store.active_path(window.controller.conversation_id)[-1]
    assert first.status == "partial" and first.content  # what came before the crash is kept
    assert errors and "SIGABRT" in errors[0] and "Gemma" in errors[0]
    send(qtbot, window, "And another one.", timeout=SLOW_MS)  # a fresh engine answers
    second = window.store.active_path(window.controller.conversation_id)[-1]
    assert second.status == "complete" and second.content


def test_a_segfault_while_loading_is_a_message_and_the_next_message_answers(
    qtbot, settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FAULT_ENV, "segv-mid-load")
    monkeypatch.setenv(FAULT_ONCE_ENV, str(tmp_path / "crashed-once"))
    window = make_window(qtbot, settings, backend=None, load=False)
    with qtbot.waitSignal(window.worker.modelFailed, timeout=SLOW_MS) as failed:
        window.load_model()
    assert "SIGSEGV" in failed.args[0]
    assert "Model not loaded" in window.status.model_label.text()
    send(qtbot, window, "Hello", timeout=SLOW_MS)  # the turn starts the engine again
    reply = window.store.active_path(window.controller.conversation_id)[-1]
    assert reply.status == "complete" and reply.content
