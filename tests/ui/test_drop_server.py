"""A document dropped while a company server's model is chosen is summarised by that server
(a real OpenAI-compatible server on 127.0.0.1 serving the bundled model), never by the local
engine, and the window says the text goes there."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.config.runtime import Runtime
from tests.helpers.fake_summary_engine import FakeSummaryEngine
from tests.helpers.openai_server import MODEL_ID
from tests.helpers.qt import make_window
from tests.ui.test_documents_drop import drop_files

pytestmark = pytest.mark.model
SERVER_MODEL = f"gpu/{MODEL_ID}"
SERVER_WAIT_MS = 240_000  # the real model on two shared CPU cores


def test_a_dropped_document_is_summarised_by_the_chosen_server_model(
    qtbot, company_policy: Path, tmp_path: Path
) -> None:
    runtime = Runtime.create(tmp_path / "data", company_policy)
    local = FakeSummaryEngine(n_ctx=512)  # loaded: it would answer if the drop stayed local
    window = make_window(qtbot, runtime, local, load=False)
    with qtbot.waitSignal(window.worker.modelLoaded, timeout=SERVER_WAIT_MS):
        window.choose_model(SERVER_MODEL)  # the header's model choice, no conversation open
    note = tmp_path / "meeting-notes.txt"
    note.write_text(
        "The team met on Monday to plan the move to the new office.\n\n"
        "The move happens in March. Everyone packs their own desk.\n\n"
        "The budget for the move is ten thousand euros.\n",
        encoding="utf-8",
    )
    controller = window.drop_controller
    with qtbot.waitSignal(controller.summaryFinished, timeout=SERVER_WAIT_MS) as done:
        drop_files(window, [note])
    outcome = done.args[0]
    assert not outcome.cancelled
    reply = window.store.get_message(outcome.message_id)
    assert (reply.status, reply.model_name) == ("complete", MODEL_ID)  # named by the server
    assert reply.stats["generated_tokens"] > 0 and reply.content.strip()
    assert local.prompts == []  # the local engine never saw the text
    assert "company server gpu" in window.status.model_label.text()
    assert "sent there" in window.status.model_label.text()
    conversation = window.store.get_conversation(outcome.conversation_id)
    assert conversation.model == SERVER_MODEL  # questions about it go to the same server
    trail = runtime.audit.path.read_text(encoding="utf-8")  # on the record, without the text
    assert '"server_used"' in trail and "office" not in trail
