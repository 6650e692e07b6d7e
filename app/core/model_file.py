"""Check a model file before llama.cpp opens it, and fingerprint it.

llama.cpp's own GGUF parser is written in C; a file that is not a GGUF, or one cut short by an
interrupted copy, must be turned away here with a sentence the user can act on, before any
native code reads it. The header walk below reads only the metadata and tensor table (a few
MB even for large models) and proves that every tensor's data lies inside the file.
"""

from __future__ import annotations

import mmap
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path

from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

from app.core.default_model import sha256_file
from app.core.errors import ModelError

GGUF_MAGIC = b"GGUF"
_DEFAULT_ALIGNMENT = 32
# Scalar GGUF value types: type id -> struct format (little-endian).
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q",
            11: "<q", 12: "<d"}  # fmt: skip
_STRING, _ARRAY = 8, 9
_MAX_COUNT = 1 << 40  # no real file has more entries; a larger count means a corrupt header


class _Truncated(Exception):
    """The header asked for bytes past the end of the file."""


@dataclass(frozen=True)
class GgufHeader:
    version: int
    tensor_count: int
    data_offset: int  # where tensor data starts
    data_end: int  # end of the last tensor's data
    # Scalar metadata (strings, numbers); arrays such as the vocabulary are skipped.
    metadata: dict[str, str | int | float | bool] = field(default_factory=dict)

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return value if isinstance(value, str) and value.strip() else None


class _Reader:
    def __init__(self, buf: mmap.mmap) -> None:
        self.buf = buf
        self.pos = 0

    def take(self, fmt: str) -> int | float | bool:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.buf):
            raise _Truncated
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return value

    def count(self) -> int:
        value = int(self.take("<Q"))
        if value > _MAX_COUNT:
            raise ValueError(f"implausible count {value}")
        return value

    def string(self) -> str:
        size = self.count()
        if self.pos + size > len(self.buf):
            raise _Truncated
        raw = self.buf[self.pos : self.pos + size]
        self.pos += size
        return raw.decode("utf-8", errors="replace")

    def skip_strings(self, count: int) -> None:
        for _ in range(count):
            size = self.count()
            self.pos += size
            if self.pos > len(self.buf):
                raise _Truncated

    def value(self, vtype: int) -> str | int | float | bool | None:
        """Read one value; arrays are skipped (returned as None)."""
        if vtype in _SCALARS:
            return self.take(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            item_type = int(self.take("<I"))
            count = self.count()
            if item_type in _SCALARS:
                self.pos += struct.calcsize(_SCALARS[item_type]) * count
                if self.pos > len(self.buf):
                    raise _Truncated
            elif item_type == _STRING:
                self.skip_strings(count)
            else:  # nested arrays: walk them one by one
                for _ in range(count):
                    self.value(item_type)
            return None
        raise ValueError(f"unknown value type {vtype}")


def _tensor_bytes(dims: list[int], ggml_type: int) -> int:
    try:
        block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(ggml_type)]
    except (ValueError, KeyError) as exc:
        raise ValueError(f"unknown tensor type {ggml_type}") from exc
    elements = 1
    for dim in dims:
        elements *= dim
    return elements // block * type_size


def _parse(buf: mmap.mmap) -> GgufHeader:
    reader = _Reader(buf)
    if buf[:4] != GGUF_MAGIC:
        raise LookupError("magic")
    reader.pos = 4
    version = int(reader.take("<I"))
    if version not in (2, 3):
        raise ValueError(f"GGUF version {version} is not supported")
    tensor_count, kv_count = reader.count(), reader.count()
    metadata: dict[str, str | int | float | bool] = {}
    for _ in range(kv_count):
        key = reader.string()
        value = reader.value(int(reader.take("<I")))
        if value is not None:
            metadata[key] = value
    data_end = 0
    for _ in range(tensor_count):
        reader.string()  # tensor name
        n_dims = int(reader.take("<I"))
        if n_dims > 8:
            raise ValueError(f"tensor with {n_dims} dimensions")
        dims = [int(reader.take("<Q")) for _ in range(n_dims)]
        ggml_type = int(reader.take("<I"))
        offset = int(reader.take("<Q"))
        data_end = max(data_end, offset + _tensor_bytes(dims, ggml_type))
    alignment = int(metadata.get("general.alignment", _DEFAULT_ALIGNMENT)) or _DEFAULT_ALIGNMENT
    data_offset = -(-reader.pos // alignment) * alignment
    return GgufHeader(version, tensor_count, data_offset, data_offset + data_end, metadata)


def read_gguf_header(path: Path) -> GgufHeader:
    """Validate `path` as a complete GGUF file, or raise ModelError saying what is wrong."""
    if not path.exists():
        raise ModelError(f"The model file {path} does not exist; check the path or pick another model.")
    if not path.is_file():
        raise ModelError(f"{path} is not a file; choose a .gguf model file.")
    try:
        with path.open("rb") as fh:
            size = path.stat().st_size
            if size < 24:
                raise LookupError("magic")
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                header = _parse(buf)
    except LookupError:
        raise ModelError(
            f"{path.name} is not a GGUF model file; Enclave runs models in the GGUF format "
            f"(.gguf), for example from the model manager."
        ) from None
    except _Truncated:
        raise ModelError(
            f"{path.name} is incomplete (it ends inside its header); the download or copy was "
            f"probably interrupted, so fetch the model again."
        ) from None
    except ValueError as exc:
        raise ModelError(f"{path.name} is damaged ({exc}); fetch the model again.") from exc
    except OSError as exc:
        raise ModelError(f"Could not read {path}: {exc.strerror or exc}.") from exc
    if header.tensor_count == 0:
        raise ModelError(f"{path.name} holds no weights (a vocabulary-only GGUF); choose a model.")
    if header.data_end > size:
        missing_mb = (header.data_end - size) / 1e6
        raise ModelError(
            f"{path.name} is incomplete ({size:,} bytes, {missing_mb:.1f} MB missing); the "
            f"download or copy was probably interrupted, so fetch the model again."
        )
    return header


_digests: dict[tuple[str, int, int], str] = {}
_digests_lock = threading.Lock()


def cached_sha256(path: Path) -> str:
    """sha256 of the file, remembered for this process while size and mtime are unchanged."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _digests_lock:
        if key in _digests:
            return _digests[key]
    digest = sha256_file(path)
    with _digests_lock:
        _digests[key] = digest
    return digest
