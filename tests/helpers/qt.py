"""Helpers for window tests: open a real window (real store, fake or real engine), drive it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.ui.application import open_window
from app.ui.i18n import Translations
from app.ui.main_window import MainWindow

WAIT_MS = 10_000


def make_window(qtbot, runtime, backend, load: bool = True, timeout: int = WAIT_MS) -> MainWindow:
    """A shown main window over `runtime`'s data dir; the test's qtbot closes it."""
    app = QApplication.instance()
    translations = Translations(app)
    translations.apply(runtime.settings.current.language)
    window = open_window(runtime, backend=backend, translations=translations)
    qtbot.addWidget(window, before_close_func=lambda w: w.shutdown())
    with qtbot.waitActive(window):  # shortcuts reach only the active window
        window.show()
        window.activateWindow()
    if load:
        with qtbot.waitSignal(window.worker.modelLoaded, timeout=timeout):
            window.load_model()
    return window


def send(qtbot, window: MainWindow, text: str, wait: bool = True, timeout: int = WAIT_MS) -> None:
    """Type `text` in the composer and press Enter, as a user would."""
    window.composer.edit.setFocus()
    qtbot.keyClicks(window.composer.edit, text)
    if wait:
        with qtbot.waitSignal(window.controller.replyFinished, timeout=timeout):
            qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    else:
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)


def assistant_texts(window: MainWindow) -> list[str]:
    return [w.text() for w in window.chat_view.message_widgets if not w.is_user]
