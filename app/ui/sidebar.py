"""The list of conversations: new, search, rename, pin, delete with undo, grouped by date.

Search is live: typing filters the list (debounced) through the store's full-text index over
every message, and shows the matching line under each title. Deleting hides the conversation
at once with an "Undo" bar for UNDO_SECONDS (10 s), so a slip of the finger loses nothing; when
the time is over, another conversation is deleted, or the window closes, the deletion becomes
final and the store erases it for good (rows, full-text entries, WAL copies).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import EnclaveError
from app.core.store.erase import UNDO_SECONDS
from app.core.store.records import ConversationRecord
from app.ui.date_groups import Group, group_of

log = logging.getLogger(__name__)
SEARCH_DEBOUNCE_MS = 200
UNDO_MS = UNDO_SECONDS * 1000
ID_ROLE = Qt.ItemDataRole.UserRole


class Sidebar(QFrame):
    conversationSelected = Signal(object)  # an id, or None for a new chat
    newChatRequested = Signal()
    exportRequested = Signal(int)

    def __init__(self, store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Sidebar")
        self.store = store
        self.current_id: int | None = None
        self._deleted_id: int | None = None
        self._deleted_at: datetime | None = None
        self._eraser: threading.Thread | None = None  # erasing a deletion whose Undo is over
        self._filling = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 12, 10, 8)
        layout.setSpacing(8)
        self.brand = QLabel("Enclave", self, objectName="SidebarBrand")
        self.new_button = QPushButton(self, objectName="NewChatButton")
        self.new_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.new_button.clicked.connect(self.newChatRequested)
        self.search = QLineEdit(self, objectName="SearchBox")
        self.search.setClearButtonEnabled(True)
        self._soon = QTimer(self, singleShot=True, interval=0)  # coalesces refresh requests
        self._soon.timeout.connect(self.refresh)
        self._debounce = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.list = QListWidget(self)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.list.currentItemChanged.connect(self._on_current)
        self.list.setUniformItemSizes(False)
        self.list.setWordWrap(True)
        # Long titles wrap or elide inside the sidebar; it never scrolls sideways.
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.empty_label = QLabel(self, objectName="WelcomeMuted")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.brand)
        layout.addWidget(self.new_button)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty_label, 1, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self._undo_bar())
        self.retranslate()

    def _undo_bar(self) -> QFrame:
        self.undo_bar = QFrame(self, objectName="UndoBar")
        row = QHBoxLayout(self.undo_bar)
        row.setContentsMargins(8, 6, 8, 6)
        self.undo_label = QLabel(self.undo_bar)
        self.undo_button = QPushButton(self.undo_bar)
        self.undo_button.clicked.connect(self.undo_delete)
        row.addWidget(self.undo_label, 1)
        row.addWidget(self.undo_button)
        self.undo_bar.hide()
        self.undo_timer = QTimer(self, singleShot=True, interval=UNDO_MS)
        self.undo_timer.timeout.connect(self._undo_time_over)
        return self.undo_bar

    # -- listing --------------------------------------------------------------------------
    def schedule_refresh(self) -> None:
        """Refresh once control returns to the event loop (several changes, one refresh)."""
        self._soon.start()

    def refresh(self) -> None:
        """Re-read the list (filtered by the search text) and keep the selection."""
        self._soon.stop()
        if self.store.closed:  # a closed window still gets language changes
            return
        query = self.search.text().strip()
        conversations = self.store.list_conversations(query=query or None)
        snippets = self._snippets(query) if query else {}
        self._filling = True
        try:
            self.list.clear()
            last_group: Group | None = None
            for conv in conversations:
                group = group_of(conv.pinned, conv.updated_at)
                if group != last_group and not query:
                    self._add_header(group)
                    last_group = group
                self._add_item(conv, snippets.get(conv.id))
        finally:
            self._filling = False
        self._select(self.current_id)
        self.empty_label.setText(
            self.tr("No conversation matches “{query}”.").format(query=query)
            if query
            else self.tr("Your conversations will appear here.")
        )
        self.empty_label.setVisible(not conversations)
        self.list.setVisible(bool(conversations))

    def _snippets(self, query: str) -> dict[int, str]:
        found: dict[int, str] = {}
        try:
            hits = self.store.search(query, limit=100)
        except EnclaveError:  # a half-typed query may not parse; the list still filters
            return found
        for hit in hits:
            found.setdefault(hit.conversation_id, hit.snippet_text)
        return found

    def _add_header(self, group: Group) -> None:
        item = QListWidgetItem(self._group_name(group))
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 0.85)
        font.setBold(True)
        item.setFont(font)
        item.setData(ID_ROLE, None)
        self.list.addItem(item)

    def _add_item(self, conv: ConversationRecord, snippet: str | None) -> None:
        title = conv.title or self.tr("New conversation")
        text = title  # pinned ones sit under the "Pinned" heading
        if snippet:
            text += "\n" + " ".join(snippet.split())[:90]
        item = QListWidgetItem(text)
        item.setData(ID_ROLE, conv.id)
        item.setToolTip(title)
        self.list.addItem(item)

    def _group_name(self, group: Group) -> str:
        return {
            Group.PINNED: self.tr("Pinned"),
            Group.TODAY: self.tr("Today"),
            Group.YESTERDAY: self.tr("Yesterday"),
            Group.WEEK: self.tr("Previous 7 days"),
            Group.OLDER: self.tr("Older"),
        }[group]

    def visible_ids(self) -> list[int]:
        items = (self.list.item(i) for i in range(self.list.count()))
        return [i.data(ID_ROLE) for i in items if i.data(ID_ROLE) is not None]

    # -- selection ------------------------------------------------------------------------
    def select(self, conversation_id: int | None) -> None:
        self.current_id = conversation_id
        self._select(conversation_id)

    def _select(self, conversation_id: int | None) -> None:
        self._filling = True
        try:
            self.list.setCurrentItem(None)
            for i in range(self.list.count() if conversation_id is not None else 0):
                if self.list.item(i).data(ID_ROLE) == conversation_id:
                    self.list.setCurrentRow(i)
                    break
        finally:
            self._filling = False

    def _on_current(self, item: QListWidgetItem | None, _previous) -> None:
        if self._filling or item is None or item.data(ID_ROLE) is None:
            return
        self.current_id = item.data(ID_ROLE)
        self.conversationSelected.emit(self.current_id)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    # -- actions --------------------------------------------------------------------------
    def _menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        conv_id = item.data(ID_ROLE) if item else None
        if conv_id is None:
            return
        conv = self.store.get_conversation(conv_id)
        menu = QMenu(self)
        rename = QAction(self.tr("Rename…"), menu)
        rename.triggered.connect(lambda: self.ask_rename(conv_id))
        pin = QAction(self.tr("Unpin") if conv.pinned else self.tr("Pin"), menu)
        pin.triggered.connect(lambda: self.set_pinned(conv_id, not conv.pinned))
        export = QAction(self.tr("Export…"), menu)
        export.triggered.connect(lambda: self.exportRequested.emit(conv_id))
        delete = QAction(self.tr("Delete"), menu)
        delete.triggered.connect(lambda: self.delete(conv_id))
        for action in (rename, pin, export):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(delete)
        menu.exec(self.list.viewport().mapToGlobal(pos))

    def ask_rename(self, conversation_id: int) -> None:
        conv = self.store.get_conversation(conversation_id)
        title, ok = QInputDialog.getText(
            self, self.tr("Rename conversation"), self.tr("Title:"), text=conv.title
        )
        if ok and title.strip():
            self.rename(conversation_id, title.strip())

    def rename(self, conversation_id: int, title: str) -> None:
        self.store.rename_conversation(conversation_id, title)
        self.refresh()

    def set_pinned(self, conversation_id: int, pinned: bool) -> None:
        self.store.set_pinned(conversation_id, pinned)
        self.refresh()

    def delete(self, conversation_id: int) -> None:
        """Hide now, with an Undo bar for UNDO_SECONDS; then erased for good."""
        conv = self.store.get_conversation(conversation_id)
        self._undo_time_over()  # one Undo at a time: the previous deletion becomes final
        self._deleted_at = self.store.delete_conversation(conversation_id).deleted_at
        self._deleted_id = conversation_id
        self.undo_label.setText(
            self.tr("Deleted “{title}”.").format(
                title=_short(conv.title or self.tr("New conversation"))
            )
        )
        self.undo_bar.show()
        self.undo_timer.start()
        if self.current_id == conversation_id:
            self.current_id = None
            self.conversationSelected.emit(None)
        self.refresh()

    def undo_delete(self) -> None:
        if self._deleted_id is None:
            return
        self.undo_timer.stop()
        self.store.restore_conversation(self._deleted_id)
        restored, self._deleted_id = self._deleted_id, None
        self.undo_bar.hide()
        self.refresh()
        self.select(restored)
        self.conversationSelected.emit(restored)

    def _undo_time_over(self) -> None:
        """Erase off the GUI thread: taking a long conversation's words out of the index can
        take a second. No widget is touched there; a failure waits for the next start."""
        self.undo_timer.stop()
        self.undo_bar.hide()
        if self._deleted_id is None:
            return
        self._deleted_id = None
        self._join_eraser()
        # Only deletions up to this one: one made meanwhile keeps its own Undo.
        cutoff = self._deleted_at
        self._eraser = threading.Thread(
            target=self._erase, args=(cutoff,), name="enclave-erase", daemon=False
        )
        self._eraser.start()

    def finalize_pending(self) -> None:
        """Make a deletion still offering Undo final now (the window closes, "Delete all
        history"): erased before this returns."""
        self.undo_timer.stop()
        self.undo_bar.hide()
        self._join_eraser()
        if self._deleted_id is None:
            return
        self._deleted_id = None
        self._erase(None)

    def _erase(self, cutoff: datetime | None) -> None:
        try:
            self.store.purge_deleted(cutoff)
        except EnclaveError as exc:  # it stays hidden; the next start erases it
            log.warning("the deleted conversation will be erased at the next start: %s", exc)

    def _join_eraser(self) -> None:
        if self._eraser is not None:
            self._eraser.join()
            self._eraser = None

    @property
    def erasing(self) -> bool:
        return self._eraser is not None and self._eraser.is_alive()

    @property
    def undo_pending(self) -> bool:
        return self._deleted_id is not None

    def delete_current(self) -> None:
        if self.current_id is not None:
            self.delete(self.current_id)

    # -- texts ----------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.new_button.setText(self.tr("+  New chat"))
        self.new_button.setToolTip(self.tr("Start a new conversation (Ctrl+N)"))
        self.search.setPlaceholderText(self.tr("Search all conversations"))
        self.search.setAccessibleName(self.tr("Search conversations"))
        self.search.setToolTip(self.tr("Search every message (Ctrl+K)"))
        self.list.setAccessibleName(self.tr("Conversations"))
        self.list.setAccessibleDescription(
            self.tr("Right-click a conversation to rename, pin, export or delete it")
        )
        self.undo_button.setText(self.tr("Undo"))
        self.refresh()  # group headers and placeholder titles are translated too

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
