"""The decode loop: one llama.cpp context, its KV cache, and the tokens it holds.

The decoder remembers which tokens the KV cache holds; a new prompt is evaluated only from
where it stops matching (the shared prefix of a conversation is reused), in n_batch chunks.
Each generated token is one native sample plus one native decode; Stop is checked between
tokens, so it takes effect before the next one is made.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Sequence
from time import perf_counter

from app.core.errors import ModelError
from app.core.kv_cache.native import put_state
from app.core.llama_native import (
    NativeAborted,
    NativeContext,
    NativeError,
    NativeModel,
    SamplerChain,
)
from app.core.loop_guard import LoopGuard
from app.core.reply_end import ReplyEnd
from app.core.token_stream import TextAssembler
from app.core.types import CancelToken, GenerationParams, GenerationStats, StopReason

_log = logging.getLogger(__name__)


class Decoder:
    def __init__(self, model: NativeModel, ctx: NativeContext) -> None:
        self.model = model
        self.ctx = ctx
        self.cached: list[int] = []  # tokens whose keys/values the context holds, in order

    def clear(self) -> None:
        self.ctx.clear()
        self.cached.clear()

    def restore(self, tokens: Sequence[int], state: memoryview) -> bool:
        """Replace the cache with a saved state of `tokens` (see app.core.kv_cache); False,
        with the cache empty, when llama.cpp does not hold exactly those positions after."""
        self.cached.clear()
        if not put_state(self.ctx, state, len(tokens)):
            return False
        self.cached.extend(tokens)
        return True

    def reuse_prefix(self, tokens: Sequence[int], *, evaluate_last: bool = True) -> int:
        """Keep the cached tokens shared with `tokens`; return how many are reused. The last
        token of a prompt is evaluated again (`evaluate_last`): its logits pick the first token
        of the reply."""
        ctx = self.ctx
        cached = self.cached
        limit = min(len(cached), len(tokens) - 1 if evaluate_last else len(tokens))
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

    def extend(self, tokens: Sequence[int], cancel: CancelToken | None = None) -> bool:
        """Evaluate tokens[len(cached):] onto the cache outside a reply (the next turn's
        opening); False when `cancel` came first (the cache as it was) or llama.cpp failed
        (the cache cleared)."""
        try:
            return self._evaluate(
                tokens, len(self.cached), cancel or CancelToken(), GenerationStats()
            )
        except NativeError:
            self.clear()
            return False

    def _evaluate(
        self, tokens: Sequence[int], start: int, cancel: CancelToken, stats: GenerationStats
    ) -> bool:
        """Evaluate tokens[start:] in n_batch chunks; False when Stop came first.

        Stop is checked between chunks and, through llama.cpp's abort callback, inside each
        one. An aborted chunk leaves nothing of itself in the cache (cut back to be sure), so
        the cache still holds exactly `self.cached`.
        """
        ctx = self.ctx
        ctx.set_abort_check(lambda: cancel.cancelled)
        try:
            for at in range(start, len(tokens), ctx.n_batch):
                if cancel.cancelled:
                    return False
                chunk = tokens[at : at + ctx.n_batch]
                try:
                    ctx.decode(chunk, at, logits_last=at + len(chunk) == len(tokens))
                except NativeAborted:
                    if not ctx.remove_from(len(self.cached)):
                        self.clear()
                    return False
                self.cached.extend(chunk)
                stats.prompt_tokens_evaluated += len(chunk)
            return True
        finally:
            ctx.set_abort_check(None)

    def run(
        self,
        tokens: list[int],
        params: GenerationParams,
        cancel: CancelToken,
        end: ReplyEnd,
        stats: GenerationStats,
        started: float,
        strip_leading: bool,
    ) -> Generator[str, None, None]:
        """Evaluate the prompt, then stream the reply; it ends at an end-of-generation token,
        one of `end.stop_ids` (the template's markers, checked by id: they have no text), a
        stop string, a turn start, a loop, the token limit or Stop (see reply_end)."""
        model, ctx = self.model, self.ctx
        assembler = TextAssembler(
            end.stops, strip_leading=strip_leading, turn_starts=end.turn_starts
        )
        loops = LoopGuard() if end.stop_on_loops else None
        stop_ids = end.stop_ids
        limit = max(0, min(params.max_tokens, ctx.n_ctx - len(tokens)))
        reason: StopReason = "stop"
        generated = 0
        t_first = t_last = 0.0
        sampler: SamplerChain | None = None
        try:
            reused = self.reuse_prefix(tokens)
            t_eval = perf_counter()
            if not self._evaluate(tokens, reused, cancel, stats):
                reason = "cancelled"
                return
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
                    ctx.decode_one(pending, len(self.cached))
                    self.cached.append(pending)
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
                if loops is not None and loops.push(text):
                    reason = "loop"
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
            self.clear()  # the cache state is unknown after a failed decode
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
