"""GGUF files for hostile-model tests: a tiny loadable llama, and edits of any real GGUF.

`write_smol` writes a SmolLM2-shaped model (llama architecture, grouped-query attention, SPM
vocabulary with byte tokens, ChatML template) with random weights: llama.cpp loads it and
generates in milliseconds. `GgufParts` reads any GGUF into its metadata and tensor table so a
test can change a value, a type, a count, a shape or an offset and write the file back with the
original tensor data (or a sparse run of zeros of the same length, instant for the 253 MB model).
"""

from __future__ import annotations

import shutil
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from gguf import GGUFValueType, GGUFWriter

CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
_WORDS = ["▁Hello", "▁world", "▁the", "▁a", "▁is", "▁and", "<|im_start|>", "<|im_end|>"]


def write_smol(
    path: Path, *, n_layer: int = 2, chat_template: str | None = CHATML, seed: int = 0
) -> Path:
    """A tiny SmolLM2-style llama that llama.cpp loads and runs."""
    n_embd, n_head, n_head_kv, n_ff = 64, 4, 2, 128
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{i:02X}>" for i in range(256)] + _WORDS
    types = [2, 3, 3] + [6] * 256 + [1] * 6 + [3, 3]
    rng = np.random.default_rng(seed)

    def weights(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    writer = GGUFWriter(path, "llama")
    writer.add_name("SmolLM2 test")
    writer.add_context_length(256)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(n_layer)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head_kv)
    writer.add_rope_dimension_count(n_embd // n_head)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(0)  # all F32
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0] * len(tokens))
    writer.add_token_types(types)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    if chat_template:
        writer.add_chat_template(chat_template)
    writer.add_tensor("token_embd.weight", weights(len(tokens), n_embd))
    writer.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
    kv = n_head_kv * (n_embd // n_head)
    for i in range(n_layer):
        for name, shape in (
            ("attn_norm", (n_embd,)),
            ("attn_q", (n_embd, n_embd)),
            ("attn_k", (kv, n_embd)),
            ("attn_v", (kv, n_embd)),
            ("attn_output", (n_embd, n_embd)),
            ("ffn_norm", (n_embd,)),
            ("ffn_gate", (n_ff, n_embd)),
            ("ffn_down", (n_embd, n_ff)),
            ("ffn_up", (n_ff, n_embd)),
        ):
            data = np.ones(shape, np.float32) if name.endswith("norm") else weights(*shape)
            writer.add_tensor(f"blk.{i}.{name}.weight", data)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


# -- reading and rewriting any GGUF ------------------------------------------------------------
_SCALAR = {
    0: "B",
    1: "b",
    2: "H",
    3: "h",
    4: "I",
    5: "i",
    6: "f",
    7: "?",
    10: "Q",
    11: "q",
    12: "d",
}
_STRING, _ARRAY = int(GGUFValueType.STRING), int(GGUFValueType.ARRAY)


@dataclass
class Value:
    """One metadata value: its GGUF type, and for arrays the element type."""

    vtype: int
    value: Any
    etype: int | None = None
    raw: bytes | None = field(default=None, compare=False, repr=False)  # encoded once

    def encoded(self) -> bytes:
        if self.raw is None:
            self.raw = _encode(self)
        return self.raw


@dataclass
class Tensor:
    name: str
    dims: list[int]
    ttype: int
    offset: int


@dataclass
class GgufParts:
    version: int
    kv: dict[str, Value]
    tensors: list[Tensor]
    source: Path
    data_offset: int
    n_tensors: int | None = None  # header counts, when a test wants them to lie
    n_kv: int | None = None
    extra: list[tuple[str, Value]] = field(default_factory=list)  # duplicate keys

    @classmethod
    def read(cls, path: Path) -> GgufParts:
        with path.open("rb") as fh:
            head = fh.read(64 << 20)
        cur = _Reader(head)
        assert cur.take(4) == b"GGUF"
        version, n_tensors, n_kv = cur.unpack("I"), cur.unpack("Q"), cur.unpack("Q")
        kv: dict[str, Value] = {}
        for _ in range(n_kv):
            key = cur.string()
            kv[key] = cur.value(cur.unpack("I"))
        tensors = []
        for _ in range(n_tensors):
            name = cur.string()
            dims = [cur.unpack("Q") for _ in range(cur.unpack("I"))]
            tensors.append(Tensor(name, dims, cur.unpack("I"), cur.unpack("Q")))
        alignment = kv["general.alignment"].value if "general.alignment" in kv else 32
        return cls(version, kv, tensors, path, -(-cur.pos // alignment) * alignment)

    def header_bytes(self) -> bytes:
        n_kv = len(self.kv) + len(self.extra) if self.n_kv is None else self.n_kv
        n_tensors = len(self.tensors) if self.n_tensors is None else self.n_tensors
        out = [b"GGUF", struct.pack("<IQQ", self.version, n_tensors, n_kv)]
        for key, value in [*self.kv.items(), *self.extra]:
            out += [_string(key), struct.pack("<I", value.vtype), value.encoded()]
        for t in self.tensors:
            out += [_string(t.name), struct.pack("<I", len(t.dims))]
            out += [struct.pack("<Q", d % (1 << 64)) for d in t.dims]
            out += [struct.pack("<IQ", t.ttype, t.offset % (1 << 64))]
        header = b"".join(out)
        alignment = self.kv.get("general.alignment", Value(4, 32)).value
        alignment = alignment if isinstance(alignment, int) and 0 < alignment < 1 << 16 else 32
        return header + b"\0" * (-len(header) % alignment)

    def write(self, dst: Path, *, copy_weights: bool = True) -> Path:
        header = self.header_bytes()
        data_size = self.source.stat().st_size - self.data_offset
        with dst.open("wb") as out:
            out.write(header)
            if copy_weights:
                with self.source.open("rb") as fh:
                    fh.seek(self.data_offset)
                    shutil.copyfileobj(fh, out, 8 << 20)
            else:
                out.truncate(len(header) + data_size)
        return dst


def with_values(src: Path, dst: Path, values: dict[str, Value], *, copy_weights: bool) -> Path:
    """`src` rewritten with the given metadata values set (the tensors unchanged)."""
    parts = GgufParts.read(src)
    parts.kv.update(values)
    return parts.write(dst, copy_weights=copy_weights)


def u32(value: int) -> Value:
    return Value(int(GGUFValueType.UINT32), value)


def _string(text: str) -> bytes:
    raw = text.encode("utf-8", errors="surrogatepass")
    return struct.pack("<Q", len(raw)) + raw


def _encode(v: Value) -> bytes:
    if v.vtype in _SCALAR:
        return _scalar(v.vtype, v.value)
    if v.vtype == _STRING:
        return _string(str(v.value))
    assert v.vtype == _ARRAY and v.etype is not None
    items = list(v.value)
    head = struct.pack("<IQ", v.etype, len(items))
    if v.etype in _SCALAR:
        return head + b"".join(_scalar(v.etype, x) for x in items)
    if v.etype == _STRING:
        return head + b"".join(_string(str(x)) for x in items)
    return head + b"".join(_encode(x) for x in items)


def _scalar(vtype: int, value: Any) -> bytes:
    code = _SCALAR[vtype]
    if code in "fd":
        return struct.pack("<" + code, float(value))
    if code == "?":
        return struct.pack("<?", bool(value))
    bits = struct.calcsize(code) * 8
    value = int(value) % (1 << bits)
    if code.islower() and value >= 1 << (bits - 1):
        value -= 1 << bits
    return struct.pack("<" + code, value)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        self.pos += n
        return self.data[self.pos - n : self.pos]

    def unpack(self, code: str) -> Any:
        (value,) = struct.unpack_from("<" + code, self.data, self.pos)
        self.pos += struct.calcsize(code)
        return value

    def string(self) -> str:
        return self.take(self.unpack("Q")).decode("utf-8", errors="replace")

    def value(self, vtype: int) -> Value:
        if vtype in _SCALAR:
            return Value(vtype, self.unpack(_SCALAR[vtype]))
        if vtype == _STRING:
            return Value(vtype, self.string())
        etype, count = self.unpack("I"), self.unpack("Q")
        if etype in _SCALAR:
            width = struct.calcsize(_SCALAR[etype])
            raw = self.take(width * count)
            items: list[Any] = list(struct.unpack(f"<{count}{_SCALAR[etype]}", raw))
        elif etype == _STRING:
            items = [self.string() for _ in range(count)]
        else:
            items = [self.value(etype) for _ in range(count)]
        return Value(vtype, items, etype)
