"""One message in the chat: a bubble for the user, a Markdown block for the assistant.

Actions under each message: copy; for the user, edit (resend as a new branch); for the
assistant, regenerate and details. When a message has alternatives (siblings), "‹ 2/3 ›"
flips between them. The widget only emits requests; the window decides what they do.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
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

from app.core.store.records import MessageRecord
from app.ui.markdown_render import MarkdownRenderer
from app.ui.message_body import MessageBody


class MessageWidget(QFrame):
    regenerateRequested = Signal(int)
    editSubmitted = Signal(int, str)
    detailsRequested = Signal(int)
    siblingRequested = Signal(int)

    def __init__(
        self, record: MessageRecord, renderer: MarkdownRenderer, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.record = record
        self.is_user = record.role == "user"
        self._siblings: list[int] = [record.id]
        self._error = ""
        self._waiting = ("", "")  # what the reply waits for, and its detail (a model's name)
        self._build(renderer)
        self.set_record(record)
        self.retranslate()

    # -- layout ---------------------------------------------------------------------------
    def _build(self, renderer: MarkdownRenderer) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 6, 0, 6)
        outer.setSpacing(2)
        self.role_label = QLabel(objectName="RoleLabel")
        self.status_label = QLabel(objectName="StatusNote")
        self.status_label.setWordWrap(True)
        if self.is_user:
            self.bubble = QFrame(objectName="UserBubble")
            bubble_layout = QVBoxLayout(self.bubble)
            bubble_layout.setContentsMargins(14, 10, 14, 10)
            self.text_label = QLabel(objectName="UserText")
            self.text_label.setTextFormat(Qt.TextFormat.PlainText)
            self.text_label.setWordWrap(True)
            self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            bubble_layout.addWidget(self.text_label)
            self.bubble.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(self.bubble, 0)
            outer.addLayout(row)
            self.body = None
        else:
            outer.addWidget(self.role_label)
            self._build_thought(outer)
            self.wait_label = QLabel(objectName="StatusNote")  # "Loading model…", "Thinking…"
            self.wait_label.setVisible(False)
            outer.addWidget(self.wait_label)
            self.body = MessageBody(renderer, self)
            outer.addWidget(self.body)
        self.editor = None
        outer.addWidget(self.status_label)
        outer.addLayout(self._actions_row())

    def _build_thought(self, outer: QVBoxLayout) -> None:
        """The model's reasoning: a collapsed "Thought for N s" section above the answer."""
        self.thought_button = QToolButton(self, objectName="ThoughtToggle")
        self.thought_button.setCheckable(True)
        self.thought_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.thought_button.setArrowType(Qt.ArrowType.RightArrow)
        self.thought_button.setAutoRaise(True)
        self.thought_label = QLabel(objectName="ThoughtText")
        self.thought_label.setTextFormat(Qt.TextFormat.PlainText)
        self.thought_label.setWordWrap(True)
        self.thought_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.thought_button.toggled.connect(self._show_thought)
        self.thought_button.setVisible(False)
        self.thought_label.setVisible(False)
        self._thought_streaming = False
        outer.addWidget(self.thought_button, 0, Qt.AlignmentFlag.AlignLeft)
        outer.addWidget(self.thought_label)

    def _show_thought(self, shown: bool) -> None:
        self.thought_button.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )
        self.thought_label.setVisible(shown)

    def _actions_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(2)
        self.prev_button = self._tool("‹", "SiblingNav")
        self.next_button = self._tool("›", "SiblingNav")
        self.sibling_label = QLabel(objectName="MessageMeta")
        self.copy_button = self._tool("", "MessageAction")
        self.copy_button.clicked.connect(self.copy_text)
        self.edit_button = self._tool("", "MessageAction")
        self.edit_button.clicked.connect(self.start_edit)
        self.regen_button = self._tool("", "MessageAction")
        self.regen_button.clicked.connect(lambda: self.regenerateRequested.emit(self.record.id))
        self.details_button = self._tool("", "MessageAction")
        self.details_button.clicked.connect(lambda: self.detailsRequested.emit(self.record.id))
        self.prev_button.clicked.connect(lambda: self._flip(-1))
        self.next_button.clicked.connect(lambda: self._flip(+1))
        self.edit_button.setVisible(self.is_user)
        self.regen_button.setVisible(not self.is_user)
        self.details_button.setVisible(not self.is_user)
        if self.is_user:
            row.addStretch(1)
        for w in (
            self.prev_button,
            self.sibling_label,
            self.next_button,
            self.copy_button,
            self.edit_button,
            self.regen_button,
            self.details_button,
        ):
            row.addWidget(w)
        if not self.is_user:
            row.addStretch(1)
        for w in (self.prev_button, self.sibling_label, self.next_button):
            w.setVisible(False)  # shown by set_siblings once there is more than one version
        return row

    def _tool(self, text: str, name: str) -> QToolButton:
        button = QToolButton(self, objectName=name, text=text)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.setAutoRaise(True)
        return button

    # -- content --------------------------------------------------------------------------
    def set_record(self, record: MessageRecord) -> None:
        self.record = record
        if not self.is_user:  # which model wrote it, and why it failed, also after a restart
            self.role_label.setText(record.model_name or self.tr("Enclave"))
            stats = record.stats or {}
            stored_error = stats.get("error")
            if isinstance(stored_error, str) and not self._error:
                self._error = stored_error
            if record.status != "streaming":
                self.set_waiting("", "")
                reasoning = stats.get("reasoning")
                self.set_thought(reasoning if isinstance(reasoning, str) else "")
        if self.is_user:
            self.text_label.setText(record.content)
        elif record.status == "streaming" and len(self.body.text) > len(record.content):
            pass  # the stream is ahead of what was last written to disk: keep showing it
        else:
            self.body.set_markdown(record.content, streaming=record.status == "streaming")
        self._update_status()

    def set_streaming_text(self, text: str) -> None:
        if self.body is not None:
            self.set_waiting("", "")
            self._thought_streaming = False
            self._update_thought_title()
            self.body.set_markdown(text, streaming=True)

    def set_waiting(self, state: str, detail: str) -> None:
        """What the reply waits for before its first word; "" hides it."""
        if self.is_user:
            return
        self._waiting = (state, detail)
        texts = {
            "loading": self.tr("Loading model {name}…").format(name=detail),
            "reading": self.tr("Reading the document…"),
            "thinking": self.tr("Thinking…"),
        }
        text = texts.get(state, "")
        self.wait_label.setText(text)
        self.wait_label.setVisible(bool(text))

    def set_load_progress(self, fraction: float) -> None:
        """How much of the reply's model is loaded: "Loading model {name}… 42 %"."""
        state, name = self._waiting
        if self.is_user or state != "loading":
            return
        self.wait_label.setText(
            self.tr("Loading model {name}… {percent} %").format(
                name=name, percent=round(fraction * 100)
            )
        )

    def set_thought(self, text: str, streaming: bool = False) -> None:
        if self.is_user:
            return
        self._thought_streaming = streaming
        if streaming:
            self.set_waiting("", "")
        self.thought_label.setText(text)
        self.thought_button.setVisible(bool(text))
        self._update_thought_title()

    def _update_thought_title(self) -> None:
        if self.is_user:
            return
        if self._thought_streaming:
            self.thought_button.setText(self.tr("Thinking…"))
            return
        seconds = (self.record.stats or {}).get("reasoning_s")
        if isinstance(seconds, int | float):
            self.thought_button.setText(self.tr("Thought for {n} s").format(n=round(seconds)))
        else:
            self.thought_button.setText(self.tr("Thought"))

    def set_error(self, message: str) -> None:
        self._error = message
        self._update_status()

    def set_siblings(self, sibling_ids: list[int]) -> None:
        self._siblings = sibling_ids or [self.record.id]
        many = len(self._siblings) > 1
        for w in (self.prev_button, self.next_button, self.sibling_label):
            w.setVisible(many)
        if many:
            index = self._siblings.index(self.record.id) if self.record.id in self._siblings else 0
            self.sibling_label.setText(f"{index + 1}/{len(self._siblings)}")
            self.prev_button.setEnabled(index > 0)
            self.next_button.setEnabled(index < len(self._siblings) - 1)

    def set_busy(self, busy: bool) -> None:
        """While a reply streams, nothing may start another one."""
        for w in (self.regen_button, self.edit_button, self.prev_button, self.next_button):
            w.setDisabled(busy)
        if not busy:
            self.set_siblings(self._siblings)

    def text(self) -> str:
        return self.record.content if self.body is None else self.body.text

    def copy_text(self) -> None:
        QGuiApplication.clipboard().setText(self.text())

    def _flip(self, step: int) -> None:
        index = self._siblings.index(self.record.id) + step
        if 0 <= index < len(self._siblings):
            self.siblingRequested.emit(self._siblings[index])

    # -- edit in place --------------------------------------------------------------------
    def start_edit(self) -> None:
        if not self.is_user or self.editor is not None:
            return
        self.editor = QFrame(self)
        layout = QVBoxLayout(self.editor)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit_box = QPlainTextEdit(self.record.content, self.editor)
        self.edit_box.setAccessibleName(self.tr("Edit message"))
        self.edit_box.setMinimumHeight(80)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_edit_button = QPushButton(self.tr("Cancel"), self.editor)
        self.save_edit_button = QPushButton(
            self.tr("Save and send"), self.editor, objectName="PrimaryButton"
        )
        self.cancel_edit_button.clicked.connect(self.end_edit)
        self.save_edit_button.clicked.connect(self._submit_edit)
        buttons.addWidget(self.cancel_edit_button)
        buttons.addWidget(self.save_edit_button)
        layout.addWidget(self.edit_box)
        layout.addLayout(buttons)
        self.layout().insertWidget(0, self.editor)
        self.bubble.hide()
        self.edit_box.setFocus()
        self.edit_box.installEventFilter(self)

    def end_edit(self) -> None:
        if self.editor is not None:
            self.editor.deleteLater()
            self.editor = None
            self.bubble.show()

    def _submit_edit(self) -> None:
        text = self.edit_box.toPlainText().strip()
        if text:
            self.end_edit()
            self.editSubmitted.emit(self.record.id, text)

    def eventFilter(self, obj, event) -> bool:
        if self.editor is None or obj is not self.edit_box:
            return super().eventFilter(obj, event)
        if event.type() == QEvent.Type.ShortcutOverride and event.key() == Qt.Key.Key_Escape:
            event.accept()  # Esc cancels this edit, not the window's "stop" shortcut
            return True
        if event.type() == QEvent.Type.KeyPress:
            if event.key() == Qt.Key.Key_Escape:
                self.end_edit()
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
                event.modifiers() & Qt.KeyboardModifier.ShiftModifier
            ):
                self._submit_edit()
                return True
        return super().eventFilter(obj, event)

    # -- texts ----------------------------------------------------------------------------
    def _update_status(self) -> None:
        status = self.record.status
        notes = {
            "cancelled": self.tr("Stopped."),
            "partial": self.tr("Interrupted: Enclave closed before this answer was finished."),
            "failed": self.tr("This answer failed."),
        }
        note = notes.get(status, "")
        if (self.record.stats or {}).get("stop_reason") == "loop":
            note = self.tr("Stopped: the answer was repeating itself.")
        if status == "cancelled" and (self.record.stats or {}).get("stopped_while") == "loading":
            note = self.tr("Stopped while the model was loading; send again to load it.")
        if self._error:
            note = f"{note} {self._error}".strip()
        self.status_label.setObjectName("ErrorNote" if status == "failed" else "StatusNote")
        self.status_label.setText(note)
        self.status_label.setVisible(bool(note))
        self.style().unpolish(self.status_label)
        self.style().polish(self.status_label)

    def retranslate(self) -> None:
        self.role_label.setText(
            self.tr("You") if self.is_user else (self.record.model_name or self.tr("Enclave"))
        )
        self.copy_button.setText(self.tr("Copy"))
        self.copy_button.setToolTip(self.tr("Copy this message"))
        self.edit_button.setText(self.tr("Edit"))
        self.edit_button.setToolTip(self.tr("Edit and resend as a new branch (Up)"))
        self.regen_button.setText(self.tr("Regenerate"))
        self.regen_button.setToolTip(self.tr("Write another answer; this one is kept"))
        self.details_button.setText(self.tr("Details"))
        self.details_button.setToolTip(self.tr("Model, parameters, token counts and timings"))
        self.prev_button.setToolTip(self.tr("Previous version"))
        self.next_button.setToolTip(self.tr("Next version"))
        self.prev_button.setAccessibleName(self.tr("Previous version"))
        self.next_button.setAccessibleName(self.tr("Next version"))
        role = self.tr("Your message") if self.is_user else self.tr("Answer")
        self.setAccessibleName(role)
        if not self.is_user:
            self.thought_button.setToolTip(self.tr("Show or hide the model's reasoning"))
            self._update_thought_title()
        self._update_status()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
