"""The conversation: a scrolling column of message widgets, fast with long histories.

Only the last `PAGE` messages of the active path get widgets; "Show earlier messages" (or
scrolling to the top) adds the previous page. Re-showing a conversation reuses the widgets of
the unchanged prefix, so a regenerate or a streamed reply never rebuilds the whole column.
While a reply streams the view follows it, unless the user scrolled up to read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.core.store.records import MessageRecord
from app.ui.markdown_render import MarkdownRenderer
from app.ui.message_widget import MessageWidget
from app.ui.theme import code_theme, current_theme

PAGE = 24  # a screenful and more: first paint stays well under 150 ms at 2,000 messages
COLUMN_MAX_WIDTH = 860


class ChatView(QScrollArea):
    regenerateRequested = Signal(int)
    editSubmitted = Signal(int, str)
    detailsRequested = Signal(int)
    siblingRequested = Signal(int)

    def __init__(
        self,
        siblings_of: Callable[[list[int]], dict[int, list[int]]],
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("ChatScroll")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._siblings_of = siblings_of
        self._renderer_made: MarkdownRenderer | None = None  # made with the first message
        self._path: list[MessageRecord] = []
        self._shown_from = 0
        self._widgets: list[MessageWidget] = []
        self._busy = False
        self._follow = True

        canvas = QWidget()
        outer = QHBoxLayout(canvas)  # a centred column, at most COLUMN_MAX_WIDTH wide
        outer.setContentsMargins(24, 16, 24, 24)
        self.column = QWidget(canvas)
        self.column.setMaximumWidth(COLUMN_MAX_WIDTH)
        self.column.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._layout = QVBoxLayout(self.column)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(10)
        self.earlier_button = QPushButton(self.column)
        self.earlier_button.clicked.connect(self.show_earlier)
        self._layout.addWidget(self.earlier_button, 0, Qt.AlignmentFlag.AlignHCenter)
        self._layout.addStretch(1)
        outer.addStretch(1)
        outer.addWidget(self.column, 100)
        outer.addStretch(1)
        self.setWidget(canvas)
        bar = self.verticalScrollBar()
        bar.rangeChanged.connect(self._on_range_changed)
        bar.valueChanged.connect(self._on_scrolled)
        self.retranslate()

    @property
    def _renderer(self) -> MarkdownRenderer:
        if self._renderer_made is None:
            self._renderer_made = MarkdownRenderer(
                code_theme(current_theme()), copy_label=self.tr("Copy")
            )
        return self._renderer_made

    # -- content --------------------------------------------------------------------------
    @property
    def message_widgets(self) -> list[MessageWidget]:
        return list(self._widgets)

    def widget_for(self, message_id: int) -> MessageWidget | None:
        return next((w for w in self._widgets if w.record.id == message_id), None)

    def show_path(
        self, path: list[MessageRecord], siblings: Mapping[int, list[int]] | None = None
    ) -> None:
        """Show this active path, keeping the widgets of the messages that did not change;
        `siblings`: alternatives already known (not read again)."""
        old_ids = [w.record.id for w in self._widgets]
        self._path = path
        # Keep the window's start while it still points at the same message, else the last page.
        start = self._shown_from
        if not (old_ids and start < len(path) and path[start].id == old_ids[0]):
            start = max(0, len(path) - PAGE)
        visible = path[start:]
        keep = 0
        while keep < min(len(old_ids), len(visible)) and old_ids[keep] == visible[keep].id:
            keep += 1
        for w in self._widgets[keep:]:
            w.setParent(None)
            w.deleteLater()
        self._widgets = self._widgets[:keep]
        for index, record in enumerate(visible):
            if index < keep:
                if self._widgets[index].record != record:
                    self._widgets[index].set_record(record)
                continue
            self._append_widget(record)
        self._shown_from = start
        self._refresh_siblings(self._widgets[max(0, keep - 1) :], siblings or {})
        self.earlier_button.setVisible(start > 0)
        self._follow = True

    def warm_up(self) -> None:
        """Build and drop one message of each kind while the user is still reading: the first
        widgets of a process cost several times more than the next ones."""
        from datetime import UTC, datetime

        now = datetime.now(UTC)
        for role in ("user", "assistant"):
            record = MessageRecord(
                0,
                0,
                None,
                role,
                "*warm-up*",
                "complete",
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                now,
                now,
            )
            widget = MessageWidget(record, self._renderer, self.column)
            widget.ensurePolished()
            widget.deleteLater()

    def clear(self) -> None:
        self._shown_from = 0
        self.show_path([])

    def show_earlier(self) -> None:
        if self._shown_from == 0:
            return
        new_start = max(0, self._shown_from - PAGE)
        bar = self.verticalScrollBar()
        from_bottom = bar.maximum() - bar.value()
        for offset, record in enumerate(self._path[new_start : self._shown_from]):
            self._insert_widget(1 + offset, offset, record)
        self._refresh_siblings(self._widgets[: self._shown_from - new_start])
        self._shown_from = new_start
        self.earlier_button.setVisible(new_start > 0)
        self._follow = False
        QTimer.singleShot(0, lambda: bar.setValue(bar.maximum() - from_bottom))

    def _append_widget(self, record: MessageRecord) -> None:
        self._insert_widget(self._layout.count() - 1, len(self._widgets), record)

    def _insert_widget(self, layout_index: int, list_index: int, record: MessageRecord) -> None:
        w = MessageWidget(record, self._renderer, self.column)
        w.regenerateRequested.connect(self.regenerateRequested)
        w.editSubmitted.connect(self.editSubmitted)
        w.detailsRequested.connect(self.detailsRequested)
        w.siblingRequested.connect(self.siblingRequested)
        w.set_busy(self._busy)
        self._layout.insertWidget(layout_index, w)
        self._widgets.insert(list_index, w)
        self._size_bubble(w)

    def _refresh_siblings(
        self, widgets: list[MessageWidget], known: Mapping[int, list[int]] | None = None
    ) -> None:
        known = known or {}
        settled = [w for w in widgets if w.record.status != "streaming"]
        unknown = [w.record.id for w in settled if w.record.id not in known]
        family = {**(self._siblings_of(unknown) if unknown else {}), **known}
        for w in settled:
            w.set_siblings(family.get(w.record.id, [w.record.id]))

    # -- streaming ------------------------------------------------------------------------
    def update_stream(self, message_id: int, text: str) -> None:
        w = self.widget_for(message_id)
        if w is not None:
            w.set_streaming_text(text)

    def show_waiting(self, message_id: int, state: str, detail: str) -> None:
        w = self.widget_for(message_id)
        if w is not None:
            w.set_waiting(state, detail)

    def update_thought(self, message_id: int, text: str) -> None:
        w = self.widget_for(message_id)
        if w is not None:
            w.set_thought(text, streaming=True)

    def show_error(self, message_id: int, error: str) -> None:
        w = self.widget_for(message_id)
        if w is not None:
            w.set_error(error)

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        for w in self._widgets:
            w.set_busy(busy)

    def last_user_widget(self) -> MessageWidget | None:
        return next((w for w in reversed(self._widgets) if w.is_user), None)

    # -- scrolling: follow the stream unless the user scrolled up --------------------------
    def _on_scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._follow = value >= bar.maximum() - 48
        if value == bar.minimum() and self._shown_from > 0 and bar.maximum() > 0:
            self.show_earlier()

    def _on_range_changed(self, _min: int, maximum: int) -> None:
        if self._follow:
            self.verticalScrollBar().setValue(maximum)

    def scroll_to_bottom(self) -> None:
        self._follow = True
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    # -- look and language ----------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        for w in self._widgets:
            self._size_bubble(w)

    def _size_bubble(self, w: MessageWidget) -> None:
        """A user bubble is as wide as its text, up to about three quarters of the column."""
        if not w.is_user:
            return
        width = min(self.viewport().width() - 48, COLUMN_MAX_WIDTH)
        limit = max(200, int(width * 0.78))
        metrics = w.text_label.fontMetrics()
        lines = w.record.content.splitlines() or [""]
        longest = max(metrics.horizontalAdvance(line) for line in lines)
        w.bubble.setMaximumWidth(limit)
        w.text_label.setMinimumWidth(min(longest + 4, limit - 28))

    def restyle(self) -> None:
        """The theme or language changed: re-render the assistant messages."""
        self._renderer_made = None  # the next one has the new theme and language
        for w in self._widgets:
            if w.body is not None:
                w.body.set_renderer(self._renderer)

    def retranslate(self) -> None:
        self.earlier_button.setText(self.tr("Show earlier messages"))
        self.setAccessibleName(self.tr("Conversation"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
            self.restyle()
        super().changeEvent(event)
