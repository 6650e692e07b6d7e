"""Sends prompts, starts replies, and tells the view what changed.

It lives on the GUI thread and never blocks: the model runs as a job on the `ModelWorker` (the
job also writes the reply to the store, see `chat_jobs`), and pieces arrive through the job's
`progress` signal. Regenerate and edit add siblings, so earlier versions stay.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.store.records import ROOT, MessageRecord
from app.core.types import ChatMessage, GenerationParams, GenerationStats
from app.ui.chat_jobs import ChatResult, chat_job
from app.ui.model_worker import Job, ModelWorker


class ChatController(QObject):
    conversationChanged = Signal(int)  # this conversation's active path changed
    conversationsChanged = Signal()  # titles or order in the sidebar changed
    replyStarted = Signal(int, int)  # conversation id, assistant message id
    replyUpdated = Signal(int, str)  # message id, the full text so far
    replyFinished = Signal(int, str, object)  # message id, status, GenerationStats or None
    replyFailed = Signal(int, str)  # message id, a message for the user
    busyChanged = Signal(bool)

    def __init__(self, store, worker: ModelWorker, runtime, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.worker = worker
        self.runtime = runtime
        self.conversation_id: int | None = None
        self._job: Job | None = None
        self._message_id: int | None = None
        self._reply_conversation: int | None = None
        self._starting = False
        # Other features may answer some conversations themselves (documents: from the
        # dropped files). Each factory gets (conversation_id, question, params, writer,
        # message_id) and returns a job function, or None to leave it to the plain chat.
        self.reply_job_factories: list = []
        self._text: list[str] = []
        # Features that answer some conversations their own way (documents: from the files).
        self.reply_job_factories: list = []

    # -- state ----------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._job is not None or self._starting

    @property
    def streaming_message_id(self) -> int | None:
        return self._message_id

    def open(self, conversation_id: int | None) -> None:
        self.conversation_id = conversation_id

    def params(self) -> GenerationParams:
        s = self.runtime.settings.current
        return GenerationParams(
            max_tokens=s.max_tokens,
            temperature=s.temperature,
            top_p=s.top_p,
            top_k=s.top_k,
            min_p=s.min_p,
            repeat_penalty=s.repeat_penalty,
        )

    # -- user actions ---------------------------------------------------------------------
    def send(self, text: str, system_prompt: str | None = None) -> bool:
        """Add the user's message under the current leaf and start the reply."""
        text = text.strip()
        if not text or self.busy:
            return False
        if self.conversation_id is None:
            prompt = (
                self.runtime.settings.current.system_prompt
                if system_prompt is None
                else system_prompt
            )
            conv = self.store.create_conversation(title=None, system_prompt=prompt)
            self.conversation_id = conv.id
        path = self.store.active_path(self.conversation_id)
        parent = path[-1].id if path else None
        message = self.store.add_message(self.conversation_id, "user", text, parent_id=parent)
        self.conversationsChanged.emit()
        self._queue_reply(message)
        return True

    def regenerate(self, assistant_message_id: int) -> bool:
        """A new answer to the same question; the old one stays as a sibling."""
        if self.busy:
            return False
        question = self._message(self._parent_id(assistant_message_id))
        if question is None:
            return False
        self._queue_reply(question)
        return True

    def edit(self, user_message_id: int, new_text: str) -> bool:
        """Resend an edited question as a new branch; the original branch is kept."""
        new_text = new_text.strip()
        if not new_text or self.busy:
            return False
        parent_id = self._parent_id(user_message_id)
        message = self.store.add_message(
            self.conversation_id,
            "user",
            new_text,
            parent_id=ROOT if parent_id is None else parent_id,
        )
        self._queue_reply(message)
        return True

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
    def _queue_reply(self, question: MessageRecord) -> None:
        """Show the question now; create the reply and start the model in the next turn of
        the event loop, so pressing Enter answers at once."""
        self._starting = True
        self.busyChanged.emit(True)
        self.conversationChanged.emit(question.conversation_id)
        QTimer.singleShot(0, self, lambda: self._start_reply(question))

    def _start_reply(self, question: MessageRecord) -> None:
        if not self._starting:
            return  # stopped (or the window closed) before the reply began
        self._starting = False
        conv_id = question.conversation_id
        history = self._history(conv_id, question.id)
        params = self.params()
        info = self.worker.model_info
        reply = self.store.add_message(
            conv_id,
            "assistant",
            "",
            parent_id=question.id,
            status="streaming",
            model_name=info.name if info else None,
            model_sha256=info.sha256 if info else None,
            params=params.as_dict(),
        )
        self._message_id = reply.id
        self._reply_conversation = conv_id
        self._text = []
        writer = self.store.stream_writer(reply.id)
        job_fn = next(
            (
                fn
                for factory in self.reply_job_factories
                if (fn := factory(conv_id, question.content, params, writer, reply.id))
            ),
            None,
        )
        self._job = self.worker.submit(job_fn or chat_job(history, params, writer), kind="chat")
        self._job.progress.connect(self._on_piece)
        self._job.succeeded.connect(self._on_succeeded)
        self._job.cancelled.connect(self._on_cancelled)
        self._job.failed.connect(self._on_failed)
        self.conversationChanged.emit(conv_id)
        self.replyStarted.emit(conv_id, reply.id)

    def _history(self, conv_id: int, question_id: int) -> list[ChatMessage]:
        """The system prompt and the active path up to the question (a regenerate leaves the
        old answer on the path until the new one is added as its sibling)."""
        conv = self.store.get_conversation(conv_id)
        messages = [ChatMessage("system", conv.system_prompt)] if conv.system_prompt else []
        for m in self.store.active_path(conv_id):
            if m.role in ("user", "assistant") and m.content and m.status != "failed":
                messages.append(ChatMessage(m.role, m.content))
            if m.id == question_id:
                break
        return messages

    def _on_piece(self, piece: object) -> None:
        if self.sender() is not self._job or not isinstance(piece, str):
            return
        self._text.append(piece)
        self.replyUpdated.emit(self._message_id, "".join(self._text))

    def _on_succeeded(self, result: object) -> None:
        if self.sender() is self._job:
            self._close("complete", result.stats if isinstance(result, ChatResult) else None)

    def _on_cancelled(self, result: object) -> None:
        if self.sender() is self._job:
            self._close("cancelled", result.stats if isinstance(result, ChatResult) else None)

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

    # -- helpers --------------------------------------------------------------------------
    def _message(self, message_id: int | None) -> MessageRecord | None:
        if message_id is None or self.conversation_id is None:
            return None
        for m in self.store.active_path(self.conversation_id):
            if m.id == message_id:
                return m
        return None

    def _parent_id(self, message_id: int) -> int | None:
        found = self._message(message_id)
        return found.parent_id if found else None
