"""End to end with the real bundled model: type, watch it stream, find it stored."""

from __future__ import annotations

import pytest

from app.core.default_model import DEFAULT_MODEL_SHA256
from tests.helpers.qt import assistant_texts, make_window, send

pytestmark = pytest.mark.model
SLOW_MS = 180_000


def test_the_real_model_streams_an_answer_into_the_window(qtbot, runtime, model_path):
    runtime.settings.update(
        model=str(model_path), max_tokens=24, context_size=1024, threads=2, temperature=0.0
    )
    window = make_window(qtbot, runtime, backend=None, timeout=SLOW_MS)
    assert window.worker.model_info.sha256 == DEFAULT_MODEL_SHA256
    assert window.welcome.demo_note.isVisibleTo(window.welcome)  # honest about the demo model
    updates: list[str] = []
    window.controller.replyUpdated.connect(lambda _id, text: updates.append(text))
    send(qtbot, window, "Write one sentence about the sea.", timeout=SLOW_MS)

    stored = window.store.active_path(window.controller.conversation_id)[-1]
    assert stored.role == "assistant" and stored.status == "complete"
    assert stored.content.strip()
    assert stored.model_sha256 == DEFAULT_MODEL_SHA256
    assert 0 < stored.generated_tokens <= 24 and stored.prompt_tokens > 0
    assert updates and updates[-1] == stored.content  # what streamed is what was stored
    assert assistant_texts(window) == [stored.content]
    assert "tokens/s" in window.status.speed_label.text()
    assert window.status.context_label.text().endswith("/ 1024 tokens")
