"""Drop files (or File › Summarise…) to get a summary in a conversation, then ask about them.

Dropped files wait in a queue and are summarised one at a time as jobs on the model worker, so
the window stays responsive and a drop while busy simply waits its turn. Progress (part i of N,
time left) and Cancel live in a `DocumentsPanel` above the composer. A file dropped while a
conversation is open joins that conversation; otherwise each file gets a new one. Questions in a
conversation with documents are answered from them (with sources the panel can open).

A document is summarised by the model the conversation would answer with: on the local engine,
or, when that is a company server's model, through that server (its map-reduce sized to the
server's context); the status bar then says the text goes to that server.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit

from app.core.backends.servers import parse_model_ref
from app.core.chat import ConversationService
from app.core.chat.citations import citations_from_stats
from app.core.documents.extract import SUPPORTED_SUFFIXES, PasswordRequired
from app.core.documents.model import DocumentLimits
from app.core.documents.pipeline import SummaryOutcome, summarise_file
from app.core.documents.summarise import SummaryOptions, SummaryProgress
from app.core.types import ModelInfo
from app.ui.documents.citations import open_citation
from app.ui.documents.panel import DocumentsPanel
from app.ui.jobs import Job, JobContext
from app.ui.model_worker import ModelWorker


@dataclass(frozen=True)
class _PasswordNeeded:
    path: Path
    conversation_id: int | None
    message: str


class DropController(QObject):
    summaryStarted = Signal(str)  # the file's path
    summaryProgress = Signal(object)  # SummaryProgress
    summaryFinished = Signal(object)  # SummaryOutcome (also when cancelled: partial)
    summaryFailed = Signal(str, str)  # the file's path, a message for the user
    citationOpened = Signal(object)  # Citation

    def __init__(
        self,
        window,
        *,
        runtime,
        store,
        worker: ModelWorker,
        open_url: Callable[[object], bool] = open_citation,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.runtime = runtime
        self.store = store
        self.worker = worker
        self.open_url = open_url  # replaceable: tests record instead of launching a viewer
        self._service = ConversationService(runtime, store)  # which model a turn would use
        self._queue: deque[tuple[Path, int | None, str | None]] = deque()
        self._job: Job | None = None
        self._current: Path | None = None
        self._last_event: SummaryProgress | None = None
        self.panel = DocumentsPanel(window)
        self.panel.cancelRequested.connect(self.cancel)
        self.panel.citationActivated.connect(self._open_citation)
        self.summarise_action = QAction(self)
        self.summarise_action.triggered.connect(self.choose_files)
        self._install()
        self.retranslate()

    # -- wiring into the window (each hook is optional, so a plain host widget works too) --
    def _install(self) -> None:
        window = self.window
        if hasattr(window, "add_drop_handler"):
            window.add_drop_handler(self.enqueue)
        composer = getattr(window, "composer", None)
        layout = composer.parentWidget().layout() if composer is not None else None
        if layout is not None:
            layout.insertWidget(layout.indexOf(composer), self.panel)
        actions = getattr(window, "actions_", None)
        menu = getattr(actions, "file_menu", None)
        if menu is not None:
            existing = menu.actions()
            menu.insertAction(existing[1] if len(existing) > 1 else None, self.summarise_action)
        controller = getattr(window, "controller", None)
        if controller is not None:
            controller.replyFinished.connect(self._on_reply_finished)
            controller.conversationChanged.connect(self._show_sources_of)
            controller.turnStored.connect(lambda _id, path, _known: self._show_sources(path))
        sidebar = getattr(window, "sidebar", None)
        if sidebar is not None and hasattr(sidebar, "conversationSelected"):
            sidebar.conversationSelected.connect(self._show_sources_of)
        stack, welcome = getattr(window, "stack", None), getattr(window, "welcome", None)
        if stack is not None and welcome is not None:  # a new chat: no sources to show
            stack.currentChanged.connect(
                lambda _index: (
                    self.panel.show_citations([]) if stack.currentWidget() is welcome else None
                )
            )
        if hasattr(window, "languageChanged"):
            window.languageChanged.connect(lambda _lang: self.retranslate())

    def retranslate(self) -> None:
        self.summarise_action.setText(self.tr("Summarise a document…"))
        self.panel.retranslate()

    # -- the queue ------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._job is not None

    @property
    def queued(self) -> int:
        return len(self._queue)

    def enqueue(self, paths: list[Path]) -> None:
        """Summarise these files after any already waiting (the open conversation gets them)."""
        target = self._open_conversation()
        for path in paths:
            self._queue.append((Path(path), target, None))
        if self._last_event is not None and self.busy:
            self.panel.show_progress(self._last_event, self.queued)  # "n more queued"
        self._start_next()

    def choose_files(self) -> None:
        patterns = " ".join(f"*{suffix}" for suffix in sorted(SUPPORTED_SUFFIXES))
        files, _ = QFileDialog.getOpenFileNames(
            self.window,
            self.tr("Summarise documents"),
            str(Path.home()),
            self.tr("Documents ({patterns});;All files (*)").format(patterns=patterns),
        )
        if files:
            self.enqueue([Path(f) for f in files])

    def cancel(self) -> None:
        """Stop the document being summarised; what is done so far is kept. The queue goes on."""
        if self._job is not None:
            self._job.cancel()
            self.panel.show_cancelling()

    def _start_next(self) -> None:
        if self._job is not None or not self._queue:
            return
        path, conversation_id, password = self._queue.popleft()
        self._current = path
        settings = self.runtime.settings.current
        limits = DocumentLimits.from_settings(settings)
        store = self.store
        # The summary speaks the document's language: a French file read in an English window
        # is still summarised in French (`enclave summarize --lang` can force one).
        options = SummaryOptions(language="auto")
        server_model = self._server_model(conversation_id)
        models = self.runtime.models

        def job(ctx: JobContext) -> SummaryOutcome | _PasswordNeeded:
            backend = ctx.backend
            info = None
            if server_model is not None:  # the company server's backend, its model loaded
                choice = models.choose(server_model)
                info = models.load(ctx.backend, choice, cancel=ctx.cancel)
                ctx.progress(info)  # the window says where the text goes
                backend = models.backend_for(choice, ctx.backend)
                models.audit.record("server_used", server=choice.server, model=choice.name)
            try:
                outcome = summarise_file(
                    backend,
                    store,
                    path,
                    conversation_id=conversation_id,
                    options=options,
                    limits=limits,
                    cancel=ctx.cancel,
                    progress=ctx.progress,
                    password=password,
                )
            except PasswordRequired as exc:  # not a failure: the window asks for it
                return _PasswordNeeded(path, conversation_id, str(exc))
            if info is not None:  # questions about it go to the same server
                store.set_conversation_model(
                    outcome.conversation_id, server_model, info.name, info.sha256
                )
            return outcome

        self._job = self.worker.submit(job, kind="summary")
        self._job.progress.connect(self._on_progress)
        self._job.succeeded.connect(self._on_done)
        self._job.cancelled.connect(self._on_done)
        self._job.failed.connect(self._on_failed)
        self._last_event = SummaryProgress(path.name, "extract", 0, 1, None)
        self.panel.show_progress(self._last_event, self.queued)
        self.summaryStarted.emit(str(path))

    # -- job signals (delivered on the GUI thread) ----------------------------------------
    def _server_model(self, conversation_id: int | None) -> str | None:
        """The company server model a turn here would use (the core's rule: a locked model,
        else the model chosen in the header, else the conversation's, else the default), or
        None for a local one (summarised on whatever the local engine has loaded)."""
        controller = getattr(self.window, "controller", None)
        chosen = getattr(controller, "model_choice", None)
        conversation = (
            self.store.find_conversation(conversation_id) if conversation_id is not None else None
        )
        spec, _own = self._service.model_spec(conversation, chosen)  # the one rule
        spec = spec or self.runtime.policy.models.default or ""
        return spec if spec and parse_model_ref(spec) is not None else None

    def _on_progress(self, event: object) -> None:
        if self.sender() is not self._job:
            return
        if isinstance(event, ModelInfo):  # a company server's model: the status bar says so
            self.worker.note_loaded(event)
            return
        if not isinstance(event, SummaryProgress):
            return
        if self._job is not None and self._job.token.cancelled:
            return  # keep "Stopping…" on screen
        self._last_event = event
        self.panel.show_progress(event, self.queued)
        self.summaryProgress.emit(event)

    def _on_done(self, outcome: object) -> None:
        if self.sender() is not self._job:
            return
        name = self._current.name if self._current else ""
        self._job = self._current = None
        if isinstance(outcome, _PasswordNeeded):
            self._retry_with_password(outcome)
        elif isinstance(outcome, SummaryOutcome):
            if outcome.cancelled:
                text = self.tr("Summary of {name} cancelled; the parts done so far are kept.")
            else:
                text = self.tr("Summary of {name} is ready. Ask questions about it below.")
            self.panel.show_result(text.format(name=name))
            self._show_conversation(outcome.conversation_id)
            self.summaryFinished.emit(outcome)
        else:  # cancelled before it started
            self.panel.show_result(self.tr("Summary of {name} cancelled.").format(name=name))
        self._start_next()

    def _on_failed(self, message: str) -> None:
        if self.sender() is not self._job:
            return
        path = self._current
        self._job = self._current = None
        self.panel.show_result(message)
        self.summaryFailed.emit(str(path) if path else "", message)
        self._start_next()

    # -- encrypted PDFs -------------------------------------------------------------------
    def ask_password(self, name: str, message: str) -> str | None:
        """The password for an encrypted PDF, or None if the user cancels (replaceable)."""
        text, ok = QInputDialog.getText(
            self.window,
            self.tr("Password needed"),
            self.tr("{name} is protected by a password. Enter it to read the document:").format(
                name=name
            ),
            QLineEdit.EchoMode.Password,
        )
        return text if ok and text else None

    def _retry_with_password(self, needed: _PasswordNeeded) -> None:
        password = self.ask_password(needed.path.name, needed.message)
        if password is None:
            self.panel.show_result(needed.message)
            self.summaryFailed.emit(str(needed.path), needed.message)
            return
        self._queue.appendleft((needed.path, needed.conversation_id, password))

    # -- conversations and questions ------------------------------------------------------
    def _open_conversation(self) -> int | None:
        controller = getattr(self.window, "controller", None)
        return getattr(controller, "conversation_id", None)

    def _show_conversation(self, conversation_id: int) -> None:
        sidebar = getattr(self.window, "sidebar", None)
        if sidebar is not None:
            sidebar.refresh()
            sidebar.select(conversation_id)
        if hasattr(self.window, "show_conversation"):
            self.window.show_conversation(conversation_id)
        self._show_sources_of(conversation_id)

    def _on_reply_finished(self, message_id: int, _status: str, _stats: object) -> None:
        message = self.store.get_message(message_id)
        self.panel.show_citations(citations_from_stats(message.stats))

    def _show_sources_of(self, conversation_id: int | None) -> None:
        """The sources of the conversation's latest answer (none for other conversations)."""
        path = self.store.active_path(conversation_id) if conversation_id is not None else []
        self._show_sources(path)

    def _show_sources(self, path: list) -> None:
        """The sources of the latest answer on this active path."""
        latest = next((m for m in reversed(path) if m.role == "assistant"), None)
        self.panel.show_citations(citations_from_stats(latest.stats) if latest else [])

    def _open_citation(self, index: int) -> None:
        citations = self.panel.citations
        if 0 <= index < len(citations):
            citation = citations[index]
            if self.open_url(citation):
                self.citationOpened.emit(citation)
            else:
                text = self.tr("{name} cannot be opened; it may have been moved or deleted.")
                self.panel.show_result(text.format(name=citation.document_name))
