"""THE conversation service: start, continue, regenerate and edit a turn, for every front end.

A turn has two halves. `prepare_*` runs where the user acted (the window's GUI thread, the
command line, an API request): it applies the policy gate, writes the question and an empty
reply, and returns a `Turn`; it touches no model and is fast. `run` runs on the thread that owns
the backend: it chooses the model (allowlist on the file's own sha256, before llama.cpp opens
it), loads it if another one is loaded, streams the reply into the store and finishes it with a
status that says what happened:

- `complete`: the model finished (or hit the token limit, or stopped a loop);
- `cancelled`: the user stopped it (Stop, Ctrl-C, a client that went away);
- `partial`: it failed after some text was written (the text is kept);
- `failed`: it failed before any text (the reason is kept in the reply's stats as `error`).

Conversations with documents are answered from them, with their citations stored in the
reply's stats; reasoning pieces (`Thought`) are stored apart (stats `reasoning`), never in the
content, so they are never fed back, exported or searched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.core.backend import Backend
from app.core.chat.citations import citations_to_stats
from app.core.chat.gate import LOAD_SETTINGS
from app.core.chat.history import history_from
from app.core.chat.loader import ModelLoader
from app.core.chat.model_choice import ModelChoice
from app.core.chat.reasoning import ReasoningSplitter, prompt_opens_thought
from app.core.config.runtime import Runtime
from app.core.errors import Cancelled, EnclaveError
from app.core.kv_cache import session_for
from app.core.store import Store
from app.core.store.records import ROOT, MessageRecord
from app.core.types import CancelToken, ChatMessage, GenerationParams, ModelInfo, Thought

Progress = Callable[[object], None]


@dataclass(frozen=True)
class Turn:
    """A prepared turn: the question and the empty reply are stored; the model has not run."""

    conversation_id: int
    question_id: int
    reply_id: int
    question: str
    history: tuple[ChatMessage, ...]
    params: GenerationParams
    model_spec: str  # resolved on the model thread; "" = the default
    conversation_model: str | None  # the conversation's model name, when the spec is its own
    load_overrides: Mapping[str, object] = field(default_factory=dict)
    choice: ModelChoice | None = None  # already chosen (the command line checks it up front)
    # The active path once stored, ending with the question and the reply: shown as it is.
    path: tuple[MessageRecord, ...] = ()


@dataclass(frozen=True)
class TurnEvent:
    """What a reply is waiting for, before its first piece: "loading" (the model, named in
    `detail`, with llama.cpp's `fraction` 0..1 as it goes), "reading" (the conversation's
    documents) or "thinking" (the prompt)."""

    state: str
    detail: str = ""
    fraction: float | None = None


@dataclass(frozen=True)
class TurnResult:
    turn: Turn
    status: str  # complete | cancelled | partial | failed
    text: str
    record: MessageRecord
    model: ModelInfo | None  # stopped while loading (stats "stopped_while"): what is loaded now
    stats: dict[str, Any]


class TurnFailed(EnclaveError):
    """A turn failed; the reply is stored (failed or partial) and `result` says how."""

    def __init__(self, message: str, result: TurnResult, cause: BaseException) -> None:
        super().__init__(message)
        self.result = result
        self.exit_code = getattr(cause, "exit_code", 1)


class ConversationService:
    def __init__(self, runtime: Runtime, store: Store) -> None:
        self.runtime = runtime
        self.store = store
        self.loader: ModelLoader = runtime.models
        self.gate = self.loader.gate

    # -- preparing a turn (fast: no model) -------------------------------------------------
    def prepare(
        self,
        prompt: str,
        conversation_id: int | None = None,
        *,
        model: str | None = None,
        system_prompt: str | None = None,
        overrides: Mapping[str, object] | None = None,
        seed: int | None = None,
        via: str = "this request",
        check_model: bool = False,
    ) -> Turn:
        """A new question in a new conversation (`conversation_id` None) or an existing one.

        `model` switches the conversation's model (recorded once it has loaded); `system_prompt`
        applies to a new conversation. `check_model` chooses the model now, so a refused or
        missing one fails before anything is written (the command line wants that).
        """
        prompt = prompt.strip()
        if not prompt:
            raise EnclaveError("The message is empty; type something to send.")
        checked = self._checked(overrides, via, model=model, system_prompt=system_prompt)
        conversation = (
            self.store.get_conversation(conversation_id) if conversation_id is not None else None
        )
        spec, own = self.model_spec(conversation, checked.get("model"))
        choice = self.loader.choose(spec, own) if check_model else None
        asked_prompt = checked.get("system_prompt")
        created = "" if conversation is not None else self.gate.system_prompt(None, asked_prompt)
        return self._turn(conversation_id, prompt, None, checked, seed, spec, own, choice, created)

    def prepare_regenerate(
        self,
        assistant_message_id: int,
        *,
        model: str | None = None,
        overrides: Mapping[str, object] | None = None,
        seed: int | None = None,
        via: str = "this request",
    ) -> Turn:
        """A new answer to the same question; the old one stays as a sibling."""
        reply = self.store.get_message(assistant_message_id)
        if reply.role != "assistant" or reply.parent_id is None:
            raise EnclaveError("Only an answer can be regenerated.")
        checked = self._checked(overrides, via, model=model)
        conversation = self.store.get_conversation(reply.conversation_id)
        spec, own = self.model_spec(conversation, checked.get("model"))
        return self._turn(conversation.id, None, reply.parent_id, checked, seed, spec, own, None)

    def prepare_edit(
        self,
        user_message_id: int,
        new_text: str,
        *,
        model: str | None = None,
        overrides: Mapping[str, object] | None = None,
        seed: int | None = None,
        via: str = "this request",
    ) -> Turn:
        """Resend an edited question as a new branch; the original branch is kept."""
        new_text = new_text.strip()
        if not new_text:
            raise EnclaveError("The message is empty; type something to send.")
        original = self.store.get_message(user_message_id)
        if original.role != "user":
            raise EnclaveError("Only your own messages can be edited.")
        checked = self._checked(overrides, via, model=model)
        conversation = self.store.get_conversation(original.conversation_id)
        spec, own = self.model_spec(conversation, checked.get("model"))
        parent = ROOT if original.parent_id is None else original.parent_id
        return self._turn(conversation.id, new_text, parent, checked, seed, spec, own, None)

    def _checked(
        self, overrides: Mapping[str, object] | None, via: str, **named: object
    ) -> dict[str, object]:
        return self.gate.check_overrides({**(overrides or {}), **named}, via)

    def model_spec(self, conversation, override: object) -> tuple[str, str | None]:
        """The model for this turn, and the conversation's model name when it is the
        conversation's own: a locked model, else the turn's choice, else the conversation's,
        else the user's or the policy's default."""
        if self.gate.locked("model"):
            return self.gate.current.model, None
        if isinstance(override, str) and override.strip():
            return override.strip(), None
        if conversation is not None and conversation.model:
            return conversation.model, conversation.model_name or conversation.model
        return self.gate.current.model, None

    def _turn(
        self,
        conversation_id: int | None,
        question: str | None,
        parent_id: object,
        checked: Mapping[str, object],
        seed: int | None,
        spec: str,
        own: str | None,
        choice: ModelChoice | None,
        new_prompt: str = "",
    ) -> Turn:
        """Store the question (None: a regenerate under `parent_id`) and the empty reply in one
        transaction (in a new conversation with `new_prompt` when `conversation_id` is None);
        the history comes from the active path that transaction returns."""
        params = self.gate.params(checked, seed)
        conversation, path = self.store.add_turn(
            conversation_id, question, parent_id=parent_id, system_prompt=new_prompt,
            params=params.as_dict(),
        )  # fmt: skip
        asked, reply = path[-2], path[-1]
        system = self.gate.system_prompt(conversation.system_prompt)
        history = history_from(path, asked.id, system)
        load = {k: v for k, v in checked.items() if k in LOAD_SETTINGS}
        return Turn(
            conversation.id,
            asked.id,
            reply.id,
            asked.content,
            tuple(history),
            params,
            spec,
            own,
            load,
            choice,
            tuple(path),
        )

    # -- running a turn (on the thread that owns the backend) ------------------------------
    def run(
        self,
        turn: Turn,
        backend: Backend,
        cancel: CancelToken | None = None,
        on_piece: Progress | None = None,
    ) -> TurnResult:
        """Load the turn's model if needed, stream the reply into the store, finish it.

        `on_piece` gets each text piece (`Thought` for reasoning) and, before them, what the
        reply waits for (`TurnEvent`) and the loaded model's ModelInfo. Raises TurnFailed (with
        the stored result) when the reply failed; Stop and Ctrl-C end it as `cancelled`
        (KeyboardInterrupt is re-raised after the reply is saved).
        """
        cancel = cancel or CancelToken()
        writer = self.store.stream_writer(turn.reply_id)
        thought = _Thought()
        info: ModelInfo | None = None

        def piece(text: str) -> None:
            if isinstance(text, Thought):
                thought.add(text)
            else:
                writer.append(text)
            if on_piece is not None:
                on_piece(text)

        def tell(event: object) -> None:
            if on_piece is not None:
                on_piece(event)

        loading = ""  # the model being loaded, named in its progress events
        choice: ModelChoice | None = None

        def load_started(name: str) -> None:
            nonlocal loading
            loading = name
            tell(TurnEvent("loading", name))

        try:
            choice = turn.choice or self.loader.choose(turn.model_spec, turn.conversation_model)
            info = self.load_for(
                turn, choice, backend, load_started,
                lambda fraction: tell(TurnEvent("loading", loading, fraction)), cancel,
            )  # fmt: skip
            backend = self.loader.backend_for(choice, backend)
            if choice.server is not None:  # text leaves this computer: on the record
                self.loader.audit.record("server_used", server=choice.server, model=choice.name)
            tell(info)  # the front end shows which model answers
            name = choice.name or info.name  # a model the user renamed keeps the user's name
            self.store.update_message(turn.reply_id, model_name=name, model_sha256=info.sha256)
            if self.store.documents(turn.conversation_id):
                tell(TurnEvent("reading"))
                stats, final_text = self._answer_from_documents(turn, backend, cancel, piece)
            else:
                tell(TurnEvent("thinking"))
                splitter = ReasoningSplitter(_opens_thought(backend, turn.history))
                kept = _kept_state(self.runtime, self.store, backend, turn.conversation_id)
                stream = backend.generate(list(turn.history), turn.params, cancel, **kept)
                for text in stream:
                    for part in splitter.feed(text):
                        piece(part)
                for part in splitter.flush():
                    piece(part)
                stats, final_text = stream.stats.as_dict(), None
        except BaseException as exc:
            status = _status_after(exc, writer.content)
            stats = {"error": str(exc)} if status in ("failed", "partial") else {}
            if status == "cancelled" and info is None:  # stopped while loading: say so, and
                stats["stopped_while"] = "loading"  # which model is loaded now (None: none)
                info = self.loader.backend_for(choice, backend).info if choice else None
            thought.into(stats)
            record = writer.finish(status, stats)
            result = TurnResult(turn, status, writer.content, record, info, stats)
            if isinstance(exc, EnclaveError) and status != "cancelled":
                raise TurnFailed(str(exc), result, exc) from exc
            if isinstance(exc, Cancelled):
                return result
            raise
        status = "cancelled" if cancel.cancelled or stats.get("stop_reason") == "cancelled" else (
            "complete"
        )
        thought.into(stats)
        record = writer.finish(status, stats)
        if final_text is not None:  # the answer with its numbered sources
            record = self.store.update_message(turn.reply_id, content=final_text)
        return TurnResult(turn, status, record.content, record, info, stats)

    def load_for(
        self,
        turn: Turn,
        choice: ModelChoice,
        backend: Backend,
        on_loading: Callable[[str], None] | None = None,
        on_progress: Callable[[float], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> ModelInfo:
        """The turn's model, loaded (kept when it is already the one loaded) and remembered by
        the conversation; `on_loading(name)` is told when it has to be loaded first, then
        `on_progress(fraction)` as it loads; `cancel` stops the load (Cancelled)."""
        info = self.loader.load(
            backend, choice, turn.load_overrides, on_loading, on_progress, cancel
        )
        conversation = self.store.get_conversation(turn.conversation_id)
        remembered = (choice.spec, choice.name or info.name, info.sha256)
        if (conversation.model, conversation.model_name, conversation.model_sha256) != remembered:
            self.store.set_conversation_model(turn.conversation_id, *remembered)
        return info

    def _answer_from_documents(
        self, turn: Turn, backend: Backend, cancel: CancelToken, piece: Callable[[str], None]
    ) -> tuple[dict[str, Any], str]:
        from app.core.documents.retrieve import ask  # documents load only when needed

        def forward(event: object) -> None:
            if isinstance(event, str):
                piece(event)

        answer = ask(backend, self.store, turn.conversation_id, turn.question, turn.params,
                     cancel, forward)  # fmt: skip
        stats = answer.stats.as_dict()
        stats["citations"] = citations_to_stats(answer.citations)
        return stats, answer.text


def _kept_state(runtime: Runtime, store: Store, backend: Backend, conversation_id: int) -> dict:
    """The conversation's KV-state session, for a backend that keeps them (the local engine:
    a conversation reopens warm after a restart, see app.core.kv_cache)."""
    if not getattr(backend, "keeps_kv_state", False):
        return {}
    session = session_for(runtime, store, conversation_id)
    return {"session": session} if session is not None else {}


def _status_after(exc: BaseException, text: str) -> str:
    if isinstance(exc, Cancelled | KeyboardInterrupt | GeneratorExit):
        return "cancelled"
    return "partial" if text else "failed"


class _Thought:
    """The reasoning of one reply and how long the model spent on it."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.first = self.last = 0.0

    def add(self, text: str) -> None:
        now = time.monotonic()
        self.first = self.first or now
        self.last = now
        self.parts.append(text)

    def into(self, stats: dict[str, Any]) -> None:
        """Stored apart from the content: never fed back, exported or searched."""
        if self.parts:
            stats["reasoning"] = "".join(self.parts)
            stats["reasoning_s"] = round(self.last - self.first, 1)


def _opens_thought(backend: Backend, history: tuple[ChatMessage, ...]) -> bool:
    """Whether the model's template opens the reasoning block itself (the reply starts in it);
    only a backend that renders its own prompts (the local engine) can say."""
    render = getattr(backend, "render_prompt", None)
    if render is None:
        return False
    try:
        return prompt_opens_thought(render(list(history)))
    except EnclaveError:
        return False  # generate() reports a template failure properly
