"""The window on a company server's model says plainly where the text goes."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.config.runtime import Runtime
from tests.helpers.openai_server import MODEL_ID
from tests.helpers.qt import make_window, send

pytestmark = pytest.mark.model
SERVER_MODEL = f"gpu/{MODEL_ID}"


def test_the_window_says_text_goes_to_the_company_server(
    qtbot, company_policy: Path, tmp_path: Path
) -> None:
    runtime = Runtime.create(tmp_path / "data", company_policy)
    runtime.settings.update(model=SERVER_MODEL, max_tokens=6)
    window = make_window(qtbot, runtime, backend=None, timeout=120_000)
    assert "company server gpu" in window.status.model_label.text()
    assert "gpu" in window.composer.hint.text() and "sent" in window.composer.hint.text()
    send(qtbot, window, "Hello", timeout=120_000)
    reply = window.store.active_path(window.controller.conversation_id)[-1]
    assert (reply.status, reply.model_name) == ("complete", MODEL_ID)
