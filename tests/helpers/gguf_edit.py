"""Make GGUF test files from the real model: the same tensors, edited string metadata.

Used to give the tiny model an embedded chat template, a hostile one, or an architecture
llama.cpp does not know, without shipping any binary test data.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

_SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY = 8, 9


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def u32(self) -> int:
        (value,) = struct.unpack_from("<I", self.data, self.pos)
        self.pos += 4
        return value

    def u64(self) -> int:
        (value,) = struct.unpack_from("<Q", self.data, self.pos)
        self.pos += 8
        return value

    def string(self) -> str:
        size = self.u64()
        self.pos += size
        return self.data[self.pos - size : self.pos].decode("utf-8")

    def skip_value(self, vtype: int) -> None:
        if vtype in _SCALAR_SIZES:
            self.pos += _SCALAR_SIZES[vtype]
        elif vtype == _STRING:
            self.string()
        elif vtype == _ARRAY:
            item_type, count = self.u32(), self.u64()
            if item_type in _SCALAR_SIZES:
                self.pos += _SCALAR_SIZES[item_type] * count
            else:
                for _ in range(count):
                    self.skip_value(item_type)
        else:
            raise ValueError(f"value type {vtype}")


def _string_kv(key: str, value: str) -> bytes:
    k, v = key.encode(), value.encode()
    return (
        struct.pack("<Q", len(k)) + k + struct.pack("<I", _STRING) + struct.pack("<Q", len(v)) + v
    )


def copy_with_metadata(
    src: Path, dst: Path, strings: dict[str, str], *, copy_weights: bool = True
) -> Path:
    """Copy `src` to `dst` with the given string keys set (added or replaced).

    With copy_weights=False the tensor data is left as a sparse run of zeros: enough for
    tests that fail before the weights are used, and instant to write.
    """
    with src.open("rb") as fh:
        head = fh.read(64 << 20)  # metadata and tensor table of the small model fit easily
    cur = _Cursor(head)
    assert head[:4] == b"GGUF"
    cur.pos = 4
    version, n_tensors, n_kv = cur.u32(), cur.u64(), cur.u64()
    entries: list[bytes] = []
    alignment = 32
    for _ in range(n_kv):
        start = cur.pos
        key = cur.string()
        vtype = cur.u32()
        value_at = cur.pos
        cur.skip_value(vtype)
        if key == "general.alignment":
            (alignment,) = struct.unpack_from("<I", head, value_at)
        if key not in strings:
            entries.append(head[start : cur.pos])
    entries += [_string_kv(k, v) for k, v in strings.items()]
    tensors_start = cur.pos
    for _ in range(n_tensors):
        cur.string()
        n_dims = cur.u32()
        cur.pos += 8 * n_dims + 4 + 8
    tensor_table = head[tensors_start : cur.pos]
    old_data_offset = -(-cur.pos // alignment) * alignment

    header = b"GGUF" + struct.pack("<IQQ", version, n_tensors, len(entries))
    header += b"".join(entries) + tensor_table
    header += b"\0" * (-len(header) % alignment)
    data_size = src.stat().st_size - old_data_offset
    with dst.open("wb") as out:
        out.write(header)
        if copy_weights:
            with src.open("rb") as fh:
                fh.seek(old_data_offset)
                shutil.copyfileobj(fh, out, 8 << 20)
        else:
            out.truncate(len(header) + data_size)
    return dst
