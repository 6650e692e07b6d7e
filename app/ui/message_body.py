"""The text of one assistant message: Markdown rendered into a QTextBrowser that fits its height.

While a reply streams, rendering is incremental and throttled. The finished part of the answer
(up to the last blank line outside a code block, see `stable_prefix_end`) is rendered once and
appended to the document; only the growing tail is replaced on each update. Updates come at
most every `MIN_INTERVAL_MS`, and never more often than twice the time the last one took. So a
long answer costs the same per update as a short one, and the window never stalls.
When the answer is complete, a short one is rendered again in one piece (exact spacing); a long
one keeps its streamed document. A long message shown at once (opening a conversation) is
built the same way, `CHUNK_CHARS` at a time, one slice per event-loop turn.
Links: "copy:N" copies code block N; http(s) links open in the user's browser on click only.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QSize, QSizeF, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QDesktopServices,
    QGuiApplication,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QWheelEvent,
)
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser, QWidget

from app.ui.markdown_render import MarkdownRenderer, Rendered, stable_prefix_end

MIN_INTERVAL_MS = 40
FULL_RENDER_MAX_CHARS = 6000  # longer texts are always rendered piece by piece
CHUNK_CHARS = 1200  # at most this much new Markdown is rendered in one event-loop turn


class MessageBody(QTextBrowser):
    codeCopied = Signal(int)

    def __init__(self, renderer: MarkdownRenderer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MessageBody")
        self._renderer = renderer
        self._rendered = Rendered("")
        self._text = ""
        self._shown: str | None = None
        self._streaming = False
        self._incremental = False  # the document was built piece by piece while streaming
        self._frozen = ""  # the start of the text, rendered for good
        self._frozen_blocks: list[str] = []
        self._tail: str | None = None  # the text after it, as last rendered
        self._tail_pos = 0  # where that tail starts in the document
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
        self._streaming = streaming
        if not streaming:
            self._timer.stop()
            self._render_now()
        elif not self._timer.isActive():
            self._timer.start(max(MIN_INTERVAL_MS, int(self._last_cost_ms * 2)))

    def set_renderer(self, renderer: MarkdownRenderer) -> None:
        self._renderer = renderer
        self._shown = None
        self._incremental = False
        self._render_now()

    def _render_now(self) -> None:
        text = self._text
        start = time.perf_counter()
        if self._streaming or len(text) > FULL_RENDER_MAX_CHARS:
            if not self._render_pieces(text):
                self._timer.start(0)  # more to catch up on, in the next event-loop turn
        elif self._incremental or self._shown != text:
            self._render_full(text)
        self._last_cost_ms = (time.perf_counter() - start) * 1000

    def _render_full(self, text: str) -> None:
        self._rendered = self._renderer.render(text)
        self.setHtml(self._rendered.html)
        self._shown = text
        self._incremental = False

    def _render_pieces(self, text: str) -> bool:
        """Append what became final and replace the tail; False if there is more to do."""
        if not self._incremental or not text.startswith(self._frozen):
            self.clear()
            self._incremental, self._frozen, self._frozen_blocks = True, "", []
            self._tail_pos, self._tail = 0, None
        if self._tail is not None and self._frozen + self._tail == text:
            return True
        cursor = QTextCursor(self.document())
        cursor.setPosition(self._tail_pos)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        done = len(self._frozen)
        cut = stable_prefix_end(text)
        if cut > done:
            step = cut
            if cut - done > CHUNK_CHARS:  # a big jump (a long answer opened): in slices
                step = stable_prefix_end(text[: done + CHUNK_CHARS])
                step = step if step > done else cut
            part = self._renderer.render(text[done:step], len(self._frozen_blocks))
            self._insert(cursor, part.html)
            self._frozen_blocks += part.code_blocks
            self._frozen = text[:step]
            self._tail_pos = cursor.position()
        if len(self._frozen) < cut:
            self._tail = ""
            self._rendered = Rendered("", list(self._frozen_blocks))
            return False
        tail = self._renderer.render(text[cut:], len(self._frozen_blocks))
        self._insert(cursor, tail.html)
        self._tail = text[cut:]
        self._rendered = Rendered("", self._frozen_blocks + tail.code_blocks)
        self._shown = text
        return True

    @staticmethod
    def _insert(cursor: QTextCursor, html: str) -> None:
        if cursor.position() > 0:  # a fresh block, so lists and headings do not run on
            cursor.insertBlock(QTextBlockFormat(), QTextCharFormat())
        cursor.insertHtml(html)

    # -- sizing: as tall as the document, never its own scrollbar --------------------------
    def _fit(self, size: QSizeF | None = None) -> None:
        layout_size = size if size is not None else self.document().documentLayout().documentSize()
        height = int(layout_size.height()) + 4
        if self.height() != height:
            self.setFixedHeight(height)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)  # QTextEdit relayouts the document only if the width changed
        if event.oldSize().width() != event.size().width():
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
