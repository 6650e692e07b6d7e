"""llama.cpp's context state as bytes: what the context holds, and back.

The whole context's state, not the sequence's (`llama_state_seq_*`): the engine's context has
one sequence, so they hold the same tokens, but a sequence's state leaves out the cells of
sliding-window layers that are outside the window (Gemma 3: all but the last 512 positions).
Restored from it, the cache can only go on from its end; a prompt that differs a little before
the end (a regenerated answer, a reply tokenized differently as history) would attend to
positions it lacks. The whole state keeps every cell (the context has `swa_full`).
"""

from __future__ import annotations

import ctypes

import llama_cpp as llama

from app.core.llama_native import NativeContext

SEQ = 0  # the engine decodes on sequence 0 only


def state_size(ctx: NativeContext) -> int:
    return int(llama.llama_state_get_size(ctx.ptr))


def take_state(ctx: NativeContext) -> memoryview:
    """The keys and values of every cell, their positions, and the last logits."""
    size = state_size(ctx)
    buffer = (ctypes.c_uint8 * size)()
    written = int(llama.llama_state_get_data(ctx.ptr, buffer, size))
    return memoryview(buffer).cast("B")[:written]


def put_state(ctx: NativeContext, payload: memoryview, n_tokens: int) -> bool:
    """Load `payload`; True only when the cache then holds exactly positions 0..n_tokens-1
    for every layer. llama.cpp's own return value is not enough: a load can report success
    and leave the cache short, and the prompt would then be evaluated in full, or decoded
    against missing positions."""
    ctx.clear()
    source = (ctypes.c_uint8 * len(payload)).from_buffer(payload)
    if not llama.llama_state_set_data(ctx.ptr, source, len(payload)):
        ctx.clear()
        return False
    low = int(llama.llama_memory_seq_pos_min(ctx.memory, SEQ))  # sliding-window layers' first
    high = int(llama.llama_memory_seq_pos_max(ctx.memory, SEQ))
    if (low, high) != (0, n_tokens - 1):
        ctx.clear()
        return False
    return True
