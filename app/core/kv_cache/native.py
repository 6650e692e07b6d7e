"""llama.cpp's per-sequence state, as bytes: what a context holds for sequence 0, and back."""

from __future__ import annotations

import ctypes

import llama_cpp as llama

from app.core.llama_native import NativeContext

SEQ = 0  # the engine decodes on sequence 0 only


def state_size(ctx: NativeContext) -> int:
    return int(llama.llama_state_seq_get_size(ctx.ptr, SEQ))


def take_state(ctx: NativeContext) -> memoryview:
    """The keys and values of every cell of the sequence (and their positions)."""
    size = state_size(ctx)
    buffer = (ctypes.c_uint8 * size)()
    written = int(llama.llama_state_seq_get_data(ctx.ptr, buffer, size, SEQ))
    return memoryview(buffer).cast("B")[:written]


def put_state(ctx: NativeContext, payload: bytearray, n_tokens: int) -> bool:
    """Load `payload` into the (cleared) sequence; True only when the cache then holds exactly
    positions 0..n_tokens-1. llama.cpp's own return value is not enough: a load can report
    success and leave the cache short, and the prompt would then be evaluated in full (or
    worse, decoded against missing positions)."""
    ctx.clear()
    source = (ctypes.c_uint8 * len(payload)).from_buffer(payload)
    if not llama.llama_state_seq_set_data(ctx.ptr, source, len(payload), SEQ):
        ctx.clear()
        return False
    low = int(llama.llama_memory_seq_pos_min(ctx.memory, SEQ))
    high = int(llama.llama_memory_seq_pos_max(ctx.memory, SEQ))
    if (low, high) != (0, n_tokens - 1):
        ctx.clear()
        return False
    return True
