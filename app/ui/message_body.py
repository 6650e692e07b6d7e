"""The text of one assistant message: Markdown rendered into a QTextBrowser that fits its height.

While a reply streams, renders are throttled: at most one per `MIN_INTERVAL_MS`, and never more
often than twice the time the last render took, so a long answer can't saturate the GUI thread.
Links: "copy:N" copies code block N; http(s) links open in the user's browser on click only.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication, QWheelEvent
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser, QWidget

from app.ui.markdown_render import MarkdownRenderer, Rendered

MIN_INTERVAL_MS = 40


class MessageBody(QTextBrowser):
    codeCopied = Signal(int)

    def __init__(self, renderer: MarkdownRenderer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MessageBody")
        self._renderer = renderer
        self._rendered = Rendered("")
        self._text = ""
        self._shown = None
        self._last_cost_ms = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._render_now)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.viewport().setAutoFillBackground(False)
        self.document().setDocumentMargin(2)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self.anchorClicked.connect(self._on_anchor)

    # -- content --------------------------------------------------------------------------
    @property
    def text(self) -> str:
        return self._text

    @property
    def code_blocks(self) -> list[str]:
        return self._rendered.code_blocks

    def set_markdown(self, text: str, streaming: bool = False) -> None:
        self._text = text
        if not streaming:
            self._timer.stop()
            self._render_now()
        elif not self._timer.isActive():
            self._timer.start(max(MIN_INTERVAL_MS, int(self._last_cost_ms * 2)))

    def set_renderer(self, renderer: MarkdownRenderer) -> None:
        self._renderer = renderer
        self._shown = None
        self._render_now()

    def _render_now(self) -> None:
        if self._shown == self._text:
            return
        start = time.perf_counter()
        self._rendered = self._renderer.render(self._text)
        self.setHtml(self._rendered.html)
        self._shown = self._text
        self._last_cost_ms = (time.perf_counter() - start) * 1000

    # -- sizing: as tall as the document, never its own scrollbar --------------------------
    def _fit(self, size=None) -> None:
        height = int(self.document().size().height()) + 4
        if self.height() != height:
            self.setFixedHeight(height)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.document().setTextWidth(self.viewport().width())
        self._fit()

    def sizeHint(self) -> QSize:
        return QSize(400, self.height())

    def wheelEvent(self, event: QWheelEvent) -> None:
        event.ignore()

    # -- links ----------------------------------------------------------------------------
    def _on_anchor(self, url: QUrl) -> None:
        if url.scheme() == "copy":
            index = int(url.path()) if url.path().isdigit() else -1
            if 0 <= index < len(self._rendered.code_blocks):
                QGuiApplication.clipboard().setText(self._rendered.code_blocks[index])
                self.codeCopied.emit(index)
        elif url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)
