"""LocalEngine: a GGUF model run in this process by llama.cpp.

The model and its context stay loaded between turns, and the engine remembers which tokens
the KV cache holds: a new prompt is evaluated only from where it stops matching the cache, so a
follow-up turn costs only its new tokens. Decoding and sampling run in llama.cpp's C code (see
llama_native); Python moves one token id per step. Not thread-safe: one worker thread owns it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Generator, Sequence
from pathlib import Path
from time import perf_counter

from app.core.context import fit_history, reply_budget
from app.core.default_model import DEFAULT_MODEL_NAME, DEFAULT_MODEL_SHA256
from app.core.errors import ContextOverflowError, EnclaveError, ModelError
from app.core.llama_native import (
    NativeContext,
    NativeError,
    NativeModel,
    SamplerChain,
    gpu_offload_supported,
    init_backend,
)
from app.core.model_file import GgufHeader, cached_sha256, read_gguf_header
from app.core.templates import ChatTemplate, select_template
from app.core.token_stream import LocalTokenStream, TextAssembler
from app.core.types import (
    CancelToken,
    ChatMessage,
    GenerationParams,
    GenerationStats,
    LoadOptions,
    ModelInfo,
    StopReason,
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
        if not key.startswith("tokenizer.")
    }


class LocalEngine:
    def __init__(self) -> None:
        self._model: NativeModel | None = None
        self._ctx: NativeContext | None = None
        self._info: ModelInfo | None = None
        self._template: ChatTemplate | None = None
        self._bos_text = ""
        self._cached: list[int] = []  # tokens whose keys/values the context holds, in order
        self._active: LocalTokenStream | None = None

    # --- loading ---------------------------------------------------------------------------

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
        return tuple(self._cached)

    def load(self, path: Path | str, options: LoadOptions | None = None) -> ModelInfo:
        options = options or LoadOptions()
        path = Path(path).expanduser()
        header = read_gguf_header(path)  # raises ModelError for missing/foreign/cut files
        if options.threads < 0:
            raise ModelError(f"threads must be 0 (automatic) or more, not {options.threads}.")
        sha256 = cached_sha256(path)
        self.unload()
        init_backend()
        threads = options.threads or default_threads()
        offload = gpu_offload_supported()
        gpu_layers = (_ALL_LAYERS if options.gpu_layers < 0 else options.gpu_layers) if offload else 0
        started = perf_counter()
        try:
            model = NativeModel(path, gpu_layers)
        except NativeError as exc:
            raise ModelError(
                f"llama.cpp could not load {path.name} ({exc}); the file may be damaged or need "
                f"a newer version of Enclave."
            ) from exc
        try:
            n_ctx = self._context_size(options.context_size, model.n_ctx_train)
            ctx = NativeContext(model, n_ctx, min(MAX_BATCH, n_ctx), threads)
        except (NativeError, ModelError) as exc:
            model.close()
            if isinstance(exc, ModelError):
                raise
            raise ModelError(
                f"Could not create a {options.context_size}-token context for {path.name} "
                f"({exc}); try a smaller context size."
            ) from exc
        try:
            bos_text = model.token_text(model.bos_token) if model.bos_token >= 0 else ""
            template = select_template(
                architecture=header.architecture,
                embedded=header.chat_template,
                override=options.template_override,
                has_special_token=lambda text: model.special_token(text) is not None,
                bos_token=bos_text,
                eos_token=model.token_text(model.eos_token) if model.eos_token >= 0 else "",
            )
        except EnclaveError:
            ctx.close()
            model.close()
            raise
        self._model, self._ctx, self._template, self._bos_text = model, ctx, template, bos_text
        self._cached = []
        name = str(header.metadata.get("general.name") or path.stem)
        self._info = ModelInfo(
            path=str(path),
            name=DEFAULT_MODEL_NAME if sha256 == DEFAULT_MODEL_SHA256 else name,
            sha256=sha256,
            architecture=header.architecture,
            n_ctx_train=model.n_ctx_train,
            n_ctx=ctx.n_ctx,
            n_params=model.n_params,
            size_bytes=path.stat().st_size,
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

    @staticmethod
    def _context_size(requested: int, n_ctx_train: int) -> int:
        if requested <= 0:
            return min(DEFAULT_CONTEXT_CAP, n_ctx_train)
        if requested < MIN_CONTEXT:
            raise ModelError(f"A context of {requested} tokens is too small; use at least {MIN_CONTEXT}.")
        if requested > n_ctx_train:
            _log.info("Context %d capped to the model's trained %d", requested, n_ctx_train)
        return min(requested, n_ctx_train)

    def unload(self) -> None:
        self._close_active()
        if self._ctx is not None:
            self._ctx.close()
        if self._model is not None:
            self._model.close()
        self._model = self._ctx = self._template = self._info = None
        self._cached = []

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

    def render_prompt(self, messages: Sequence[ChatMessage]) -> str:
        return self._require()[2].render(messages)

    def tokenize_prompt(self, text: str) -> list[int]:
        """Token ids of a rendered prompt, as generation feeds them (special tokens parsed)."""
        # A template that writes the BOS itself must not get a second one from the tokenizer.
        add_bos = not (self._bos_text and text.startswith(self._bos_text))
        return self._require()[0].tokenize(text, add_special=add_bos, parse_special=True)

    def clear_cache(self) -> None:
        """Forget the KV cache (the next prompt is evaluated from scratch)."""
        ctx = self._require()[1]
        self._close_active()
        ctx.clear()
        self._cached = []

    # --- generation ------------------------------------------------------------------------

    def generate(
        self,
        messages: Sequence[ChatMessage],
        params: GenerationParams,
        cancel: CancelToken | None = None,
    ) -> LocalTokenStream:
        """Stream the assistant's reply to `messages` (oldest turns dropped to fit)."""
        started = perf_counter()
        if not messages:
            raise ValueError("generate() needs at least one message")
        _model, ctx, template = self._require()
        self._close_active()
        tokenized: dict[str, list[int]] = {}

        def prompt_for(msgs: Sequence[ChatMessage]) -> list[int]:
            text = template.render(msgs)
            if text not in tokenized:
                tokenized[text] = self.tokenize_prompt(text)
            return tokenized[text]

        fitted = fit_history(
            messages,
            n_ctx=ctx.n_ctx,
            max_tokens=params.max_tokens,
            count=lambda msgs: len(prompt_for(msgs)),
        )
        if fitted.dropped:
            _log.info("Dropped the %d oldest messages to fit the context", fitted.dropped)
        tokens = prompt_for(fitted.messages)
        stops = () if params.ignore_eos else (*template.stop, *params.stop)
        stats = GenerationStats(prompt_tokens=len(tokens), dropped_messages=fitted.dropped)
        stream = self._start(tokens, params, cancel, stops, stats, started, strip_leading=True)
        stream.messages = fitted.messages
        return stream

    def complete(
        self, prompt: str, params: GenerationParams, cancel: CancelToken | None = None
    ) -> LocalTokenStream:
        """Stream a continuation of `prompt` as is (no chat template, no history fitting)."""
        started = perf_counter()
        _model, ctx, _template = self._require()
        self._close_active()
        tokens = self.tokenize_prompt(prompt)
        if not tokens:
            raise EnclaveError("The prompt is empty; write something to continue.")
        available = ctx.n_ctx - reply_budget(params.max_tokens, ctx.n_ctx)
        if len(tokens) > available:
            raise ContextOverflowError(len(tokens), available, ctx.n_ctx)
        stops = () if params.ignore_eos else params.stop
        stats = GenerationStats(prompt_tokens=len(tokens))
        return self._start(tokens, params, cancel, stops, stats, started, strip_leading=False)

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
    ) -> LocalTokenStream:
        run = self._run(tokens, params, cancel or CancelToken(), stops, stats, started, strip_leading)
        self._active = LocalTokenStream(run, stats)
        return self._active

    def _close_active(self) -> None:
        """Only one reply at a time: a new request ends the previous stream (as cancelled)."""
        if self._active is not None:
            self._active.close()
            self._active = None

    def _reuse_prefix(self, tokens: list[int]) -> int:
        """Keep the cached tokens shared with `tokens`; return how many are reused."""
        ctx = self._require()[1]
        cached = self._cached
        limit = min(len(cached), len(tokens) - 1)  # the last prompt token is always evaluated
        n = 0
        while n < limit and cached[n] == tokens[n]:
            n += 1
        if n < len(cached):
            if ctx.remove_from(n):
                del cached[n:]
            else:
                _log.debug("KV cache cannot be cut at %d; evaluating the prompt in full", n)
                ctx.clear()
                cached.clear()
                n = 0
        return n

    def _run(
        self,
        tokens: list[int],
        params: GenerationParams,
        cancel: CancelToken,
        stops: Sequence[str],
        stats: GenerationStats,
        started: float,
        strip_leading: bool,
    ) -> Generator[str, None, None]:
        model, ctx, _template = self._require()
        stop_ids = {t for t in (model.special_token(s) for s in stops) if t is not None}
        assembler = TextAssembler(stops, strip_leading=strip_leading)
        limit = max(0, min(params.max_tokens, ctx.n_ctx - len(tokens)))
        reason: StopReason = "stop"
        generated = 0
        t_first = t_last = 0.0
        sampler: SamplerChain | None = None
        try:
            reused = self._reuse_prefix(tokens)
            t_eval = perf_counter()
            for start in range(reused, len(tokens), ctx.n_batch):
                if cancel.cancelled:
                    reason = "cancelled"
                    return
                chunk = tokens[start : start + ctx.n_batch]
                ctx.decode(chunk, start, logits_last=start + len(chunk) == len(tokens))
                self._cached.extend(chunk)
                stats.prompt_tokens_evaluated += len(chunk)
            eval_s = perf_counter() - t_eval
            if stats.prompt_tokens_evaluated and eval_s > 0:
                stats.prompt_tokens_per_s = stats.prompt_tokens_evaluated / eval_s
            sampler = SamplerChain(params, model.n_vocab)
            pending: int | None = None  # sampled and shown, not yet fed back
            while True:
                if cancel.cancelled:
                    reason = "cancelled"
                    break
                if generated >= limit:
                    reason = "length"
                    break
                if pending is not None:
                    ctx.decode_one(pending, len(self._cached))
                    self._cached.append(pending)
                    pending = None
                token = sampler.sample(ctx)
                now = perf_counter()
                t_first = t_first or now
                if not params.ignore_eos and (model.is_eog(token) or token in stop_ids):
                    break
                generated += 1
                stats.generated_tokens = generated  # live, for progress display
                t_last = now
                text = assembler.push(model.piece(token))
                if text:
                    yield text
                if assembler.stopped:
                    break
                pending = token
            tail = assembler.flush()
            if tail:
                yield tail
        except GeneratorExit:
            reason = "cancelled"
            raise
        except NativeError as exc:
            reason = "error"
            self._cached = []
            ctx.clear()
            raise ModelError(
                f"The model failed while generating ({exc}); try again or reload the model."
            ) from exc
        finally:
            if sampler is not None:
                sampler.close()
            stats.generated_tokens = generated
            stats.stop_reason = reason
            stats.total_s = perf_counter() - started
            if t_first:
                stats.time_to_first_token_s = t_first - started
            if generated > 1 and t_last > t_first:
                stats.decode_tokens_per_s = (generated - 1) / (t_last - t_first)
