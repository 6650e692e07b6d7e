"""The main window: sidebar, chat, composer, status bar; wires them to the store and the model.

The window owns the store and the model worker it is given: closing it stops any answer,
joins the model thread and closes the database. Files dropped on it are announced through
`documentsDropped` (and to handlers added with `add_drop_handler`) for the document feature.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.core.default_model import DEFAULT_MODEL_SHA256
from app.core.types import ModelInfo
from app.ui import history_actions
from app.ui.actions import Actions
from app.ui.api_switch import ApiSwitch
from app.ui.chat_controller import ChatController
from app.ui.chat_view import ChatView
from app.ui.composer import Composer
from app.ui.details_dialog import DetailsDialog
from app.ui.documents.drop_overlay import DropOverlay
from app.ui.elided_label import ElidedLabel
from app.ui.first_run import WelcomePanel
from app.ui.load_progress import LoadProgress
from app.ui.model_picker import ModelPicker
from app.ui.model_worker import ModelWorker
from app.ui.presets import Preset, PresetStore
from app.ui.status_bar import StatusBar

log = logging.getLogger(__name__)
MODEL_SETTINGS = ("context_size", "threads", "gpu_layers", "model")


class MainWindow(QMainWindow):
    documentsDropped = Signal(list)  # list[Path]: local files dropped on the window
    languageChanged = Signal(str)
    themeChanged = Signal(str)

    def __init__(
        self, runtime, store, worker: ModelWorker, translations=None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.runtime = runtime
        self.store = store
        self.worker = worker
        self.translations = translations
        self.presets_store = PresetStore(runtime.paths.data_dir / "presets.json")
        self.presets: list[Preset] = self.presets_store.load(default_presets())
        self.controller = ChatController(store, worker, runtime, self)
        self.api_switch = ApiSwitch(runtime, store, worker, self)  # the settings' local API
        self._drop_handlers: list[Callable[[list[Path]], None]] = []
        self._closed = False
        self._pending_prompt: str | None = None
        self._background: list[threading.Thread] = []  # joined before the store closes
        self._first_run_saving = False
        self.setObjectName("MainWindow")
        self.setAcceptDrops(True)
        self.resize(1280, 800)
        self._build()
        self.drop_overlay = DropOverlay(self, self._has_documents)
        self.actions_ = Actions(self)
        self._connect()
        self.retranslate()
        self.sidebar.refresh()
        self.show_conversation(None)
        self.composer.edit.setFocus()  # type at once
        QTimer.singleShot(150, self.chat_view.warm_up)
        QTimer.singleShot(300, self._warm_store)
        QTimer.singleShot(0, lambda: history_actions.warn_if_unavailable(self))
        self.api_switch.apply()  # on if the user left it on (in the background)

    # -- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        from app.ui.sidebar import Sidebar

        self.sidebar = Sidebar(self.store, self)
        self.sidebar.setMinimumWidth(220)
        right = QWidget(self)
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self._header(right))
        self.stack = QStackedWidget(right)
        first_run = not self.runtime.settings.current.first_run_done
        self.welcome = WelcomePanel(first_run, self.stack)
        self.chat_view = ChatView(self._sibling_ids, self.stack)
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.chat_view)
        column.addWidget(self.stack, 1)
        self.composer = Composer(right)
        column.addWidget(self.composer)
        self.splitter = QSplitter(self)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([280, 1000])
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self.load_progress = LoadProgress(self.status)  # while a model loads: its figure, Cancel
        self.load_progress.cancelRequested.connect(self.cancel_load)
        self.status.insertPermanentWidget(1, self.load_progress)  # beside "Loading the model…"

    def _header(self, parent: QWidget) -> QFrame:
        header = QFrame(parent, objectName="ChatHeader")
        row = QHBoxLayout(header)
        row.setContentsMargins(24, 10, 16, 10)
        self.title_label = ElidedLabel(header, objectName="ChatTitle")  # a long title: "…"
        self.model_picker = ModelPicker(self.runtime, header)  # this conversation's model
        self.model_picker.modelChosen.connect(self.choose_model)
        self.preset_label = QLabel(header, objectName="MessageMeta")
        self.preset_combo = QComboBox(header)
        self.preset_combo.setMinimumWidth(180)
        self.preset_combo.activated.connect(self._on_preset_chosen)
        row.addWidget(self.title_label, 1)
        row.addWidget(self.model_picker)
        row.addWidget(self.preset_label)
        row.addWidget(self.preset_combo)
        return header

    def _connect(self) -> None:
        a, c = self.actions_, self.controller
        a.new_chat.triggered.connect(self.new_chat)
        a.search.triggered.connect(self.sidebar.focus_search)
        a.settings.triggered.connect(self.open_settings)
        a.stop.triggered.connect(self.stop)
        a.import_json.triggered.connect(self.import_conversation)
        for fmt, action in a.export.items():
            action.triggered.connect(lambda _=False, f=fmt: self.export_current(f))
        a.rename.triggered.connect(
            lambda: self.sidebar.ask_rename(c.conversation_id) if c.conversation_id else None
        )
        a.delete.triggered.connect(self.sidebar.delete_current)
        a.delete_all.triggered.connect(lambda: history_actions.ask_delete_all(self))
        a.quit.triggered.connect(self.close)
        a.model_manager.triggered.connect(self.open_model_manager)
        a.about.triggered.connect(self.show_about)
        self.sidebar.conversationSelected.connect(self.show_conversation)
        self.sidebar.newChatRequested.connect(self.new_chat)
        self.sidebar.exportRequested.connect(self._export)
        self.composer.sendRequested.connect(self.send)
        self.composer.stopRequested.connect(c.stop)
        self.composer.editLastRequested.connect(self.edit_last)
        self.composer.filesAttached.connect(self.documents_dropped)  # as if dropped
        self.chat_view.regenerateRequested.connect(c.regenerate)
        self.chat_view.editSubmitted.connect(c.edit)
        self.chat_view.siblingRequested.connect(c.show_sibling)
        self.chat_view.detailsRequested.connect(self.show_details)
        self.welcome.suggestionChosen.connect(self.composer.set_text)
        self.welcome.modelManagerRequested.connect(self.open_model_manager)
        self.welcome.dismissed.connect(self._first_run_done)
        c.conversationChanged.connect(self._on_conversation_changed)
        c.turnStored.connect(self._on_conversation_changed)
        c.conversationsChanged.connect(self.sidebar.schedule_refresh)
        c.replyUpdated.connect(self.chat_view.update_stream)
        c.replyFailed.connect(self.chat_view.show_error)
        c.replyWaiting.connect(self.chat_view.show_waiting)
        c.replyLoading.connect(self._show_reply_load)
        c.thoughtUpdated.connect(self.chat_view.update_thought)
        c.refused.connect(self._on_refused)
        c.replyFinished.connect(lambda _id, _status, stats: self.status.set_stats(stats))
        c.busyChanged.connect(self._on_busy)
        self.worker.modelLoading.connect(self.status.set_loading)
        self.worker.modelLoaded.connect(self._on_model_loaded)
        self.worker.modelFailed.connect(self.status.set_failed)
        self.worker.modelLoading.connect(self.load_progress.start)
        self.worker.modelProgress.connect(self.load_progress.set_fraction)
        self.worker.modelFailed.connect(self.load_progress.finish)
        self.worker.modelUnloaded.connect(self._on_model_unloaded)

    def _warm_store(self) -> None:
        """The statements of a turn compiled while the user types, so the first question is
        stored as fast as the next (see Store.warm_up); a failure only loses the head start."""
        self._in_background("the history's warm-up", self.store.warm_up, logging.DEBUG)

    def _in_background(
        self, what: str, work: Callable[[], object], level: int = logging.WARNING
    ) -> None:
        """Short file work off the GUI thread (it may wait on a lock or fsync)."""
        if self._closed:
            return

        def run() -> None:
            try:
                work()
            except Exception:
                log.log(level, "%s failed", what, exc_info=True)

        thread = threading.Thread(target=run, name="enclave-background")
        self._background = [t for t in self._background if t.is_alive()] + [thread]
        thread.start()

    # -- model ----------------------------------------------------------------------------
    def load_model(self) -> None:
        """Start loading the chosen model in the background; the window stays usable."""
        if self._closed:
            return
        self.worker.load_model(None)  # settings + the model's own, applied on the worker

    def stop(self) -> None:
        """Esc: stop the answer, or the load under way (cancel_load tells the two apart)."""
        if self.load_progress.isHidden():
            self.controller.stop()
        else:
            self.cancel_load()

    def cancel_load(self) -> None:
        """Cancel beside the load figure: stop the load under way (a reply's, or a switch's)
        promptly; the worker then says what is loaded."""
        self.load_progress.cancelling()
        if self.controller.busy:
            self.controller.stop()
        else:  # a switch from the header: the conversation keeps its own model
            self.controller.model_choice = None
        for job in self.worker.pending("load"):
            job.cancel()

    def _show_reply_load(self, message_id: int, fraction: float) -> None:
        widget = self.chat_view.widget_for(message_id)
        if widget is not None:
            widget.set_load_progress(fraction)

    def _on_model_unloaded(self) -> None:
        self.load_progress.finish()
        self.status.set_failed(self.tr("loading was stopped; your next message loads it."))
        self._update_header()

    def _on_model_loaded(self, info: ModelInfo) -> None:
        self.load_progress.finish()
        self.status.set_model(info)
        self.composer.set_server(info.metadata.get("server") or None)
        self.welcome.set_demo_model(info.sha256 == DEFAULT_MODEL_SHA256)
        self._update_header()

    def _on_refused(self, message: str) -> None:
        QMessageBox.warning(self, self.tr("Enclave"), message)

    # -- conversations --------------------------------------------------------------------
    def new_chat(self) -> None:
        self.sidebar.select(None)
        self.show_conversation(None)
        self.composer.edit.setFocus()

    def show_conversation(self, conversation_id: int | None) -> None:
        self.controller.open(conversation_id)
        if conversation_id is None:
            self.chat_view.clear()
            self.stack.setCurrentWidget(self.welcome)
            self._pending_prompt = None
        else:
            self.chat_view.show_path(self.store.active_path(conversation_id))
            self.stack.setCurrentWidget(self.chat_view)
            self.chat_view.scroll_to_bottom()
            self._load_model_of(conversation_id)
            self.controller.make_ready()
        self._update_header()

    def _load_model_of(self, conversation_id: int) -> None:
        """A conversation answers with its own model: load it in the background when another
        one is loaded (a model gone or refused is a clear message in the status bar)."""
        conv = self.store.find_conversation(conversation_id)
        loaded = self.worker.model_info
        if conv is None or not conv.model or self.controller.busy:
            return
        if loaded is not None and loaded.sha256 == conv.model_sha256:
            return
        self.worker.load_model(conv.model, conversation_model=conv.model_name or conv.model)

    def _on_conversation_changed(
        self, conversation_id: int, path: list | None = None, siblings: dict | None = None
    ) -> None:
        """Show the conversation's active path (`path`: already read, with the `siblings`
        known; a turn just stored gives both)."""
        if conversation_id != self.controller.conversation_id:
            return
        self.sidebar.select(conversation_id)
        shown = path if path else self.store.active_path(conversation_id)
        self.chat_view.show_path(shown, siblings)
        self.stack.setCurrentWidget(self.chat_view)
        self._update_header()

    def send(self, text: str) -> None:
        prompt = self._pending_prompt
        if not self.controller.send(text, system_prompt=prompt):
            self.composer.set_text(text)  # keep what the user typed
            return
        self._pending_prompt = None
        self._first_run_done()

    def edit_last(self) -> None:
        widget = self.chat_view.last_user_widget()
        if widget is not None and not self.controller.busy:
            widget.start_edit()

    def _sibling_ids(self, message_ids: list[int]) -> dict[int, list[int]]:
        return self.store.sibling_ids(message_ids)

    def _on_busy(self, busy: bool) -> None:
        self.composer.set_busy(busy)
        self.chat_view.set_busy(busy)

    def show_details(self, message_id: int) -> None:
        DetailsDialog(self.store.get_message(message_id), self).exec()

    # -- header: title and the conversation's system prompt -------------------------------
    def _update_header(self) -> None:
        conv_id = self.controller.conversation_id
        conv = self.store.find_conversation(conv_id) if conv_id is not None else None
        self.title_label.setText(conv.title if conv and conv.title else self.tr("New chat"))
        loaded = self.worker.model_info
        if conv is not None and conv.model:
            self.model_picker.refresh(conv.model_sha256, conv.model_name or "", conv.model)
        elif loaded is not None:
            self.model_picker.refresh(loaded.sha256, loaded.name)
        else:
            self.model_picker.refresh(None)
        prompt = (
            conv.system_prompt
            if conv
            else (
                self._pending_prompt
                if self._pending_prompt is not None
                else self.runtime.settings.current.system_prompt
            )
        )
        self.preset_combo.clear()
        self.preset_combo.addItem(self.tr("No system prompt"), "")
        for preset in self.presets:
            self.preset_combo.addItem(preset.name, preset.prompt)
        index = self.preset_combo.findData(prompt)
        if index < 0:
            self.preset_combo.addItem(self.tr("Custom"), prompt)
            index = self.preset_combo.count() - 1
        self.preset_combo.setCurrentIndex(index)
        locked = self.runtime.policy.is_locked("system_prompt")
        self.preset_combo.setEnabled(not locked)
        self.preset_combo.setToolTip(
            self.tr("Locked by your administrator's policy.")
            if locked
            else self.tr("The system prompt of this conversation")
        )

    def _on_preset_chosen(self, index: int) -> None:
        prompt = self.preset_combo.itemData(index) or ""
        conv_id = self.controller.conversation_id
        if conv_id is None:
            self._pending_prompt = prompt
        else:
            self.store.set_system_prompt(conv_id, prompt)

    # -- dialogs --------------------------------------------------------------------------
    def open_settings(self) -> None:
        from app.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.runtime, self.presets, self)
        dialog.settingsApplied.connect(self.apply_settings)
        if dialog.exec():
            self.presets = dialog.presets()
            self.presets_store.save(self.presets)
            self._update_header()

    def apply_settings(self, changes: dict) -> None:
        from PySide6.QtWidgets import QApplication

        from app.ui.theme import apply_theme

        if "theme" in changes:
            apply_theme(QApplication.instance(), changes["theme"])
            self.chat_view.restyle()
            self.themeChanged.emit(changes["theme"])
        if "language" in changes and self.translations is not None:
            self.translations.apply(changes["language"])
            self.languageChanged.emit(changes["language"])
        if any(name in changes for name in MODEL_SETTINGS):
            self.load_model()
        if "history_encrypted" in changes:
            history_actions.apply_encryption_change(self, changes["history_encrypted"])
        if "api_enabled" in changes or "api_port" in changes:
            self.api_switch.apply()

    def open_model_manager(self) -> None:
        try:
            from app.ui.models import ModelManagerDialog
        except ImportError:
            QMessageBox.information(
                self,
                self.tr("Models"),
                self.tr("The model manager is not available in this version."),
            )
            return
        dialog = ModelManagerDialog(self.runtime, self.worker, self)
        dialog.modelChosen.connect(self.use_model)
        dialog.exec()

    def choose_model(self, spec: str) -> None:
        """The header's model choice: the open conversation (or the next new chat) answers with
        it; it loads now, in the background."""
        self.controller.choose_model(spec)
        self.worker.load_model(spec)

    def use_model(self, path: str) -> None:
        """The model manager chose a model: the open conversation switches to it (it remembers
        it once loaded), and it becomes the model of new chats; it loads after the current
        answer."""
        if self.runtime.policy.is_locked("model"):
            QMessageBox.information(
                self,
                self.tr("Models"),
                self.tr("Your administrator has chosen the model; it cannot be changed here."),
            )
            return
        self.runtime.settings.update(model=path)
        if self.controller.conversation_id is not None:
            self.controller.choose_model(path)
        self.worker.load_model(path)

    def export_current(self, fmt: str) -> None:
        if self.controller.conversation_id is None:
            QMessageBox.information(
                self, self.tr("Export"), self.tr("Open a conversation to export it.")
            )
            return
        self._export(self.controller.conversation_id, fmt)

    def _export(self, conversation_id: int, fmt: str | None = None) -> None:
        from app.ui import export_actions  # the exporters: not needed to show the window

        export_actions.ask_export(self, self.store, conversation_id, fmt)

    def import_conversation(self) -> None:
        from app.ui import export_actions

        conv = export_actions.ask_import(self, self.store)
        if conv is not None:
            self.sidebar.refresh()
            self.sidebar.select(conv.id)
            self.show_conversation(conv.id)

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            self.tr("About Enclave"),
            self.tr(
                "<b>Enclave {version}</b><br>A private assistant: the language model runs on this "
                "computer and your conversations stay here."
            ).format(version=__version__),
        )

    def _first_run_done(self) -> None:
        """The welcome leaves its first-run page now; the setting is saved in the background
        (a file written with fsync, and its audit record: not on the way of the question)."""
        if self._first_run_saving or self.runtime.settings.current.first_run_done:
            return
        self._first_run_saving = True
        self.welcome.set_first_run(False)
        self._in_background(
            "saving the first run", lambda: self.runtime.settings.update(first_run_done=True)
        )

    # -- drop files (the documents feature connects here) --------------------------------
    def add_drop_handler(self, handler: Callable[[list[Path]], None]) -> None:
        self._drop_handlers.append(handler)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.documents_dropped(paths)

    def _has_documents(self) -> bool:
        conv_id = self.controller.conversation_id
        return conv_id is not None and bool(self.store.documents(conv_id))

    def documents_dropped(self, paths: list[Path]) -> None:
        self.documentsDropped.emit(paths)
        for handler in self._drop_handlers:
            handler(paths)

    # -- window ---------------------------------------------------------------------------
    def bring_to_front(self) -> None:
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.show()
        self.raise_()
        self.activateWindow()

    def retranslate(self) -> None:
        self.setWindowTitle("Enclave")
        self.preset_label.setText(self.tr("System prompt:"))
        self.preset_combo.setAccessibleName(self.tr("System prompt"))
        self.sidebar.setAccessibleName(self.tr("Conversations"))
        self._update_header()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.actions_.retranslate()
            self.retranslate()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop any answer, join the model thread, close the database. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self.controller.blockSignals(True)  # late job results must not touch a closed store
        self.controller.stop()
        self.api_switch.shutdown()  # its requests are cancelled before the model thread ends
        self.worker.shutdown()
        self.sidebar.finalize_pending()  # a deletion still offering Undo becomes final
        for thread in self._background:
            thread.join()  # milliseconds: it may use the store
        self.store.close()


def default_presets() -> list[Preset]:
    """The presets a new user starts with, in their language."""
    from PySide6.QtCore import QCoreApplication

    pairs = [
        (
            QCoreApplication.translate("Presets", "Helpful assistant"),
            QCoreApplication.translate(
                "Presets",
                "You are a helpful, honest assistant. Answer clearly and say when you are unsure.",
            ),
        ),
        (
            QCoreApplication.translate("Presets", "Concise"),
            QCoreApplication.translate(
                "Presets", "Answer in as few words as possible, without preamble."
            ),
        ),
        (
            QCoreApplication.translate("Presets", "Code reviewer"),
            QCoreApplication.translate(
                "Presets",
                "You review code. Point out bugs, risks and simpler alternatives, with examples.",
            ),
        ),
        (
            QCoreApplication.translate("Presets", "Translator (French ⇄ English)"),
            QCoreApplication.translate(
                "Presets",
                "Translate what the user writes between French and English, keeping the tone.",
            ),
        ),
    ]
    return [Preset(name, prompt) for name, prompt in pairs]
