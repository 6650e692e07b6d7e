"""Attach documents without dragging: the paperclip and a paste of a file path or file:// URL.

Both take the same path as a drop (the window's `documents_dropped`, then the drop controller):
a summary in a new conversation, or the document joins the open conversation. The overlay shown
while files are dragged over the window says which of the two a drop will do.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from app.core.documents.pipeline import SummaryOutcome
from tests.helpers import make_documents as make
from tests.helpers.fake_summary_engine import FakeSummaryEngine
from tests.helpers.qt import WAIT_MS, make_window


def _txt(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text(f"{name}. {make.LOREM}\n", encoding="utf-8")
    return path


def paste(window, mime: QMimeData) -> None:
    """Ctrl+V in the composer with `mime` on the clipboard."""
    clipboard = QApplication.clipboard()
    clipboard.setMimeData(mime)  # the clipboard owns it now
    window.composer.edit.setFocus()
    window.composer.edit.paste()
    clipboard.clear()  # freed by Qt now, not by Python at exit (a crash after the last test)


def text_mime(text: str) -> QMimeData:
    mime = QMimeData()
    mime.setText(text)
    return mime


def url_mime(path: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    return mime


def summarised(qtbot, window, action) -> SummaryOutcome:
    with qtbot.waitSignal(window.drop_controller.summaryFinished, timeout=WAIT_MS) as done:
        action()
    return done.args[0]


def test_the_paperclip_summarises_then_adds_to_the_conversation(qtbot, runtime, tmp_path):
    window = make_window(qtbot, runtime, FakeSummaryEngine(n_ctx=256))
    composer = window.composer
    assert composer.attach_button.isVisible() and composer.attach_button.toolTip()
    chosen = [[_txt(tmp_path, "first.txt")], [_txt(tmp_path, "second.txt")], []]
    composer.ask_files = lambda: chosen.pop(0)  # what the user picks in the file dialog
    dropped: list[list[Path]] = []
    window.documentsDropped.connect(dropped.append)  # the drop's own path

    def click() -> None:
        qtbot.mouseClick(composer.attach_button, Qt.MouseButton.LeftButton)

    first = summarised(qtbot, window, click)
    assert dropped == [[tmp_path / "first.txt"]]
    assert window.controller.conversation_id == first.conversation_id
    second = summarised(qtbot, window, click)  # in the open conversation: it joins it
    assert second.conversation_id == first.conversation_id
    names = [d.name for d in window.store.documents(first.conversation_id)]
    assert names == ["first.txt", "second.txt"]
    click()  # the dialog cancelled: nothing happens
    assert len(dropped) == 2 and not window.drop_controller.busy


def test_a_pasted_path_or_file_url_attaches_the_file(qtbot, runtime, tmp_path):
    window = make_window(qtbot, runtime, FakeSummaryEngine(n_ctx=256))
    by_path, by_url = _txt(tmp_path, "notes.txt"), _txt(tmp_path, "minutes.txt")
    window.composer.set_text("Hello ")

    outcome = summarised(qtbot, window, lambda: paste(window, text_mime(f"  '{by_path}'\n")))
    assert [d.name for d in window.store.documents(outcome.conversation_id)] == ["notes.txt"]
    url = QUrl.fromLocalFile(str(by_url)).toString()
    assert url.startswith("file:///")
    summarised(qtbot, window, lambda: paste(window, text_mime(url)))
    names = [d.name for d in window.store.documents(outcome.conversation_id)]
    assert names == ["notes.txt", "minutes.txt"]
    # A file copied in a file manager: its URL. Made inside the paste, like text_mime(), so no
    # Python name outlives the clipboard's ownership of it (a crash at exit otherwise).
    summarised(qtbot, window, lambda: paste(window, url_mime(by_path)))
    assert window.composer.text() == "Hello "  # no path was typed into the message


def test_anything_else_pastes_as_text(qtbot, runtime, tmp_path):
    window = make_window(qtbot, runtime, FakeSummaryEngine(n_ctx=256))
    real = _txt(tmp_path, "real.txt")
    pasted = [
        str(tmp_path / "missing.txt"),  # no such file
        str(tmp_path),  # a folder
        f"{real} is the file",  # a sentence that mentions a path
        f"{real}\n{tmp_path / 'missing.txt'}",  # one of two lines is not a file
        "https://example.com/report.pdf",
        "relative/notes.txt",
    ]
    dropped: list[list[Path]] = []
    window.documentsDropped.connect(dropped.append)
    for text in pasted:
        window.composer.edit.clear()
        paste(window, text_mime(text))
        assert window.composer.text() == text
    assert dropped == [] and not window.drop_controller.busy


# -- the overlay -------------------------------------------------------------------------------
class Drag:
    """A drag from a file manager, delivered as the window system does: to the window's
    QWindow, which hands each event to the widget under the pointer."""

    def __init__(self, window, mime: QMimeData) -> None:
        self.handle = window.windowHandle()
        self.mime = mime
        self.args = (
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )

    def enter_and_move(self, x: int = 600, y: int = 300) -> None:
        with warnings.catch_warnings():  # the QPoint constructors are marked deprecated
            warnings.simplefilter("ignore", DeprecationWarning)
            QApplication.sendEvent(self.handle, QDragEnterEvent(QPoint(x, y), *self.args))
            QApplication.sendEvent(self.handle, QDragMoveEvent(QPoint(x + 5, y), *self.args))
        QApplication.processEvents()

    def leave(self) -> None:
        QApplication.sendEvent(self.handle, QDragLeaveEvent())
        QApplication.processEvents()

    def drop(self, x: int = 605, y: int = 300) -> None:
        QApplication.sendEvent(self.handle, QDropEvent(QPointF(x, y), *self.args))


def files(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def test_the_overlay_says_what_a_drop_will_do(qtbot, runtime, tmp_path):
    window = make_window(qtbot, runtime, FakeSummaryEngine(n_ctx=256))
    overlay = window.drop_overlay
    report = _txt(tmp_path, "report.txt")
    assert not overlay.isVisible()

    drag = Drag(window, files(report))  # a new chat: the file will be summarised
    drag.enter_and_move()
    assert overlay.isVisible() and overlay.geometry() == window.rect()
    assert overlay.title.text() == "Drop to summarise"
    outcome = summarised(qtbot, window, drag.drop)  # dropped on the overlay
    assert not overlay.isVisible()

    # The conversation now has a document: a new one joins it, for questions on both.
    assert window.controller.conversation_id == outcome.conversation_id
    drag = Drag(window, files(_txt(tmp_path, "annex.txt")))
    drag.enter_and_move()
    assert overlay.isVisible() and overlay.title.text() == "Drop to ask about it"
    assert "this conversation" in overlay.detail.text()
    drag.leave()  # dragged away again: nothing happens
    assert not overlay.isVisible()
    drag = Drag(window, files(_txt(tmp_path, "a.txt"), _txt(tmp_path, "b.txt")))
    drag.enter_and_move()
    assert overlay.title.text() == "Drop to ask about them"
    drag.leave()
    assert not overlay.isVisible() and not window.drop_controller.busy
    assert len(window.store.documents(outcome.conversation_id)) == 1

    window.new_chat()
    drag = Drag(window, files(report))
    drag.enter_and_move()
    assert overlay.title.text() == "Drop to summarise"
    drag.leave()


def test_dragging_text_shows_no_overlay(qtbot, runtime):
    window = make_window(qtbot, runtime, FakeSummaryEngine(n_ctx=256))
    Drag(window, text_mime("just words")).enter_and_move()
    assert not window.drop_overlay.isVisible()
