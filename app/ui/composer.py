"""Where the user types: Enter sends, Shift+Enter adds a line, Esc stops, Up edits the last.

The box grows with its text up to a limit. While a reply streams, the Send button becomes
Stop.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

MAX_LINES = 10


class ComposerEdit(QPlainTextEdit):
    submitted = Signal()
    stopRequested = Signal()
    editLastRequested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            mods & Qt.KeyboardModifier.ShiftModifier
        ):
            self.submitted.emit()
            return
        if key == Qt.Key.Key_Escape:
            self.stopRequested.emit()
            return
        if key == Qt.Key.Key_Up and not self.toPlainText():
            self.editLastRequested.emit()
            return
        super().keyPressEvent(event)


class Composer(QWidget):
    sendRequested = Signal(str)
    stopRequested = Signal()
    editLastRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._busy = False
        self._ready = True
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 6, 24, 10)
        outer.setSpacing(4)
        self.frame = QFrame(self, objectName="Composer")
        row = QHBoxLayout(self.frame)
        row.setContentsMargins(12, 8, 8, 8)
        self.edit = ComposerEdit(self.frame, objectName="ComposerEdit")
        self.edit.setTabChangesFocus(True)
        self.edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.edit.textChanged.connect(self._on_text_changed)
        self.edit.submitted.connect(self.submit)
        self.edit.stopRequested.connect(self.stopRequested)
        self.edit.editLastRequested.connect(self.editLastRequested)
        self.edit.installEventFilter(self)
        self.send_button = QPushButton(self.frame, objectName="SendButton")
        self.send_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.send_button.clicked.connect(self._on_button)
        row.addWidget(self.edit, 1)
        row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        self.hint = QLabel(self, objectName="ComposerHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        outer.addWidget(self.frame)
        outer.addWidget(self.hint)
        self._fit_height()
        self.retranslate()

    # -- state ----------------------------------------------------------------------------
    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)
        cursor = self.edit.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        self.edit.setTextCursor(cursor)
        self.edit.setFocus()

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.send_button.setObjectName("StopButton" if busy else "SendButton")
        self.send_button.style().unpolish(self.send_button)
        self.send_button.style().polish(self.send_button)
        self.retranslate()

    def submit(self) -> None:
        text = self.text().strip()
        if text and not self._busy:
            self.edit.clear()
            self.sendRequested.emit(text)

    def _on_button(self) -> None:
        if self._busy:
            self.stopRequested.emit()
        else:
            self.submit()

    def _on_text_changed(self) -> None:
        self._fit_height()
        self.send_button.setEnabled(self._busy or bool(self.text().strip()))

    def _fit_height(self) -> None:
        metrics = self.edit.fontMetrics()
        wanted = int(self.edit.document().size().height())  # in lines for a plain-text layout
        lines = max(1, min(MAX_LINES, wanted))
        self.edit.setVerticalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAsNeeded
            if wanted > MAX_LINES
            else Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
        self.edit.setFixedHeight(lines * metrics.lineSpacing() + 12)

    def eventFilter(self, obj, event) -> bool:
        if obj is self.edit and event.type() in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
            self.frame.setProperty("focused", event.type() == QEvent.Type.FocusIn)
            self.frame.style().unpolish(self.frame)
            self.frame.style().polish(self.frame)
        return super().eventFilter(obj, event)

    # -- texts ----------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.edit.setPlaceholderText(self.tr("Message Enclave…"))
        self.edit.setAccessibleName(self.tr("Message"))
        self.edit.setAccessibleDescription(
            self.tr("Enter sends, Shift+Enter starts a new line, Up edits your last message")
        )
        if self._busy:
            self.send_button.setText(self.tr("Stop"))
            self.send_button.setToolTip(self.tr("Stop the answer (Esc)"))
            self.send_button.setEnabled(True)
        else:
            self.send_button.setText(self.tr("Send"))
            self.send_button.setToolTip(self.tr("Send (Enter)"))
            self.send_button.setEnabled(bool(self.text().strip()))
        self.send_button.setAccessibleName(self.send_button.text())
        self.hint.setText(
            self.tr(
                "Enclave runs on this computer. Nothing you type leaves it. "
                "Answers can be wrong: check what matters."
            )
        )

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
