"""The model's shape, bounded by llama.cpp's own limits, before llama.cpp reads it.

llama.cpp stops with `GGML_ASSERT` (an abort of the whole process, not an error it returns) on
a few header values: a layer count of 0 or above LLAMA_MAX_LAYERS, more experts than
LLAMA_MAX_EXPERTS, experts of which none is used or more used than exist (each checked against
this llama.cpp in tests/fixtures/hostile/gguf). Enclave's own memory estimate loops once per
declared layer. Other sizes (context, widths, heads, vocabulary arrays, tensor shapes) llama.cpp
refuses at load with an error; refusing them here keeps such a file from being installed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from app.core.errors import ModelError

LLAMA_MAX_LAYERS = 512  # llama-hparams.h (513 aborts)
LLAMA_MAX_EXPERTS = 1024  # llama-hparams.h (this llama.cpp: 1025 aborts, 1024 does not)
MAX_CONTEXT = 1 << 27  # 134M tokens; the largest published models train on 10M
MAX_WIDTH = 1 << 20  # embedding, head and feed-forward sizes; real models stay under 64k
MAX_HEADS = 1 << 14
MAX_VOCAB = 1 << 22  # 4M entries; the largest vocabularies have 262k
_BLOCK = re.compile(r"blk\.(\d+)\.")
_FIX = "the file is corrupt or was edited — get the model again."

Tensor = tuple[str, tuple[int, ...], int, int]


def check_shape(
    label: str, arch: str, md: Mapping[str, Any], n_vocab: int | None, tensors: Sequence[Tensor]
) -> None:
    """Refuse a header whose sizes llama.cpp cannot take; `md` may hold skipped arrays."""
    n_layer = _scalar(label, md, f"{arch}.block_count", 1, LLAMA_MAX_LAYERS)
    _scalar(label, md, f"{arch}.context_length", 1, MAX_CONTEXT)
    n_embd = _scalar(label, md, f"{arch}.embedding_length", 1, MAX_WIDTH)
    key_length = _scalar(label, md, f"{arch}.attention.key_length", 1, MAX_WIDTH)
    _scalar(label, md, f"{arch}.attention.value_length", 1, MAX_WIDTH)
    # A window past 2^27 made llama.cpp die on std::bad_alloc.
    _scalar(label, md, f"{arch}.attention.sliding_window", 0, MAX_CONTEXT)
    _per_layer(label, md, f"{arch}.feed_forward_length", n_layer, MAX_WIDTH)
    heads = _per_layer(label, md, f"{arch}.attention.head_count", n_layer, MAX_HEADS)
    kv_heads = _per_layer(label, md, f"{arch}.attention.head_count_kv", n_layer, MAX_HEADS)
    _check_kv_heads(label, heads, kv_heads)
    widest = max(heads or [0])
    head_dim = key_length or (n_embd // widest if n_embd and widest else None)
    _check_rope(label, md, f"{arch}.rope.dimension_count", head_dim)
    _check_experts(label, md, arch)
    for key in ("attention.layer_norm_rms_epsilon", "attention.layer_norm_epsilon"):
        _check_epsilon(label, md, f"{arch}.{key}")
    _check_vocab(label, md, n_vocab)
    _check_tensors(label, tensors, n_layer, n_embd, n_vocab)


def _refuse(label: str, what: str) -> ModelError:
    return ModelError(f"{label}: {what}; {_FIX}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _scalar(label: str, md: Mapping[str, Any], key: str, low: int, high: int) -> int | None:
    if key not in md:
        return None
    value = md[key]
    if not _is_int(value):
        raise _refuse(label, f"{key} is {_show(value)}, not a whole number")
    if not low <= value <= high:
        raise _refuse(label, f"{key} is {value}, outside {low}–{high} (llama.cpp's limit)")
    return value


def _per_layer(
    label: str, md: Mapping[str, Any], key: str, n_layer: int | None, high: int
) -> list[int] | None:
    """A value given once for every layer, or as one value per layer."""
    if key not in md:
        return None
    value = md[key]
    values = list(value) if isinstance(value, tuple) else [value]
    if isinstance(value, tuple) and (
        len(values) > LLAMA_MAX_LAYERS or (n_layer is not None and len(values) != n_layer)
    ):
        raise _refuse(label, f"{key} has {len(values)} values for {n_layer} layers")
    if not values or not all(_is_int(v) and 0 <= v <= high for v in values):
        raise _refuse(label, f"{key} is {_show(value)}, outside 0–{high}")
    return values


def _check_kv_heads(label: str, heads: list[int] | None, kv_heads: list[int] | None) -> None:
    if heads is None or kv_heads is None:
        return
    n = max(len(heads), len(kv_heads))  # a single value applies to every layer
    if len(heads) not in (1, n) or len(kv_heads) not in (1, n):
        raise _refuse(label, "the per-layer head counts disagree in length")
    pairs = zip(heads * (n // len(heads)), kv_heads * (n // len(kv_heads)), strict=True)
    for n_head, n_kv in pairs:
        if n_kv and (n_kv > n_head or n_head % n_kv):  # 0 key/value heads: no attention
            raise _refuse(label, f"{n_head} attention heads cannot share {n_kv} key/value heads")


def _check_rope(label: str, md: Mapping[str, Any], key: str, head_dim: int | None) -> None:
    """RoPE turns 1 to head_dim dimensions: more aborts (GGML_ASSERT n_dims <= ne0), 0 hangs."""
    rot = _scalar(label, md, key, 1, MAX_WIDTH)
    if rot is not None and head_dim is not None and rot > head_dim:
        raise _refuse(label, f"{key} is {rot}, more than the {head_dim} of an attention head")


def _check_experts(label: str, md: Mapping[str, Any], arch: str) -> None:
    experts = _scalar(label, md, f"{arch}.expert_count", 0, LLAMA_MAX_EXPERTS) or 0
    used = _scalar(label, md, f"{arch}.expert_used_count", 0, LLAMA_MAX_EXPERTS) or 0
    if used > experts or (experts and not used):
        raise _refuse(label, f"it uses {used} of {experts} experts per token")


def _check_epsilon(label: str, md: Mapping[str, Any], key: str) -> None:
    """llama.cpp asserts `eps >= 0` in every normalisation (NaN fails it too)."""
    value = md.get(key)
    if value is not None and not (isinstance(value, float) and value >= 0.0):
        raise _refuse(label, f"{key} is {_show(value)}, not a number of 0 or more")


def _check_vocab(label: str, md: Mapping[str, Any], n_vocab: int | None) -> None:
    if md.get("tokenizer.ggml.model") == "bert":  # WordPiece: llama.cpp aborts decoding it
        raise ModelError(
            f"{label} has a BERT (WordPiece) vocabulary, which only embedding models use; "
            f"Enclave chats with generative models — choose one (a GGUF of Llama, Qwen, Gemma, "
            f"Mistral, Phi, …)."
        )
    if n_vocab is None:
        return
    if n_vocab > MAX_VOCAB:
        raise _refuse(label, f"its vocabulary has {n_vocab} entries, over {MAX_VOCAB}")
    for key in ("tokenizer.ggml.scores", "tokenizer.ggml.token_type"):
        value = md.get(key)
        if value is not None and (not hasattr(value, "__len__") or len(value) != n_vocab):
            count = len(value) if hasattr(value, "__len__") else _show(value)
            raise _refuse(label, f"{key} has {count} entries for {n_vocab} tokens")


def _check_tensors(
    label: str,
    tensors: Sequence[Tensor],
    n_layer: int | None,
    n_embd: int | None,
    n_vocab: int | None,
) -> None:
    for name, dims, _type, _offset in tensors:
        block = _BLOCK.match(name)
        if block and n_layer is not None and int(block.group(1)) >= n_layer:
            raise _refuse(label, f"tensor {name!r} belongs to a layer past the {n_layer} declared")
        if name == "token_embd.weight" and len(dims) >= 2:
            expected = (n_embd or dims[0], n_vocab or dims[1])
            if tuple(dims[:2]) != expected:
                raise _refuse(
                    label,
                    f"tensor {name!r} has shape {dims[:2]} but the header declares "
                    f"{expected[0]} × {expected[1]}",
                )


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
