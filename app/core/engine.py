"""LocalEngine: a GGUF model run in this process by llama.cpp.

The model and its context stay loaded between turns, and the engine remembers which tokens
the KV cache holds: a new prompt is evaluated only from where it stops matching the cache, so a
follow-up turn costs only its new tokens. Decoding and sampling run in llama.cpp's C code (see
llama_native); Python moves one token id per step. Not thread-safe: one worker thread owns it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from time import perf_counter

from app.core.completions import Completions, drained, one_by_one
from app.core.context import fit_history, reply_budget
from app.core.decoder import Decoder
from app.core.default_model import DEFAULT_MODEL_NAME, DEFAULT_MODEL_SHA256
from app.core.errors import Cancelled, ContextOverflowError, EnclaveError, ModelError
from app.core.kv_cache import StateSession
from app.core.kv_cache.keeper import StateKeeper, signature
from app.core.llama_native import (
    NativeAborted,
    NativeContext,
    NativeError,
    NativeModel,
    gpu_offload_supported,
    init_backend,
)
from app.core.model_file import cached_sha256
from app.core.models.gguf_check import GgufHeader, check_gguf
from app.core.models.naming import display_name
from app.core.next_turn import collected, next_turn_opening, tokens_to_add, turn_opening, warm
from app.core.parallel_decode import complete_many
from app.core.prompt import PromptText
from app.core.prompt_tokens import PromptTokenizer
from app.core.reply_end import TurnSigns, reply_end, turn_signs
from app.core.templates import ChatTemplate, select_template
from app.core.token_stream import LocalTokenStream
from app.core.types import (
    CancelToken,
    ChatMessage,
    GenerationParams,
    GenerationStats,
    LoadOptions,
    ModelInfo,
)

_log = logging.getLogger(__name__)
MAX_BATCH = 512
MIN_CONTEXT = 64
DEFAULT_CONTEXT_CAP = 4096
_ALL_LAYERS = 999


def default_threads() -> int:
    """Cores this process may use, capped: decoding is memory-bound beyond ~8 threads."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        available = os.cpu_count() or 1
    return max(1, min(available, 8))


def _metadata_for_display(header: GgufHeader) -> dict[str, str]:
    return {
        key: str(value)[:200]
        for key, value in header.metadata.items()
        if not key.startswith("tokenizer.") and not isinstance(value, tuple)
    }


def _context_size(requested: int, n_ctx_train: int | None) -> int:
    trained = n_ctx_train or DEFAULT_CONTEXT_CAP
    if requested <= 0:
        return min(DEFAULT_CONTEXT_CAP, trained)
    if requested < MIN_CONTEXT:
        raise ModelError(
            f"A context of {requested} tokens is too small; use at least {MIN_CONTEXT}."
        )
    if requested > trained:
        _log.info("Context %d capped to the %d tokens the model was trained on", requested, trained)
    return min(requested, trained)


def _gpu_layers(requested: int) -> int:
    """-1 = every layer when llama.cpp was built with a GPU backend; CPU-only builds get 0."""
    if not gpu_offload_supported():
        return 0
    return _ALL_LAYERS if requested < 0 else requested


def _open_native(
    path: Path,
    n_ctx: int,
    threads: int,
    gpu_layers: int,
    progress: Callable[[float], bool] | None = None,
) -> tuple[NativeModel, NativeContext]:
    try:
        model = NativeModel(path, gpu_layers, progress=progress)
    except NativeAborted as exc:
        raise Cancelled(f"Loading {path.name} was cancelled.") from exc
    except NativeError as exc:
        raise ModelError(
            f"llama.cpp could not load {path.name} ({exc}); the file may be damaged or need "
            f"a newer version of Enclave."
        ) from exc
    try:
        return model, NativeContext(model, n_ctx, min(MAX_BATCH, n_ctx), threads)
    except NativeError as exc:
        model.close()
        raise ModelError(
            f"Could not create a {n_ctx}-token context for {path.name} ({exc}); try a smaller "
            f"context size."
        ) from exc


def _load_progress(
    on_progress: Callable[[float], None] | None, cancel: CancelToken | None
) -> Callable[[float], bool] | None:
    """llama.cpp's progress callback: report the fraction, say False to stop."""
    if on_progress is None and cancel is None:
        return None

    def progress(fraction: float) -> bool:
        if on_progress is not None:
            on_progress(fraction)
        return not (cancel is not None and cancel.cancelled)

    return progress


def _template_for(header: GgufHeader, model: NativeModel, override: str | None) -> ChatTemplate:
    def text_of(token: int) -> str:
        return model.token_text(token) if token >= 0 else ""

    embedded = header.metadata.get("tokenizer.chat_template")
    return select_template(
        architecture=header.architecture,
        embedded=embedded if isinstance(embedded, str) and embedded.strip() else None,
        override=override,
        has_special_token=lambda text: model.special_token(text) is not None,
        bos_token=text_of(model.bos_token),
        eos_token=text_of(model.eos_token),
    )


class LocalEngine:
    keeps_kv_state = True  # generate() takes a conversation's `session` (app.core.kv_cache)

    def __init__(self) -> None:
        self._model: NativeModel | None = None
        self._ctx: NativeContext | None = None
        self._info: ModelInfo | None = None
        self._template: ChatTemplate | None = None
        self._tokenizer: PromptTokenizer | None = None
        self._signs = TurnSigns()
        self._decoder: Decoder | None = None
        self._active: LocalTokenStream | None = None
        self._keeper: StateKeeper | None = None  # saved states of conversations (kv_cache)
        # The last chat reply: its messages, its pieces, its stats (see next_turn).
        self._last_turn: tuple[list[ChatMessage], list[str], GenerationStats] | None = None

    # --- loading ---------------------------------------------------------------------------

    reports_load_progress = True  # load() takes on_progress and cancel (see the loader)

    @property
    def info(self) -> ModelInfo | None:
        return self._info

    @property
    def n_ctx(self) -> int:
        return self._require()[1].n_ctx

    @property
    def template(self) -> ChatTemplate:
        return self._require()[2]

    @property
    def cached_tokens(self) -> tuple[int, ...]:
        """The token ids the KV cache holds right now, in order."""
        return tuple(self._decoder.cached) if self._decoder else ()

    def load(
        self,
        path: Path | str,
        options: LoadOptions | None = None,
        *,
        on_progress: Callable[[float], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> ModelInfo:
        """Load a GGUF model; a bad file or option is a ModelError saying what to do.

        `on_progress(fraction)` follows llama.cpp's loading of the weights (0..1, ending at
        1.0); `cancel` stops the load at its next report (Cancelled, nothing stays loaded)."""
        options = options or LoadOptions()
        path = Path(path).expanduser()
        header = check_gguf(path)  # a missing, foreign or truncated file stops here
        n_ctx = _context_size(options.context_size, header.context_length)
        if options.threads < 0:
            raise ModelError(f"threads must be 0 (automatic) or more, not {options.threads}.")
        threads = options.threads or default_threads()
        init_backend()  # before asking llama.cpp which devices it has
        gpu_layers = _gpu_layers(options.gpu_layers)
        sha256 = cached_sha256(path)
        self.unload()
        if cancel is not None and cancel.cancelled:
            raise Cancelled(f"Loading {path.name} was cancelled.")
        started = perf_counter()
        progress = _load_progress(on_progress, cancel)
        model, ctx = _open_native(path, n_ctx, threads, gpu_layers, progress)
        try:
            template = _template_for(header, model, options.template_override)
        except EnclaveError:
            ctx.close()
            model.close()
            raise
        self._model, self._ctx, self._template = model, ctx, template
        self._tokenizer = PromptTokenizer(model)
        self._signs = turn_signs(template, self._tokenizer)
        self._decoder = Decoder(model, ctx)
        self._keeper = StateKeeper(signature(sha256, ctx.n_ctx, ctx.n_batch, template.source))
        self._info = ModelInfo(
            path=str(path),
            name=DEFAULT_MODEL_NAME if sha256 == DEFAULT_MODEL_SHA256 else display_name(header),
            sha256=sha256,
            architecture=header.architecture,
            n_ctx_train=model.n_ctx_train,
            n_ctx=ctx.n_ctx,
            n_params=model.n_params,
            size_bytes=header.file_size,
            chat_template_source=template.source,
            gpu_layers=min(gpu_layers, model.n_layer),
            threads=threads,
            metadata=_metadata_for_display(header),
        )
        _log.info(
            "Loaded %s in %.2f s (n_ctx %d, %d threads, template %s)",
            path.name, perf_counter() - started, ctx.n_ctx, threads, template.source,
        )  # fmt: skip
        return self._info

    def unload(self) -> None:
        self._close_active()
        if self._ctx is not None:
            self._ctx.close()
        if self._model is not None:
            self._model.close()
        if self._template is not None:
            self._template.close()  # a GGUF template's helper process
        self._model = self._ctx = self._template = self._info = self._decoder = None
        self._keeper = None
        self._tokenizer = None
        self._last_turn = None
        self._signs = TurnSigns()

    def _require(self) -> tuple[NativeModel, NativeContext, ChatTemplate]:
        if self._model is None or self._ctx is None or self._template is None:
            raise ModelError("No model is loaded; load a model first.")
        return self._model, self._ctx, self._template

    # --- tokens ----------------------------------------------------------------------------

    def tokenize(self, text: str, *, add_special: bool = False) -> list[int]:
        """Token ids of plain text (special-token spellings stay text)."""
        return self._require()[0].tokenize(text, add_special=add_special, parse_special=False)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def token_bytes(self, token: int) -> bytes:
        """The raw bytes of one token; may be part of a UTF-8 character."""
        return self._require()[0].piece(token)

    def detokenize(self, tokens: Sequence[int]) -> str:
        model = self._require()[0]
        return b"".join(model.piece(t) for t in tokens).decode("utf-8", errors="replace")

    def render_prompt(self, messages: Sequence[ChatMessage]) -> PromptText:
        return self._require()[2].render(messages)

    def tokenize_prompt(self, prompt: str, cache: dict[str, list[int]] | None = None) -> list[int]:
        """Token ids of a prompt, as generation feeds them.

        Control tokens come only from a `PromptText`'s markup; its content, and the whole of a
        plain str, is plain text whatever it spells (see app.core.prompt).
        """
        self._require()
        assert self._tokenizer is not None
        return self._tokenizer.tokens(prompt, cache=cache)

    @property
    def turn_signs(self) -> TurnSigns:
        """What ends a reply besides end tokens: the template's markers and turn starts."""
        self._require()
        return self._signs

    def clear_cache(self) -> None:
        """Forget the KV cache (the next prompt is evaluated from scratch)."""
        self._require()
        self._close_active()
        if self._decoder is not None:
            self._decoder.clear()
        if self._keeper is not None:
            self._keeper.forget()
        self._last_turn = None

    # --- generation ------------------------------------------------------------------------

    def generate(
        self,
        messages: Sequence[ChatMessage],
        params: GenerationParams,
        cancel: CancelToken | None = None,
        session: StateSession | None = None,
    ) -> LocalTokenStream:
        """Stream the assistant's reply to `messages` (oldest turns dropped to fit).

        With `session` (a conversation's, see app.core.kv_cache), the conversation's saved KV
        state is taken when it holds more of the prompt than the cache does, and `save_state()`
        keeps the cache for its next turn."""
        started = perf_counter()
        if not messages:
            raise ValueError("generate() needs at least one message")
        _model, ctx, template = self._require()
        self._close_active()
        tokenized: dict[tuple[tuple[str, bool], ...], list[int]] = {}
        fragments: dict[str, list[int]] = {}  # plain fragments recur while fitting the history

        def prompt_for(msgs: Sequence[ChatMessage]) -> list[int]:
            prompt = template.render(msgs)
            if prompt.segments not in tokenized:
                tokenized[prompt.segments] = self.tokenize_prompt(prompt, fragments)
            return tokenized[prompt.segments]

        fitted = fit_history(
            messages,
            n_ctx=ctx.n_ctx,
            max_tokens=params.max_tokens,
            count=lambda msgs: len(prompt_for(msgs)),
        )
        if fitted.dropped:
            _log.info("Dropped the %d oldest messages to fit the context", fitted.dropped)
        tokens = prompt_for(fitted.messages)
        if self._keeper is not None and self._decoder is not None:
            self._keeper.before_prompt(self._decoder, session, tokens)
        stops = (*template.stop, *params.stop)
        stats = GenerationStats(prompt_tokens=len(tokens), dropped_messages=fitted.dropped)
        reply: list[str] = []
        stream = self._start(
            tokens, params, cancel, stops, stats, started, strip_leading=True, keep=reply
        )
        stream.messages = fitted.messages
        self._last_turn = (fitted.messages, reply, stats)
        return stream

    def complete(
        self, prompt: str, params: GenerationParams, cancel: CancelToken | None = None
    ) -> LocalTokenStream:
        """Stream a continuation of `prompt` as is (no chat template, no history fitting).

        A plain str is plain text throughout; a `PromptText` (app.core.prompt) marks the parts
        that may spell control tokens (markup) apart from the text it carries (`Content`).
        """
        started = perf_counter()
        _model, ctx, _template = self._require()
        self._close_active()
        tokens = self.tokenize_prompt(prompt)
        if self._keeper is not None:
            self._keeper.forget()  # no conversation: nothing to save after
        if not tokens:
            raise EnclaveError("The prompt is empty; write something to continue.")
        available = ctx.n_ctx - reply_budget(params.max_tokens, ctx.n_ctx)
        if len(tokens) > available:
            raise ContextOverflowError(len(tokens), available, ctx.n_ctx)
        stops = params.stop
        stats = GenerationStats(prompt_tokens=len(tokens))
        return self._start(tokens, params, cancel, stops, stats, started, strip_leading=False)

    def complete_many(
        self, prompts: Sequence[str], params: GenerationParams, cancel: CancelToken | None = None
    ) -> Completions:
        """Complete independent prompts, several at once where that is faster (see
        app.core.parallel_decode); each result comes as its prompt ends."""
        model, ctx, _template = self._require()
        self._close_active()
        cancel = cancel or CancelToken()
        info = self._info
        assert info is not None
        return complete_many(
            model,
            [self.tokenize_prompt(prompt) for prompt in prompts],
            params,
            reply_end(params, self._signs, params.stop, model.special_token),
            cancel,
            n_ctx=ctx.n_ctx,
            n_batch=ctx.n_batch,
            threads=info.threads,
            on_gpu=info.gpu_layers > 0,
            sequential=lambda: one_by_one(
                lambda prompt: drained(self.complete(prompt, params, cancel)), prompts, cancel
            ),
        )

    def _start(
        self,
        tokens: list[int],
        params: GenerationParams,
        cancel: CancelToken | None,
        stops: Sequence[str],
        stats: GenerationStats,
        started: float,
        *,
        strip_leading: bool,
        keep: list[str] | None = None,
    ) -> LocalTokenStream:
        decoder = self._decoder
        if decoder is None:
            raise ModelError("No model is loaded; load a model first.")
        end = reply_end(params, self._signs, stops, decoder.model.special_token)
        run = decoder.run(
            tokens, params, cancel or CancelToken(), end, stats, started, strip_leading
        )
        self._last_turn = None
        if keep is not None:
            run = collected(run, keep)
        self._active = LocalTokenStream(run, stats)
        return self._active

    def save_state(self, interrupt: CancelToken | None = None) -> bool:
        """After a reply: evaluate the opening of the next turn (app.core.next_turn), then save
        the KV cache for the conversation of its prompt (a `session` given to generate), within
        the session's disk budget. False when there was nothing to
        save or it could not be saved (logged; never raises). `interrupt` (a request already
        waiting) ends the opening early: it must never delay the next request."""
        if self._keeper is None or self._decoder is None:
            return False
        self._open_next_turn(interrupt)
        return self._keeper.save(self._decoder)

    def warm(
        self,
        history: Sequence[ChatMessage],
        session: StateSession | None = None,
        cancel: CancelToken | None = None,
    ) -> int:
        """A conversation was opened: take its saved state and evaluate the rest of `history`
        up to the next turn's opening (at most a batch; see app.core.next_turn.warm), so that
        its next message pays only for itself. Returns the tokens the cache holds of it."""
        _model, _ctx, template = self._require()
        self._close_active()
        self._last_turn = None
        if not history or history[-1].role != "assistant" or self._decoder is None:
            return 0
        opening = turn_opening(template, history)
        if opening is None or self._keeper is None:
            return 0
        return warm(self._decoder, self._keeper, self.tokenize_prompt(opening), session, cancel)

    def _open_next_turn(self, interrupt: CancelToken | None = None) -> None:
        """Evaluate the markup that opens the next user turn now (app.core.next_turn)."""
        turn, self._last_turn = self._last_turn, None
        if turn is None or self._decoder is None or self._template is None:
            return
        messages, reply, stats = turn
        if stats.stop_reason in ("cancelled", "error"):
            return
        opening = next_turn_opening(self._template, messages, "".join(reply))
        if opening is not None:
            decoder = self._decoder
            added = tokens_to_add(decoder.cached, self.tokenize_prompt(opening), decoder.ctx.n_ctx)
            if added:
                decoder.extend(list(decoder.cached) + added, interrupt)

    def _close_active(self) -> None:
        """Only one reply at a time: a new request ends the previous stream (as cancelled)."""
        if self._active is not None:
            self._active.close()
            self._active = None
