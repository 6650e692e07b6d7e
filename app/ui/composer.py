"""Where the user types: Enter sends, Shift+Enter adds a line, Esc stops, Up edits the last.

The box grows with its text up to a limit. While a reply streams, the Send button becomes
Stop. The paperclip chooses documents, and a paste of nothing but local file paths (or
file:// URLs) attaches those files instead of typing them: both go out as `filesAttached`, which
the window hands to the same place a drop of files goes.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDragEnterEvent, QIcon, QKeyEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.config.paths import resources_dir

MAX_LINES = 10


def local_files(mime: QMimeData) -> list[Path]:
    """The existing local files `mime` holds, when it holds nothing else (else [])."""
    if mime.hasUrls():
        candidates = [url.toLocalFile() if url.isLocalFile() else "" for url in mime.urls()]
    elif mime.hasText():
        candidates = [_as_path(line) for line in mime.text().splitlines() if line.strip()]
    else:
        return []
    if not candidates or not all(
        c and Path(c).is_absolute() and Path(c).is_file() for c in candidates
    ):
        return []
    return [Path(c) for c in candidates]


def _as_path(line: str) -> str:
    text = line.strip().strip("'\"")
    if text.startswith("file:"):
        url = QUrl(text)
        return url.toLocalFile() if url.isLocalFile() else ""
    return str(Path(text).expanduser()) if text.startswith(("/", "~")) or Path(text).drive else ""


class ComposerEdit(QPlainTextEdit):
    submitted = Signal()
    stopRequested = Signal()
    editLastRequested = Signal()
    filesPasted = Signal(list)  # list[Path]

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return bool(local_files(source)) or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        paths = local_files(source)
        if paths:
            self.filesPasted.emit(paths)
        else:
            super().insertFromMimeData(source)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_files(event.mimeData()):
            event.ignore()  # files dragged here go to the window, like anywhere else on it
            return
        super().dragEnterEvent(event)

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
    filesAttached = Signal(list)  # list[Path]: chosen with the paperclip or pasted

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._busy = False
        self.server: str | None = None  # the company server the model in use runs on
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
        self.edit.filesPasted.connect(self.filesAttached)
        self.edit.installEventFilter(self)
        self.attach_button = QToolButton(self.frame, objectName="AttachButton")
        self.attach_button.setIcon(QIcon(str(resources_dir() / "icons" / "paperclip.svg")))
        self.attach_button.setIconSize(QSize(18, 18))
        self.attach_button.setAutoRaise(True)
        self.attach_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.attach_button.clicked.connect(self.choose_files)
        self.send_button = QPushButton(self.frame, objectName="SendButton")
        self.send_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.send_button.clicked.connect(self._on_button)
        row.addWidget(self.attach_button, 0, Qt.AlignmentFlag.AlignBottom)
        row.addWidget(self.edit, 1)
        row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        self.hint = QLabel(self, objectName="ComposerHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)  # one line in English, two in longer languages
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

    def choose_files(self) -> None:
        """The paperclip: pick documents to summarise or ask about."""
        files = self.ask_files()
        if files:
            self.filesAttached.emit(files)

    def ask_files(self) -> list[Path]:
        """The documents the user picks in a file dialog (replaceable in tests)."""
        from app.core.documents.extract import SUPPORTED_SUFFIXES  # the readers: not at start

        patterns = " ".join(f"*{suffix}" for suffix in sorted(SUPPORTED_SUFFIXES))
        files, _ = QFileDialog.getOpenFileNames(
            self,
            self.tr("Attach documents"),
            str(Path.home()),
            self.tr("Documents ({patterns});;All files (*)").format(patterns=patterns),
        )
        return [Path(f) for f in files]

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
        self.attach_button.setToolTip(self.tr("Attach documents to summarise or ask about"))
        self.attach_button.setAccessibleName(self.tr("Attach documents"))
        if self.server:
            self.hint.setText(
                self.tr(
                    "This model runs on your company's server {server}: what you type is sent "
                    "there. Answers can be wrong: check what matters."
                ).format(server=self.server)
            )
        else:
            self.hint.setText(
                self.tr(
                    "Enclave runs on this computer. Nothing you type leaves it. "
                    "Answers can be wrong: check what matters."
                )
            )

    def set_server(self, server: str | None) -> None:
        """The model in use runs on this company server (None: on this computer)."""
        self.server = server
        self.retranslate()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
