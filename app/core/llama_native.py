"""Thin wrappers over llama.cpp's C API, reached through llama-cpp-python's ctypes bindings.

Decoding and sampling stay inside llama.cpp: Python only hands over token ids and gets one
token id back per step, so nothing copies the vocabulary-sized logits (262k floats for Gemma)
into Python. llama.cpp's log output is routed into Python logging instead of stderr.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

import llama_cpp as llama

from app.core.types import GenerationParams

_log = logging.getLogger("app.core.llama")
# ggml log levels: 1 debug, 2 info, 3 warn, 4 error, 5 continuation of the previous line.
# llama.cpp is chatty; its errors are turned into ModelError messages, so nothing here needs
# to reach the user's terminal directly.
_LEVELS = {1: logging.DEBUG, 2: logging.DEBUG, 3: logging.DEBUG, 4: logging.INFO}
_recent_errors: deque[str] = deque(maxlen=8)
_last_level = logging.DEBUG
_init_lock = threading.Lock()
_initialised = False
PENALTY_LAST_N = 64


@llama.llama_log_callback
def _forward_log(level: int, text: bytes | None, _user_data: ctypes.c_void_p) -> None:
    global _last_level
    py_level = _last_level if level == 5 else _LEVELS.get(level, logging.DEBUG)
    _last_level = py_level
    line = (text or b"").decode("utf-8", errors="replace").strip()
    if not line:
        return
    if level == 4 or (level == 5 and py_level == logging.INFO):
        _recent_errors.append(line)
    _log.log(py_level, "%s", line)


def init_backend() -> None:
    """Route llama.cpp's logs to Python logging and initialise its backends, once."""
    global _initialised
    with _init_lock:
        if _initialised:
            return
        llama.llama_log_set(_forward_log, ctypes.c_void_p(0))
        llama.llama_backend_init()
        _initialised = True


def take_recent_errors() -> str:
    """The last error lines llama.cpp logged (cleared on read), for error messages."""
    lines = list(_recent_errors)
    _recent_errors.clear()
    return "; ".join(lines[-2:])


def gpu_offload_supported() -> bool:
    return bool(llama.llama_supports_gpu_offload())


class NativeError(RuntimeError):
    """llama.cpp refused an operation; the message carries its last logged error."""


class NativeAborted(NativeError):
    """A decode or a model load stopped part-way because its check said so (Stop)."""


_NO_ABORT = ctypes.cast(None, llama.ggml_abort_callback)


class NativeModel:
    """A loaded model (weights and vocabulary).

    `progress(fraction)` is called by llama.cpp as the weights load (0..1, ending at 1.0);
    returning False aborts the load cleanly, which raises NativeAborted here.
    """

    def __init__(
        self,
        path: Path,
        gpu_layers: int,
        *,
        vocab_only: bool = False,
        progress: Callable[[float], bool] | None = None,
    ) -> None:
        params = llama.llama_model_default_params()
        params.n_gpu_layers = gpu_layers
        params.vocab_only = vocab_only  # the tokenizer alone (tests of tokenization)
        refused: list[bool] = []
        if progress is not None:

            def report(fraction: float, _data: ctypes.c_void_p) -> bool:
                try:
                    go_on = bool(progress(float(fraction)))
                except Exception:  # an exception cannot cross into C: keep loading, say why
                    _log.exception("the load progress callback failed")
                    go_on = True
                if not go_on:
                    refused.append(True)
                return go_on

            callback = llama.llama_progress_callback(report)  # alive until the load returns
            params.progress_callback = callback
            params.progress_callback_user_data = ctypes.c_void_p(0)
        take_recent_errors()
        ptr = llama.llama_model_load_from_file(os.fsencode(path), params)
        if not ptr:
            if refused:
                take_recent_errors()
                raise NativeAborted("the load was cancelled")
            raise NativeError(take_recent_errors() or "unknown error")
        self.ptr = ptr
        self.vocab = llama.llama_model_get_vocab(ptr)
        self.n_vocab = int(llama.llama_vocab_n_tokens(self.vocab))
        self.n_layer = int(llama.llama_model_n_layer(ptr))
        self.n_params = int(llama.llama_model_n_params(ptr))
        self.n_ctx_train = int(llama.llama_model_n_ctx_train(ptr))
        self._piece_buf = ctypes.create_string_buffer(256)
        self._pieces: dict[int, bytes] = {}

    def tokenize(self, text: str, *, add_special: bool, parse_special: bool) -> list[int]:
        data = text.encode("utf-8")
        capacity = len(data) + 8
        while True:
            out = (llama.llama_token * capacity)()
            n = llama.llama_tokenize(
                self.vocab, data, len(data), out, capacity, add_special, parse_special
            )
            if n >= 0:
                return list(out[:n])
            capacity = -n

    def piece(self, token: int) -> bytes:
        """The bytes of one token (special tokens render as nothing); cached per token."""
        cached = self._pieces.get(token)
        if cached is not None:
            return cached
        n = llama.llama_token_to_piece(self.vocab, token, self._piece_buf, 256, 0, False)
        if n < 0:
            big = ctypes.create_string_buffer(-n)
            n = llama.llama_token_to_piece(self.vocab, token, big, -n, 0, False)
            value = big.raw[:n]
        else:
            value = self._piece_buf.raw[:n]
        self._pieces[token] = value
        return value

    def attributes(self, token: int) -> int:
        """llama.cpp's LLAMA_TOKEN_ATTR_* flags of a token."""
        return int(llama.llama_vocab_get_attr(self.vocab, token))

    def is_eog(self, token: int) -> bool:
        return bool(llama.llama_vocab_is_eog(self.vocab, token))

    def special_token(self, text: str) -> int | None:
        """The id of `text` when the vocabulary has it as one control/end token, else None."""
        tokens = self.tokenize(text, add_special=False, parse_special=True)
        if len(tokens) != 1:
            return None
        token = tokens[0]
        if llama.llama_vocab_is_control(self.vocab, token) or self.is_eog(token):
            return token
        return None

    def token_text(self, token: int) -> str:
        raw = llama.llama_vocab_get_text(self.vocab, token)
        return raw.decode("utf-8", errors="replace") if raw else ""

    @property
    def bos_token(self) -> int:
        return int(llama.llama_vocab_bos(self.vocab))

    @property
    def adds_bos(self) -> bool:
        """Whether a prompt should start with the BOS token (the vocabulary says so)."""
        return bool(llama.llama_vocab_get_add_bos(self.vocab)) and self.bos_token >= 0

    @property
    def eos_token(self) -> int:
        return int(llama.llama_vocab_eos(self.vocab))

    def close(self) -> None:
        if self.ptr:
            llama.llama_model_free(self.ptr)
            self.ptr = None


class NativeContext:
    """One inference context (KV cache) on sequence 0, with a reusable token batch."""

    def __init__(self, model: NativeModel, n_ctx: int, n_batch: int, threads: int) -> None:
        params = llama.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = n_batch
        params.n_ubatch = n_batch
        params.n_threads = threads
        params.n_threads_batch = threads
        params.n_seq_max = 1
        # Keep the full window for sliding-window layers too (Gemma 3), so that any cached
        # prefix can be reused after removing the tail of the cache.
        params.swa_full = True
        params.no_perf = True
        take_recent_errors()
        ptr = llama.llama_init_from_model(model.ptr, params)
        if not ptr:
            raise NativeError(take_recent_errors() or "could not create the context")
        self.ptr = ptr
        self.memory = llama.llama_get_memory(ptr)
        self.n_ctx = int(llama.llama_n_ctx(ptr))
        self.n_batch = int(llama.llama_n_batch(ptr))
        self._batch = llama.llama_batch_init(self.n_batch, 0, 1)
        for i in range(self.n_batch):  # every token belongs to sequence 0
            self._batch.n_seq_id[i] = 1
            self._batch.seq_id[i][0] = 0
        self._abort_check: Callable[[], bool] | None = None
        self._abort_callback = llama.ggml_abort_callback(self._should_abort)  # kept alive here

    def _should_abort(self, _data: ctypes.c_void_p) -> bool:
        check = self._abort_check
        return bool(check is not None and check())

    def set_abort_check(self, check: Callable[[], bool] | None) -> None:
        """While set, llama.cpp asks `check` between the steps of a decode and stops early.

        Called once per graph node, so it is set only while a prompt is evaluated (a long
        batch), not for the one-token decodes of a reply. CPU backends honour it; others
        finish the batch.
        """
        self._abort_check = check
        callback = self._abort_callback if check is not None else _NO_ABORT
        llama.llama_set_abort_callback(self.ptr, callback, ctypes.c_void_p(0))

    def decode(self, tokens: Sequence[int], start_pos: int, *, logits_last: bool) -> None:
        """Evaluate at most n_batch tokens at positions start_pos…; logits only for the last."""
        batch = self._batch
        count = len(tokens)
        for i, token in enumerate(tokens):
            batch.token[i] = token
            batch.pos[i] = start_pos + i
            batch.logits[i] = 0
        if logits_last:
            batch.logits[count - 1] = 1
        batch.n_tokens = count
        self._check(llama.llama_decode(self.ptr, batch))

    def decode_one(self, token: int, pos: int) -> None:
        batch = self._batch
        batch.token[0] = token
        batch.pos[0] = pos
        batch.logits[0] = 1
        batch.n_tokens = 1
        self._check(llama.llama_decode(self.ptr, batch))

    def _check(self, code: int) -> None:
        if code == 2 and self._abort_check is not None:  # llama.cpp: "aborted"
            raise NativeAborted("the decode was stopped")
        if code != 0:
            detail = take_recent_errors()
            raise NativeError(f"llama_decode returned {code}" + (f" ({detail})" if detail else ""))

    def remove_from(self, pos: int) -> bool:
        """Drop cached positions >= pos; False when llama.cpp cannot cut there."""
        return bool(llama.llama_memory_seq_rm(self.memory, 0, pos, -1))

    def clear(self) -> None:
        llama.llama_memory_clear(self.memory, True)

    def close(self) -> None:
        if self.ptr:
            llama.llama_batch_free(self._batch)
            llama.llama_free(self.ptr)
            self.ptr = None


class SamplerChain:
    """llama.cpp's native sampler chain for one reply.

    Order: top-k first (cheap, and it keeps the repetition penalty off the full vocabulary),
    then repetition penalty, top-p, min-p, temperature, and a seeded draw; greedy at
    temperature 0.
    """

    def __init__(self, params: GenerationParams, n_vocab: int) -> None:
        chain_params = llama.llama_sampler_chain_default_params()
        chain_params.no_perf = True
        self.ptr = llama.llama_sampler_chain_init(chain_params)
        add = self._add
        if params.top_k > 0:
            add(llama.llama_sampler_init_top_k(params.top_k))
        if params.repeat_penalty != 1.0:
            penalty = params.repeat_penalty
            add(llama.llama_sampler_init_penalties(n_vocab, PENALTY_LAST_N, penalty, 0.0, 0.0))
        if params.temperature <= 0:
            add(llama.llama_sampler_init_greedy())
            return
        if 0 < params.top_p < 1:
            add(llama.llama_sampler_init_top_p(params.top_p, 1))
        if params.min_p > 0:
            add(llama.llama_sampler_init_min_p(params.min_p, 1))
        add(llama.llama_sampler_init_temp(params.temperature))
        seed = llama.LLAMA_DEFAULT_SEED if params.seed is None else params.seed & 0xFFFFFFFF
        add(llama.llama_sampler_init_dist(seed))

    def _add(self, sampler: object) -> None:
        llama.llama_sampler_chain_add(self.ptr, sampler)

    def sample(self, ctx: NativeContext) -> int:
        """Pick the next token from the last logits (and record it for the penalties)."""
        return int(llama.llama_sampler_sample(self.ptr, ctx.ptr, -1))

    def close(self) -> None:
        if self.ptr:
            llama.llama_sampler_free(self.ptr)
            self.ptr = None
