"""Sends prompts, starts replies, and tells the view what changed.

A thin adapter over the core's `ConversationService`: on the GUI thread it prepares a turn (the
policy gate, the question and an empty reply in the store: fast, no model), then runs it as a job
on the `ModelWorker`, which chooses and loads the conversation's model and streams the reply into
the store. Pieces arrive through the job's `progress` signal, in batches (see `chat_jobs`).
Regenerate and edit add siblings, so earlier versions stay.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.chat import ConversationService, Turn, TurnEvent, TurnResult
from app.core.errors import EnclaveError
from app.core.types import GenerationStats, ModelInfo, Thought
from app.ui.chat_jobs import turn_job, warm_job
from app.ui.jobs import Job
from app.ui.model_worker import ModelWorker


class ChatController(QObject):
    conversationChanged = Signal(int)  # this conversation's active path changed
    # A turn was stored: conversation id, its active path (ending with the question and the
    # empty reply, so it is shown without reading it again), the alternatives already known.
    turnStored = Signal(int, object, object)
    conversationsChanged = Signal()  # titles or order in the sidebar changed
    replyStarted = Signal(int, int)  # conversation id, assistant message id
    replyUpdated = Signal(int, str)  # message id, the full text so far
    replyFinished = Signal(int, str, object)  # message id, status, GenerationStats or None
    replyFailed = Signal(int, str)  # message id, a message for the user
    replyWaiting = Signal(int, str, str)  # message id, "loading" | "reading" | "thinking", detail
    replyLoading = Signal(int, float)  # message id, how much of its model is loaded (0..1)
    thoughtUpdated = Signal(int, str)  # message id, the model's reasoning so far
    refused = Signal(str)  # a turn could not start (a locked setting, a deleted conversation)
    busyChanged = Signal(bool)

    def __init__(self, store, worker: ModelWorker, runtime, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.worker = worker
        self.runtime = runtime
        self.service = ConversationService(runtime, store)
        self.conversation_id: int | None = None
        self.model_choice: str | None = None  # the model the user picked for the next turn
        self._job: Job | None = None
        self._message_id: int | None = None
        self._reply_conversation: int | None = None
        self._starting = False
        self._text: list[str] = []
        self._thought: list[str] = []

    # -- state ----------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._job is not None or self._starting

    @property
    def streaming_message_id(self) -> int | None:
        return self._message_id

    def open(self, conversation_id: int | None) -> None:
        self.conversation_id = conversation_id
        self.model_choice = None

    def make_ready(self) -> None:
        """The conversation on screen, made ready for its next message on the model thread
        (app.core.chat.warm: after a restart, its saved state is taken while the user reads);
        queued behind a load of its model, if one was just asked."""
        if self.conversation_id is not None and not self.busy:
            self.worker.submit(warm_job(self.service, self.conversation_id), kind="warm")

    def choose_model(self, spec: str) -> None:
        """The user picked a model for this conversation: its next reply uses it (and the
        conversation remembers it once it has loaded)."""
        self.model_choice = spec

    # -- user actions ---------------------------------------------------------------------
    def send(self, text: str, system_prompt: str | None = None) -> bool:
        """Add the user's message under the current leaf and start the reply."""
        if not text.strip() or self.busy:
            return False
        return self._start(
            lambda: self.service.prepare(
                text,
                self.conversation_id,
                model=self.model_choice,
                system_prompt=system_prompt,
                via="the window",
            ),
            asked_alone=True,  # it follows the active leaf: no alternatives yet
        )

    def regenerate(self, assistant_message_id: int) -> bool:
        """A new answer to the same question; the old one stays as a sibling."""
        if self.busy:
            return False
        return self._start(
            lambda: self.service.prepare_regenerate(
                assistant_message_id, model=self.model_choice, via="the window"
            )
        )

    def edit(self, user_message_id: int, new_text: str) -> bool:
        """Resend an edited question as a new branch; the original branch is kept."""
        if not new_text.strip() or self.busy:
            return False
        return self._start(
            lambda: self.service.prepare_edit(
                user_message_id, new_text, model=self.model_choice, via="the window"
            )
        )

    def show_sibling(self, message_id: int) -> None:
        """Make another version (and its latest continuation) the active path."""
        self.store.set_active_leaf(self.conversation_id, message_id)
        self.conversationChanged.emit(self.conversation_id)

    def stop(self) -> None:
        if self._starting:
            self._starting = False
            self.busyChanged.emit(False)
        if self._job is not None:
            self._job.cancel()

    # -- the reply ------------------------------------------------------------------------
    def _start(self, prepare, asked_alone: bool = False) -> bool:
        """Prepare the turn now (the question shows at once), start the model in the next turn
        of the event loop."""
        try:
            turn: Turn = prepare()
        except EnclaveError as exc:
            self.refused.emit(str(exc))
            return False
        self.conversation_id = turn.conversation_id
        self.model_choice = None
        self._starting = True
        self.busyChanged.emit(True)
        self.conversationsChanged.emit()
        known = {turn.question_id: [turn.question_id]} if asked_alone else {}
        self.turnStored.emit(turn.conversation_id, list(turn.path), known)
        QTimer.singleShot(0, self, lambda: self._run(turn))
        return True

    def _run(self, turn: Turn) -> None:
        if not self._starting:  # stopped (or the window closed) before the reply began
            self.service.store.update_message(turn.reply_id, status="cancelled")
            self.conversationChanged.emit(turn.conversation_id)
            return
        self._starting = False
        self._message_id = turn.reply_id
        self._reply_conversation = turn.conversation_id
        self._text = []
        self._thought = []
        self._job = self.worker.submit(turn_job(self.service, turn), kind="chat")
        self._job.progress.connect(self._on_piece)
        self._job.succeeded.connect(self._on_succeeded)
        self._job.cancelled.connect(self._on_cancelled)
        self._job.failed.connect(self._on_failed)
        self.replyStarted.emit(turn.conversation_id, turn.reply_id)

    def _on_piece(self, piece: object) -> None:
        if self.sender() is not self._job:
            return
        if isinstance(piece, ModelInfo):
            self.worker.note_loaded(piece)
        elif isinstance(piece, TurnEvent) and piece.fraction is not None:
            self.worker.modelProgress.emit(piece.fraction)  # the header shows it too
            self.replyLoading.emit(self._message_id, piece.fraction)
        elif isinstance(piece, TurnEvent):
            if piece.state == "loading":
                self.worker.modelLoading.emit()
            self.replyWaiting.emit(self._message_id, piece.state, piece.detail)
        elif isinstance(piece, Thought):
            self._thought.append(piece)
            self.thoughtUpdated.emit(self._message_id, "".join(self._thought))
        elif isinstance(piece, str):
            self._text.append(piece)
            self.replyUpdated.emit(self._message_id, "".join(self._text))

    def _on_succeeded(self, result: object) -> None:
        if self.sender() is self._job and isinstance(result, TurnResult):
            self._close(result.status, _stats(result))

    def _on_cancelled(self, result: object) -> None:
        if self.sender() is not self._job:
            return
        if isinstance(result, TurnResult) and result.stats.get("stopped_while") == "loading":
            self.worker.note_stopped(result.model)  # the old model, or none any more
        self._close("cancelled", _stats(result) if isinstance(result, TurnResult) else None)

    def _on_failed(self, error: str) -> None:
        if self.sender() is not self._job:
            return
        message_id = self._message_id
        self._close("failed", None)
        if message_id is not None:
            self.replyFailed.emit(message_id, error)

    def _close(self, status: str, stats: GenerationStats | None) -> None:
        message_id = self._message_id
        self._job = self._message_id = None
        self.busyChanged.emit(False)
        if message_id is not None:
            self.replyFinished.emit(message_id, status, stats)
        if self._reply_conversation is not None:
            self.conversationChanged.emit(self._reply_conversation)
        self.conversationsChanged.emit()


def _stats(result: TurnResult) -> GenerationStats | None:
    known = set(GenerationStats.__dataclass_fields__)
    values = {k: v for k, v in result.stats.items() if k in known}
    return GenerationStats(**values) if "prompt_tokens" in values else None
