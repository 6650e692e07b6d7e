"""Drop files on the real main window: queued summary jobs, progress, Cancel, sources.

The window, store and model worker are real; the model is the scripted `FakeSummaryEngine`
(speed), which can hold inside a step so Cancel and the queue are tested deterministically.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from app.core.documents.model import Citation
from app.core.documents.pipeline import SummaryOutcome
from app.core.documents.summarise import SummaryProgress
from app.ui.documents.citations import citation_url
from app.ui.documents.panel import DocumentsPanel
from app.ui.sidebar import ID_ROLE
from tests.helpers import make_documents as make
from tests.helpers.fake_summary_engine import FakeSummaryEngine
from tests.helpers.qt import WAIT_MS, assistant_texts, make_window, send


def _pdf(folder: Path, name: str, pages: int = 24) -> Path:
    return make.make_pdf(folder / name, [f"Page {n}. {make.LOREM}" for n in range(1, pages + 1)])


def drop_files(window, paths: list[Path]) -> None:
    """What the OS delivers when files are dragged from a file manager onto the window."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    actions = Qt.DropAction.CopyAction
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    with warnings.catch_warnings():  # Qt marks the QPoint constructor deprecated; no other
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(QPoint(50, 50), actions, mime, buttons, modifiers)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(50, 50), actions, mime, buttons, modifiers)
    QApplication.sendEvent(window, drop)
    assert drop.isAccepted()


def test_drop_summarises_with_progress_and_stores_the_result(qtbot, runtime, tmp_path):
    engine = FakeSummaryEngine(n_ctx=256)
    window = make_window(qtbot, runtime, engine)
    controller = window.drop_controller
    assert controller.summarise_action in window.actions_.file_menu.actions()
    assert controller.summarise_action.text() == "Summarise a document…"
    shown: list[str] = []
    events: list[SummaryProgress] = []
    controller.summaryProgress.connect(events.append)
    controller.summaryProgress.connect(
        lambda _e: shown.append(controller.panel.status_label.text())
    )
    pdf = _pdf(tmp_path, "report.pdf")

    with qtbot.waitSignal(controller.summaryFinished, timeout=WAIT_MS) as done:
        drop_files(window, [pdf])
    outcome: SummaryOutcome = done.args[0]
    assert outcome.summary.mode == "map-reduce" and not outcome.cancelled
    total = outcome.summary.chunks_total
    assert total > 2
    assert any(f"Summarising report.pdf: part 1 of {total}" in text for text in shown)
    assert any(f"part {total} of {total}" in text for text in shown)
    assert any(e.stage == "map" and e.eta_s is not None for e in events)  # an ETA is given
    assert "is ready" in controller.panel.status_label.text()

    # The result is on screen, in its own conversation, and stored with the document.
    assert window.controller.conversation_id == outcome.conversation_id
    qtbot.waitUntil(lambda: any("By part" in t for t in assistant_texts(window)), timeout=WAIT_MS)
    assert outcome.conversation_id in window.sidebar.visible_ids()
    [document] = window.store.documents(outcome.conversation_id)
    assert (document.name, document.pages, document.path) == ("report.pdf", 24, str(pdf))
    roles = [(m.role, m.status) for m in window.store.active_path(outcome.conversation_id)]
    assert roles == [("user", "complete"), ("assistant", "complete")]


def test_cancel_keeps_the_parts_done_and_the_window_responsive(qtbot, runtime, tmp_path):
    engine = FakeSummaryEngine(n_ctx=256, hold_on_call=3)
    window = make_window(qtbot, runtime, engine)
    controller = window.drop_controller
    drop_files(window, [_pdf(tmp_path, "long.pdf")])
    qtbot.waitUntil(engine.holding.is_set, timeout=WAIT_MS)

    # The model thread is busy; the GUI thread is not: typing still works.
    qtbot.keyClicks(window.composer.edit, "still typing")
    assert window.composer.edit.toPlainText() == "still typing"
    assert controller.panel.cancel_button.isVisible()

    with qtbot.waitSignal(controller.summaryFinished, timeout=WAIT_MS) as done:
        qtbot.mouseClick(controller.panel.cancel_button, Qt.MouseButton.LeftButton)
    outcome: SummaryOutcome = done.args[0]
    assert outcome.cancelled and len(outcome.summary.sections) == 2
    reply = window.store.active_path(outcome.conversation_id)[-1]
    assert reply.status == "cancelled" and "**By part**" in reply.content
    assert "cancelled" in controller.panel.status_label.text()
    assert window.store.documents(outcome.conversation_id)  # the document stays attached
    assert not controller.busy


def test_a_drop_while_busy_is_queued(qtbot, runtime, tmp_path):
    engine = FakeSummaryEngine(n_ctx=256, hold_on_call=1)
    window = make_window(qtbot, runtime, engine)
    controller = window.drop_controller
    finished: list[SummaryOutcome] = []
    controller.summaryFinished.connect(finished.append)
    drop_files(window, [_pdf(tmp_path, "first.pdf", pages=6)])
    qtbot.waitUntil(engine.holding.is_set, timeout=WAIT_MS)
    drop_files(window, [_pdf(tmp_path, "second.pdf", pages=6)])
    assert controller.queued == 1
    qtbot.waitUntil(
        lambda: "1 more queued" in controller.panel.status_label.text(), timeout=WAIT_MS
    )
    engine.release()
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=WAIT_MS)
    assert [o.name for o in finished] == ["first.pdf", "second.pdf"]
    assert finished[0].conversation_id != finished[1].conversation_id
    assert controller.queued == 0 and not controller.busy


def test_unreadable_drop_shows_the_message_and_the_next_file_runs(qtbot, runtime, tmp_path):
    engine = FakeSummaryEngine(n_ctx=1024)
    window = make_window(qtbot, runtime, engine)
    controller = window.drop_controller
    empty = tmp_path / "empty.docx"
    empty.touch()
    failures: list[tuple[str, str]] = []
    controller.summaryFailed.connect(lambda path, message: failures.append((path, message)))
    with qtbot.waitSignal(controller.summaryFinished, timeout=WAIT_MS):
        drop_files(window, [empty, _pdf(tmp_path, "ok.pdf", pages=2)])
    assert failures == [
        (str(empty), "empty.docx: the file is empty (0 bytes); there is nothing to read.")
    ]
    assert window.store.count_conversations() == 1


def test_questions_are_answered_from_the_document_with_openable_sources(qtbot, runtime, tmp_path):
    engine = FakeSummaryEngine(n_ctx=1024)
    window = make_window(qtbot, runtime, engine)
    controller = window.drop_controller
    pages = [f"Page {n}. {make.LOREM}" for n in range(1, 9)]
    pages[4] += " The lighthouse key hangs behind the blue tide clock."
    pdf = make.make_pdf(tmp_path / "harbour.pdf", pages)
    with qtbot.waitSignal(controller.summaryFinished, timeout=WAIT_MS):
        drop_files(window, [pdf])

    send(qtbot, window, "Where is the lighthouse key?")
    reply = window.store.active_path(window.controller.conversation_id)[-1]
    assert reply.status == "complete"
    assert "Sources: [1] harbour.pdf, p. 5" in reply.content
    qtbot.waitUntil(lambda: controller.panel.sources_label.isVisible(), timeout=WAIT_MS)
    assert "[1] harbour.pdf, p. 5" in controller.panel.sources_label.text()

    opened: list[Citation] = []
    controller.open_url = lambda citation: opened.append(citation) or True
    controller.panel.sources_label.linkActivated.emit("cite:0")
    assert opened[0].page_start == 5 and opened[0].path == str(pdf)
    url = citation_url(opened[0])
    assert url.isLocalFile() and url.toLocalFile() == str(pdf) and url.fragment() == "page=5"

    # Coming back to the conversation later shows its sources again (they are stored).
    window.new_chat()
    assert not controller.panel.sources_label.isVisible()
    items = window.sidebar.list
    [row] = [
        i for i in range(items.count()) if items.item(i).data(ID_ROLE) == reply.conversation_id
    ]
    items.setCurrentRow(row)  # as a click in the sidebar does
    assert window.controller.conversation_id == reply.conversation_id
    assert "harbour.pdf, p. 5" in controller.panel.sources_label.text()


def test_encrypted_pdf_asks_for_the_password(qtbot, runtime, tmp_path):
    engine = FakeSummaryEngine(n_ctx=1024)
    window = make_window(qtbot, runtime, engine)
    controller = window.drop_controller
    locked = make.make_pdf(tmp_path / "locked.pdf", ["Salaries for 2025."], password="s3cret")
    asked: list[str] = []
    answers = iter(["wrong", "s3cret"])
    controller.ask_password = lambda name, message: asked.append(message) or next(answers)
    with qtbot.waitSignal(controller.summaryFinished, timeout=WAIT_MS) as done:
        drop_files(window, [locked])
    assert "encrypted with a password" in asked[0] and "not correct" in asked[1]
    [document] = window.store.documents(done.args[0].conversation_id)
    assert document.name == "locked.pdf"

    controller.ask_password = lambda name, message: None  # the user closes the dialog
    with qtbot.waitSignal(controller.summaryFailed, timeout=WAIT_MS) as failed:
        drop_files(window, [locked])
    assert "encrypted with a password" in failed.args[1]
    assert "encrypted with a password" in controller.panel.status_label.text()
    assert window.store.count_conversations() == 1


def test_panel_wording(qtbot):
    panel = DocumentsPanel()
    qtbot.addWidget(panel)
    panel.show_progress(SummaryProgress("a.pdf", "map", 2, 5, 42.4), queued=1)
    assert panel.status_label.text() == (
        "Summarising a.pdf: part 3 of 5 — about 42 s left — 1 more queued"
    )
    assert (panel.bar.maximum(), panel.bar.value()) == (5, 2)
    panel.show_progress(SummaryProgress("a.pdf", "reduce", 0, 1, 0.2), queued=0)
    assert panel.status_label.text() == "Summarising a.pdf: merging the parts"
    citation = Citation("deck.pptx", 4, 4, path="/x/deck.pptx", unit="slide")
    panel.show_citations([citation])
    assert "[1] deck.pptx, slide 4" in panel.sources_label.text()
    with qtbot.waitSignal(panel.citationActivated) as activated:
        panel.sources_label.linkActivated.emit("cite:0")
    assert activated.args == [0]
