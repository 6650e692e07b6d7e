"""Vocabulary-only GGUF files made from the real model, with some tokens renamed.

The bundled Gemma vocabulary has no ChatML or Llama 3 markers, but it has thousands of unused
control tokens (`<unused0>`…). Renaming some of them gives a real llama.cpp vocabulary where
`<|im_start|>` or `<|eot_id|>` is one control token, as in a real Qwen or Llama file. The copy
keeps every metadata key and no tensors: llama.cpp opens it with `vocab_only`.
"""

from __future__ import annotations

import struct
from pathlib import Path

from tests.helpers.gguf_edit import _Cursor

CHATML = ("<|im_start|>", "<|im_end|>", "<|endoftext|>")
LLAMA3 = ("<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>")


def _string(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


def vocab_with_tokens(src: Path, dst: Path, spellings: tuple[str, ...]) -> Path:
    """Copy `src`'s metadata to `dst` with `<unused0>`, `<unused1>`… renamed to `spellings`."""
    renames = {f"<unused{i}>": spelling for i, spelling in enumerate(spellings)}
    with src.open("rb") as fh:
        head = fh.read(64 << 20)  # the small model's metadata fits easily
    cur = _Cursor(head)
    cur.pos = 8  # magic and version
    _n_tensors, n_kv = cur.u64(), cur.u64()
    out = bytearray(head[:8]) + struct.pack("<QQ", 0, n_kv)  # no tensors
    for _ in range(n_kv):
        start = cur.pos
        key = cur.string()
        vtype = cur.u32()
        if key != "tokenizer.ggml.tokens":
            cur.skip_value(vtype)
            out += head[start : cur.pos]
            continue
        _item_type, count = cur.u32(), cur.u64()
        tokens = [cur.string() for _ in range(count)]
        out += _string(key) + struct.pack("<IIQ", 9, 8, count)  # an array of strings
        out += b"".join(_string(renames.get(token, token)) for token in tokens)
    out += bytes(-len(out) % 32)  # alignment before the (empty) tensor data
    dst.write_bytes(bytes(out))
    return dst
