"""Several prompts at once: one llama.cpp context, one sequence per prompt, one batch per step.

Decoding one token is bound by reading the weights (and, for Gemma, its 262k-row output
matrix); a batch that carries the next token of every running sequence reads them once for
all. Each prompt gets a sequence (a slot) of a context made for the request: its prompt is
evaluated in pieces, then it decodes with the others, one token per step. On a GPU a prompt's
piece shares the step with the other slots' next tokens; on a CPU it has a step of its own
(mixed, llama.cpp splits the batch into smaller passes per sequence: the prompts were
evaluated ~25 % slower than alone, more than decoding together saved). When a sequence ends
(end token, stop string, loop, token limit) its text is yielded and the slot takes the next
prompt. Every sequence has its own sampler chain
and the sequential decoder's ending rules (see decoder.Decoder.run), so its text is what one
completion of the same prompt gives, as closely as batched arithmetic allows. Stop is checked
at every step and, through llama.cpp's abort callback, inside a step that evaluates a prompt.
The context lives only as long as the request.
"""

from __future__ import annotations

import ctypes
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from time import perf_counter

import llama_cpp as llama

from app.core.completions import Completion, Completions
from app.core.context import reply_budget
from app.core.errors import ContextOverflowError, EnclaveError, ModelError
from app.core.llama_native import NativeModel, SamplerChain, take_recent_errors
from app.core.loop_guard import LoopGuard
from app.core.reply_end import ReplyEnd
from app.core.token_stream import TextAssembler
from app.core.types import CancelToken, GenerationParams, GenerationStats, StopReason

# Measured on the 2-core test machine (2 threads, ~1,000 cells deep): one step for 4 sequences
# costs about half of 4 single steps, for 8 about a third; for 2 the gain was within the noise
# (0.97-1.6x). A GPU gains from wider batches. Prompt evaluation gains nothing on a CPU, so
# there decoding must be a real share of the work: bench_parallel_map (64 pages, 2048-token
# context, ~1,800-token chunks, 160-token answer limit, ~11 prompt tokens per answer token;
# decoding 21 % of the sequential time) measured 0.79 on the quiet 2-core machine, prompt
# steps apart (mixed with the decoding tokens it was 1.02-1.10 that day). Past ~32 prompt
# tokens per answer token the expected gain is within the noise.
CPU_PROMPT_PER_ANSWER_MAX = 32
MAX_WIDTH_CPU = 8
MAX_WIDTH_GPU = 16
MIN_WIDTH_CPU = 3
MIN_WIDTH_GPU = 2
MAX_CELLS = 65536  # KV cells of all sequences together: bounds the compute buffers
KV_BUDGET_BYTES = 1 << 30  # the request's KV cache, at most (and a quarter of free memory)
_CELL_ROUND = 256  # llama.cpp pads a context to this


def sequence_size(prompt_lengths: Sequence[int], max_tokens: int, n_ctx: int) -> int:
    """KV cells one sequence needs: its prompt and answer, as the sequential context allows."""
    need = max(min(length + max_tokens, n_ctx) for length in prompt_lengths)
    return -(-need // _CELL_ROUND) * _CELL_ROUND


def cell_bytes(model: NativeModel) -> int:
    """Bytes of K and V (f16) one cell holds across the layers (sliding layers counted in full,
    so the estimate errs on the safe side)."""
    ptr = model.ptr
    head_dim = llama.llama_model_n_embd(ptr) // max(llama.llama_model_n_head(ptr), 1)
    arch = _metadata(model, "general.architecture")
    key_length = _metadata(model, f"{arch}.attention.key_length") if arch else ""
    if key_length.isdigit():
        head_dim = int(key_length)  # Gemma's heads are wider than n_embd / n_head
    return 2 * model.n_layer * int(llama.llama_model_n_head_kv(ptr)) * int(head_dim) * 2


def _metadata(model: NativeModel, key: str) -> str:
    buf = ctypes.create_string_buffer(128)
    if llama.llama_model_meta_val_str(model.ptr, key.encode(), buf, len(buf)) < 0:
        return ""
    return buf.value.decode("utf-8", errors="replace")


def kv_budget() -> int:
    """Memory the parallel cache may take: KV_BUDGET_BYTES, or a quarter of what is free."""
    try:
        free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not on every system
        return KV_BUDGET_BYTES
    return min(KV_BUDGET_BYTES, free // 4)


def choose_width(
    n_prompts: int,
    per_sequence: int,
    on_gpu: bool,
    cell_bytes: int,
    budget: int,
    prompt_per_answer: float = 0.0,
) -> int:
    """How many sequences run at once; 1 when one after the other is as fast (or memory is
    short). `prompt_per_answer`: mean prompt tokens per token an answer may take."""
    if not on_gpu and prompt_per_answer > CPU_PROMPT_PER_ANSWER_MAX:
        return 1
    cap = MAX_WIDTH_GPU if on_gpu else MAX_WIDTH_CPU
    fits = min(MAX_CELLS // per_sequence, budget // max(per_sequence * cell_bytes, 1))
    width = min(n_prompts, cap, fits)
    return width if width >= (MIN_WIDTH_GPU if on_gpu else MIN_WIDTH_CPU) else 1


def complete_many(
    model: NativeModel,
    prompts: Sequence[list[int]],
    params: GenerationParams,
    end: ReplyEnd,
    cancel: CancelToken,
    *,
    n_ctx: int,
    n_batch: int,
    threads: int,
    on_gpu: bool,
    sequential: Callable[[], Iterator[Completion]],
) -> Completions:
    """Prompts (token ids) checked as one completion checks them, then run `width` at a time,
    or through `sequential()` (one after the other, on the engine's own context)."""
    available = n_ctx - reply_budget(params.max_tokens, n_ctx)
    for tokens in prompts:
        if not tokens:
            raise EnclaveError("The prompt is empty; write something to continue.")
        if len(tokens) > available:
            raise ContextOverflowError(len(tokens), available, n_ctx)
    if not prompts:
        return Completions(1, iter(()))
    per_sequence = sequence_size([len(t) for t in prompts], params.max_tokens, n_ctx)
    ratio = sum(map(len, prompts)) / len(prompts) / max(params.max_tokens, 1)
    width = choose_width(len(prompts), per_sequence, on_gpu, cell_bytes(model), kv_budget(), ratio)
    if width == 1:
        return Completions(1, sequential())
    results = run_parallel(
        model, prompts, params, end, cancel,
        width=width, n_ctx=n_ctx, threads=threads, n_batch=n_batch, mixed_steps=on_gpu,
    )  # fmt: skip
    return Completions(width, results)


@dataclass(eq=False)
class _Sequence:
    index: int
    tokens: list[int]
    slot: int
    limit: int  # tokens it may generate (the sequential decoder's limit)
    sampler: SamplerChain
    assembler: TextAssembler
    loops: LoopGuard | None
    started: float
    fed: int = 0  # prompt tokens evaluated so far
    pending: int | None = None  # sampled and shown, not yet fed back
    generated: int = 0
    pieces: list[str] = field(default_factory=list)
    reason: StopReason | None = None  # set when it has ended
    prompt_s: float = 0.0
    t_first: float = 0.0
    t_last: float = 0.0

    @property
    def position(self) -> int:
        return self.fed + max(self.generated - 1, 0)


class _Context:
    """A context with `width` sequences of `per_sequence` cells each, and its token batch."""

    def __init__(
        self, model: NativeModel, width: int, per_sequence: int, threads: int, n_batch: int
    ) -> None:
        params = llama.llama_context_default_params()
        params.n_ctx = width * per_sequence
        params.n_batch = params.n_ubatch = n_batch
        params.n_threads = params.n_threads_batch = threads
        params.n_seq_max = width
        params.kv_unified = False  # each sequence attends only to its own cells
        params.swa_full = False  # no prefix is reused here: sliding layers keep their window
        params.no_perf = True
        take_recent_errors()
        ptr = llama.llama_init_from_model(model.ptr, params)
        if not ptr:
            raise ModelError(
                f"Could not create a context for {width} parallel sequences "
                f"({take_recent_errors() or 'out of memory?'})."
            )
        self.ptr = ptr
        self.memory = llama.llama_get_memory(ptr)
        self.n_batch = n_batch
        self.batch = llama.llama_batch_init(n_batch, 0, 1)
        self._abort: CancelToken | None = None
        self._callback = llama.ggml_abort_callback(lambda _data: self._should_abort())

    def _should_abort(self) -> bool:
        return self._abort is not None and self._abort.cancelled

    def add(self, at: int, token: int, pos: int, slot: int, logits: bool) -> None:
        batch = self.batch
        batch.token[at] = token
        batch.pos[at] = pos
        batch.n_seq_id[at] = 1
        batch.seq_id[at][0] = slot
        batch.logits[at] = logits

    def decode(self, n_tokens: int, cancel: CancelToken | None) -> bool:
        """Evaluate the batch's first n_tokens; False when Stop aborted it (`cancel` given)."""
        self.batch.n_tokens = n_tokens
        self._abort = cancel
        callback = self._callback if cancel is not None else ctypes.cast(None, type(self._callback))
        llama.llama_set_abort_callback(self.ptr, callback, ctypes.c_void_p(0))
        code = llama.llama_decode(self.ptr, self.batch)
        if code == 2 and cancel is not None:
            return False
        if code != 0:
            detail = take_recent_errors()
            raise ModelError(
                f"The model failed while generating (llama_decode returned {code}"
                f"{'; ' + detail if detail else ''}); try again or reload the model."
            )
        return True

    def sample(self, sampler: SamplerChain, at: int) -> int:
        return int(llama.llama_sampler_sample(sampler.ptr, self.ptr, at))

    def forget(self, slot: int) -> None:
        llama.llama_memory_seq_rm(self.memory, slot, -1, -1)

    def close(self) -> None:
        if self.ptr:
            llama.llama_batch_free(self.batch)
            llama.llama_free(self.ptr)
            self.ptr = None


def run_parallel(
    model: NativeModel,
    prompts: Sequence[list[int]],
    params: GenerationParams,
    end: ReplyEnd,
    cancel: CancelToken,
    *,
    width: int,
    n_ctx: int,
    threads: int,
    n_batch: int,
    mixed_steps: bool = False,
) -> Iterator[Completion]:
    """Complete `prompts` (token ids) `width` at a time; yield (index, text, stats) as each ends.

    `n_ctx` is the sequential context: a sequence may generate as much as it would there.
    `mixed_steps`: prompt pieces share a step with the decoding sequences' tokens (GPU).
    """
    per_sequence = sequence_size([len(t) for t in prompts], params.max_tokens, n_ctx)
    ctx = _Context(model, width, per_sequence, threads, max(n_batch, width))
    waiting = deque(enumerate(prompts))
    free = list(range(width - 1, -1, -1))  # slot 0 first
    running: list[_Sequence] = []
    try:
        while waiting or running:
            while free and waiting:
                index, tokens = waiting.popleft()
                running.append(_start(index, tokens, free.pop(), params, end, n_ctx, model))
            if cancel.cancelled:
                return
            outputs, prefill = _fill(ctx, running, mixed_steps)
            if not ctx.decode(len(outputs), cancel if prefill else None):
                return
            for at, seq in outputs:
                if seq is not None:
                    _advance(ctx, model, seq, at, params, end)
            for seq in [s for s in running if s.reason is not None]:
                running.remove(seq)
                seq.sampler.close()
                ctx.forget(seq.slot)
                free.append(seq.slot)
                yield seq.index, "".join(seq.pieces), _stats(seq)
    finally:
        for seq in running:
            seq.sampler.close()
        ctx.close()


def _start(
    index: int,
    tokens: list[int],
    slot: int,
    params: GenerationParams,
    end: ReplyEnd,
    n_ctx: int,
    model: NativeModel,
) -> _Sequence:
    return _Sequence(
        index=index,
        tokens=tokens,
        slot=slot,
        limit=max(0, min(params.max_tokens, n_ctx - len(tokens))),
        sampler=SamplerChain(params, model.n_vocab),
        assembler=TextAssembler(end.stops, turn_starts=end.turn_starts),
        loops=LoopGuard() if end.stop_on_loops else None,
        started=perf_counter(),
    )


_Outputs = list[tuple[int, "_Sequence | None"]]


def _fill(ctx: _Context, running: list[_Sequence], mixed: bool) -> tuple[_Outputs, bool]:
    """The batch of one step; returns (batch index, the sequence whose logits it holds, or
    None) and whether a prompt piece is in it. `mixed`: every decoding sequence's next token,
    and prompt pieces in the room left; else the next piece of one prompt while any is left
    (the decoding sequences wait), then the decoding sequences' tokens.

    Tokens go in slot order: llama.cpp splits a batch into ubatches of consecutive sequence
    ids, so out of order each sequence would cost a pass over the weights of its own.
    """
    outputs: _Outputs = []
    room = ctx.n_batch - sum(seq.pending is not None for seq in running)
    prefill = False
    ordered = sorted(running, key=lambda s: s.slot)
    if not mixed:
        prompt_left = [s for s in ordered if s.pending is None and s.fed < len(s.tokens)]
        if prompt_left:
            ordered, room = prompt_left[:1], ctx.n_batch
    for seq in ordered:
        if seq.pending is not None:
            ctx.add(len(outputs), seq.pending, seq.position, seq.slot, True)
            outputs.append((len(outputs), seq))
            seq.pending = None
            continue
        piece = seq.tokens[seq.fed : seq.fed + max(room, 0)]
        for offset, token in enumerate(piece):
            last = seq.fed + offset == len(seq.tokens) - 1
            ctx.add(len(outputs), token, seq.fed + offset, seq.slot, last)
            outputs.append((len(outputs), seq if last else None))
        seq.fed += len(piece)
        room -= len(piece)
        prefill = prefill or bool(piece)
    return outputs, prefill


def _advance(
    ctx: _Context,
    model: NativeModel,
    seq: _Sequence,
    at: int,
    params: GenerationParams,
    end: ReplyEnd,
) -> None:
    """One step of a sequence, with the rules and order of the sequential decoder."""
    now = perf_counter()
    if seq.generated == 0:
        seq.prompt_s = now - seq.started
        if seq.limit <= 0:
            _end(seq, "length")
            return
    token = ctx.sample(seq.sampler, at)
    seq.t_first = seq.t_first or now
    if not params.ignore_eos and (model.is_eog(token) or token in end.stop_ids):
        _end(seq, "stop")
        return
    seq.generated += 1
    seq.t_last = now
    text = seq.assembler.push(model.piece(token))
    seq.pieces.append(text)
    if seq.assembler.stopped:
        _end(seq, "stop")
    elif seq.loops is not None and seq.loops.push(text):
        _end(seq, "loop")
    elif seq.generated >= seq.limit:
        _end(seq, "length")
    else:
        seq.pending = token


def _end(seq: _Sequence, reason: StopReason) -> None:
    seq.reason = reason
    seq.pieces.append(seq.assembler.flush())


def _stats(seq: _Sequence) -> GenerationStats:
    stats = GenerationStats(
        prompt_tokens=len(seq.tokens),
        prompt_tokens_evaluated=len(seq.tokens),
        generated_tokens=seq.generated,
        stop_reason=seq.reason or "stop",
        total_s=perf_counter() - seq.started,
    )
    if seq.prompt_s > 0:
        stats.prompt_tokens_per_s = len(seq.tokens) / seq.prompt_s
    if seq.t_first:
        stats.time_to_first_token_s = seq.t_first - seq.started
    if seq.generated > 1 and seq.t_last > seq.t_first:
        stats.decode_tokens_per_s = (seq.generated - 1) / (seq.t_last - seq.t_first)
    return stats
