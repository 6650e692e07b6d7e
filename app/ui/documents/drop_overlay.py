"""What a drop will do, shown over the window while files are dragged onto it.

"Drop to summarise" when the files would start a summary (in a new chat, or joining the open
conversation), "Drop to ask about it" when the open conversation already has documents, so the
new ones join them and the questions draw on all of them. Once shown, the overlay itself takes
the drag, so the drop lands here wherever the pointer is, and it goes to the window's one
`documents_dropped` path.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDropEvent
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from app.ui.composer import local_files


class DropOverlay(QFrame):
    def __init__(self, window: QWidget, has_documents: Callable[[], bool]) -> None:
        super().__init__(window, objectName="DropOverlay")
        self.window_ = window
        self.has_documents = has_documents  # does the open conversation have documents?
        self._has_drag = False  # the drag has moved from the window onto the overlay
        self.setAcceptDrops(True)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.title = QLabel(self, objectName="DropOverlayTitle")
        self.detail = QLabel(self, objectName="DropOverlayDetail")
        for label in (self.title, self.detail):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
            layout.addWidget(label)
        layout.addStretch(1)
        self.hide()
        window.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if obj is not self.window_:
            return False
        if kind == QEvent.Type.DragEnter:
            files = local_files(event.mimeData())  # type: ignore[attr-defined]
            if files:
                self.show_for(len(files))
        elif kind == QEvent.Type.Drop:
            self.hide()
        elif kind == QEvent.Type.DragLeave:
            # Leaving the window for the overlay on top of it is no leave: wait and see.
            QTimer.singleShot(0, self._hide_unless_dragging)
        elif kind == QEvent.Type.Resize and self.isVisible():
            self.setGeometry(self.window_.rect())
        return False  # the window goes on handling its own events

    def show_for(self, count: int) -> None:
        self.set_texts(count)
        self.setGeometry(self.window_.rect())
        self.raise_()
        self.show()

    def set_texts(self, count: int) -> None:
        if self.has_documents():
            title = (
                self.tr("Drop to ask about it") if count == 1 else self.tr("Drop to ask about them")
            )
            detail = self.tr(
                "Enclave reads it on this computer and adds it to this conversation's "
                "documents; your questions are answered from all of them."
            )
        else:
            title = self.tr("Drop to summarise")
            detail = self.tr(
                "Enclave reads it on this computer and writes a summary; then ask your "
                "questions about it."
            )
        self.title.setText(title)
        self.detail.setText(detail)

    def _hide_unless_dragging(self) -> None:
        if not self._has_drag:
            self.hide()

    # -- the drag, once the overlay is up --------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self._has_drag = bool(local_files(event.mimeData()))
        if self._has_drag:
            event.acceptProposedAction()
        else:
            self.hide()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._has_drag = False
        self.hide()

    def dropEvent(self, event: QDropEvent) -> None:
        self._has_drag = False
        self.hide()
        files = local_files(event.mimeData())
        if files and hasattr(self.window_, "documents_dropped"):
            event.acceptProposedAction()
            self.window_.documents_dropped(files)
