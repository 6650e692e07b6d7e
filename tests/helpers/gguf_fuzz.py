"""Structured mutations of real GGUF models, kept as small JSON recipes.

A recipe names a seed model and a list of edits: a metadata value set (to any type), an array
resized, a key dropped or repeated, a tensor's shape, type, offset or name changed, the header's
counts made to lie. Applying it to the seed gives the file; the recipe (a few hundred bytes) is
what a regression fixture keeps, never the 253 MB file it makes.

Seeds: `smol` (tests/helpers/gguf_build.write_smol, no chat template), `smol-chat` (with its
ChatML template) and `bundled` (the default Gemma 3 model; written with its tensor data as a
sparse run of zeros unless the weights are needed).
"""

from __future__ import annotations

import copy
import functools
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from tests.helpers.gguf_build import GgufParts, Value, write_smol

SEEDS = ("smol", "smol-chat", "bundled")
U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
_INTS = (0, 1, 2, 3, 4, 7, 255, 256, 511, 512, 513, 65535, 1 << 16, 1 << 24, 1 << 30,
         (1 << 31) - 1, (1 << 32) - 1, 1 << 40, 1 << 63, (1 << 64) - 1, -1)  # fmt: skip
_FLOATS = (0.0, -1.0, 1e-30, 1e38, math.inf, math.nan)
_STRINGS = ("", "llama", "gpt2", "gemma3", "bert", "t5", "none", "{{", "\udcff", "x" * 5000)
_ARCH_KEYS = (
    "block_count", "context_length", "embedding_length", "feed_forward_length",
    "attention.head_count", "attention.head_count_kv", "attention.key_length",
    "attention.value_length", "rope.dimension_count", "expert_count", "expert_used_count",
    "attention.sliding_window", "attention.layer_norm_rms_epsilon", "rope.freq_base",
    "vocab_size", "attention.sliding_window_pattern",
)  # fmt: skip
_OTHER_KEYS = (
    "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
    "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id",
    "tokenizer.ggml.model", "tokenizer.ggml.pre", "general.alignment",
    "general.architecture", "general.file_type", "tokenizer.ggml.add_bos_token",
)  # fmt: skip
_TENSOR_TYPES = (0, 1, 2, 3, 6, 7, 8, 10, 12, 14, 15, 16, 20, 24, 26, 27, 28, 30, 39, 40, 1 << 31)


# -- seeds ------------------------------------------------------------------------------------
_bundled: list[Path] = []


def use_bundled(path: Path) -> None:
    """The default model file the `bundled` seed reads (the tests' `model_path`)."""
    _bundled[:] = [path]


@functools.cache
def seed_path(name: str) -> Path:
    if name == "bundled":
        return _bundled[0]
    folder = Path(tempfile.mkdtemp(prefix="enclave-fuzz-"))
    template = {} if name == "smol-chat" else {"chat_template": None}
    return write_smol(folder / f"{name}.gguf", **template)


@functools.cache
def seed_parts(name: str) -> GgufParts:
    return GgufParts.read(seed_path(name))


# -- applying a recipe ------------------------------------------------------------------------
def build(recipe: dict[str, Any], path: Path, *, weights: bool) -> Path:
    """Write the file a recipe describes; `weights` copies the seed's real tensor data."""
    base = seed_parts(recipe["seed"])
    parts = GgufParts(
        base.version, dict(base.kv), [copy.copy(t) for t in base.tensors], base.source,
        base.data_offset,
    )  # fmt: skip
    for op in recipe["ops"]:
        _apply(parts, op)
    return parts.write(path, copy_weights=weights or recipe["seed"] != "bundled")


def _apply(parts: GgufParts, op: dict[str, Any]) -> None:
    kind, key = op["op"], op.get("key", "")
    if kind == "set":
        parts.kv[key] = Value(op["vtype"], _typed(op["vtype"], op["value"]))
    elif kind == "array":
        old = parts.kv.get(key)
        items = list(old.value) if old is not None and old.vtype == ARRAY else [1]
        etype = old.etype if old is not None and old.vtype == ARRAY else U32
        items = (items * (op["length"] // max(len(items), 1) + 1))[: op["length"]]
        parts.kv[key] = Value(ARRAY, items, etype)
    elif kind == "drop":
        parts.kv.pop(key, None)
    elif kind == "dup" and key in parts.kv:
        parts.extra.append((key, parts.kv[key]))
    elif kind == "tensor":
        tensor = parts.tensors[op["index"] % len(parts.tensors)]
        field, value = op["field"], op["value"]
        if field == "dim":
            tensor.dims = list(tensor.dims)
            tensor.dims[op["dim"] % len(tensor.dims)] = value
        elif field == "ndims":
            tensor.dims = (list(tensor.dims) + [1] * 8)[:value]
        elif field == "offset":
            tensor.offset = max(0, tensor.offset + value)
        else:
            setattr(tensor, field, value)
    elif kind == "count":
        current = len(parts.kv) + len(parts.extra) if op["field"] == "n_kv" else len(parts.tensors)
        setattr(parts, op["field"], max(0, current + op["delta"]))


def _typed(vtype: int, value: Any) -> Any:
    if vtype == STRING:
        return value if isinstance(value, str) else str(value)
    if vtype in (F32, F64):
        return float(value) if not isinstance(value, str) else 0.0
    if vtype == BOOL:
        return bool(value)
    return int(value) if isinstance(value, int | float) and math.isfinite(value) else 0


# -- drawing recipes --------------------------------------------------------------------------
@st.composite
def recipes(draw: st.DrawFn, seeds: tuple[str, ...] = SEEDS) -> dict[str, Any]:
    seed = draw(st.sampled_from(seeds), label="seed")
    parts = seed_parts(seed)
    arch = parts.kv["general.architecture"].value
    keys = sorted(set(parts.kv) | {f"{arch}.{k}" for k in _ARCH_KEYS} | set(_OTHER_KEYS))
    arrays = sorted(k for k, v in parts.kv.items() if v.vtype == ARRAY)
    arrays += [f"{arch}.attention.head_count", f"{arch}.attention.head_count_kv"]
    n_layer = parts.kv[f"{arch}.block_count"].value
    ops = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(("set", "set", "set", "array", "drop", "dup", "tensor",
                                     "tensor", "count")))  # fmt: skip
        if kind == "set":
            key = draw(st.sampled_from(keys))
            own = parts.kv[key].vtype if key in parts.kv else U32
            # Mostly the key's own type (a value llama.cpp reads), sometimes another one.
            vtype = draw(st.sampled_from((own, own, own, U32, I32, U64, F32, BOOL, STRING)))
            vtype = U32 if vtype == ARRAY else vtype
            if vtype == STRING:
                value: Any = draw(st.sampled_from(_STRINGS))
            elif vtype in (F32, F64):
                value = draw(st.sampled_from(_FLOATS))
            else:
                value = draw(st.sampled_from(_INTS) | st.integers(0, 1024))
            ops.append({"op": "set", "key": key, "vtype": vtype, "value": value})
        elif kind == "array":
            length = draw(st.sampled_from((0, 1, 2, n_layer - 1, n_layer + 1, 600)))
            ops.append({"op": "array", "key": draw(st.sampled_from(arrays)), "length": length})
        elif kind in ("drop", "dup"):
            ops.append({"op": kind, "key": draw(st.sampled_from(sorted(parts.kv)))})
        elif kind == "tensor":
            ops.append(draw(_tensor_op(len(parts.tensors))))
        else:
            ops.append({"op": "count", "field": draw(st.sampled_from(("n_kv", "n_tensors"))),
                        "delta": draw(st.sampled_from((-1, 1, -(1 << 20))))})  # fmt: skip
    return {"seed": seed, "ops": ops}


@st.composite
def _tensor_op(draw: st.DrawFn, n_tensors: int) -> dict[str, Any]:
    index = draw(st.integers(0, n_tensors - 1))
    field = draw(st.sampled_from(("dim", "dim", "ndims", "ttype", "offset", "name")))
    if field == "dim":
        value: Any = draw(st.sampled_from((0, 1, 2, 3, 31, 33, 64, 1 << 32, (1 << 63) + 1)))
        return {"op": "tensor", "index": index, "field": field, "dim": draw(st.integers(0, 3)),
                "value": value}  # fmt: skip
    if field == "ndims":
        value = draw(st.sampled_from((0, 1, 2, 3, 4, 5)))
    elif field == "ttype":
        value = draw(st.sampled_from(_TENSOR_TYPES))
    elif field == "offset":
        value = draw(st.sampled_from((-32, 32, 1, -1, 1 << 40)))
    else:
        names = ("blk.999.attn_q.weight", "", "token_embd.weight", "output.weight",
                 "blk.1.ffn_up.weight", "x" * 300)  # fmt: skip
        value = draw(st.sampled_from(names))
    return {"op": "tensor", "index": index, "field": field, "value": value}


# -- loading in a child -----------------------------------------------------------------------
def load_in_child(path: Path, timeout: float = 120) -> tuple[str, str]:
    """("ok" | "error" | "crash" | "hang", detail) of loading `path` and generating a token."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tests.helpers.gguf_load_child", str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return "hang", f"no answer after {timeout:.0f} s"
    last = (done.stdout.strip().splitlines() or [""])[-1]
    if done.returncode == 0 and last.startswith("ok"):
        return "ok", last
    if done.returncode == 1 and last.startswith("error: "):
        return "error", last
    return "crash", f"exit {done.returncode}: {done.stderr[-1500:]}"


def recipe_text(recipe: dict[str, Any]) -> str:
    return json.dumps(recipe, sort_keys=True, ensure_ascii=True)
