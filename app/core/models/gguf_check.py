"""Check a GGUF file's header before llama.cpp ever opens it.

llama.cpp trusts the counts and lengths in a header; a corrupt or hostile file can make it
allocate absurd amounts of memory or read past the end. `check_gguf` walks the header itself,
bounding every count and length by sane limits and by the bytes actually in the file, checks
that each tensor's data lies inside the file (a truncated download fails here), and that the
architecture is one llama.cpp knows. The type tables come from the `gguf` package (the
reference implementation published with llama.cpp); its `GGUFReader` is not used because it
decodes every tokenizer array into Python objects, which takes seconds on a 262k-token vocab.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from app.core.errors import ModelError
from app.core.models.gguf_limits import check_shape

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
MAX_TENSORS = 200_000  # the largest published MoE models have a few thousand
MAX_KV = 100_000
MAX_STRING = 64 << 20  # chat templates are kilobytes; 64 MiB means a corrupt length
MAX_DIMS = 4  # GGML_MAX_DIMS
MAX_ARRAY_DEPTH = 2
KEEP_ARRAY = 4096  # arrays up to this length keep their values (per-layer head counts)
DEFAULT_ALIGNMENT = 32
TENSOR_ALIGNMENT = 32  # ggml-backend's: a mapped weight buffer must start on it
# Architectures that are GGUF files but not language models llama.cpp can chat with.
_NOT_LANGUAGE_MODELS = {
    "clip": "a vision projector (mmproj)",
    "wavtokenizer-dec": "an audio decoder",
}


@cache
def known_architectures() -> frozenset[str]:
    """The architectures llama.cpp can chat with. The `gguf` package (and numpy under it) is
    imported on the first check, not with this module: the window starts without it."""
    from gguf import MODEL_ARCH_NAMES

    return frozenset(MODEL_ARCH_NAMES.values()) - set(_NOT_LANGUAGE_MODELS)


# GGUF value type -> struct code (types 8 string and 9 array are handled apart).
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
_STRING, _ARRAY = 8, 9


@dataclass(frozen=True)
class GgufHeader:
    """What Enclave shows and needs about a model, read from its header."""

    path: Path
    file_size: int
    version: int
    architecture: str
    name: str
    size_label: str | None
    n_params: int
    quantization: str
    context_length: int | None
    license: str | None
    has_chat_template: bool
    tensor_count: int
    n_vocab: int | None
    metadata: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def arch_value(self, key: str, default: Any = None) -> Any:
        """`<architecture>.<key>` from the metadata, e.g. `block_count`."""
        return self.metadata.get(f"{self.architecture}.{key}", default)

    @property
    def params_label(self) -> str:
        return format_params(self.n_params) if self.n_params else (self.size_label or "?")


def format_params(n: int) -> str:
    """268098176 -> '268M', 1543714304 -> '1.5B'."""
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            value = n / scale
            return f"{value:.1f}{unit}" if value < 10 and unit != "M" else f"{value:.0f}{unit}"
    return str(n)


def check_gguf(path: str | Path) -> GgufHeader:
    """Validate `path` as a GGUF language model and return its header, or raise ModelError."""
    path = Path(path)
    label = path.name or str(path)
    try:
        if path.is_dir():
            raise ModelError(f"{path} is a folder, not a model file; choose a .gguf file.")
        with path.open("rb") as fh:
            size = _file_size(fh)
            if size == 0:
                raise ModelError(
                    f"{label} is empty (0 bytes), not a GGUF model; copy or download it again."
                )
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                return _Parser(buf, size, path, label).parse()
    except FileNotFoundError as exc:
        raise ModelError(f"There is no file {path}; check the path.") from exc
    except PermissionError as exc:
        raise ModelError(f"Enclave may not read {path}; check the file's permissions.") from exc
    except (OSError, ValueError) as exc:
        raise ModelError(f"Cannot read {path}: {getattr(exc, 'strerror', None) or exc}.") from exc


def _file_size(fh: Any) -> int:
    fh.seek(0, 2)
    size = fh.tell()
    fh.seek(0)
    return size


class _Truncated(Exception):
    """The header claims more bytes than the file has."""


class _Parser:
    def __init__(self, buf: mmap.mmap, size: int, path: Path, label: str) -> None:
        self.buf, self.size, self.path, self.label = buf, size, path, label
        self.pos = 0
        self.endian = "<"

    # -- primitives ---------------------------------------------------------------------
    def _unpack(self, code: str) -> Any:
        width = struct.calcsize(code)
        if self.pos + width > self.size:
            raise _Truncated
        (value,) = struct.unpack_from(self.endian + code, self.buf, self.pos)
        self.pos += width
        return value

    def _string_length(self) -> int:
        length = self._unpack("Q")
        if length > MAX_STRING or self.pos + length > self.size:
            raise _Truncated
        return length

    def _string(self) -> str:
        length = self._string_length()
        raw = self.buf[self.pos : self.pos + length]
        self.pos += length
        return raw.decode("utf-8", errors="replace")

    def _value(self, vtype: int, depth: int = 0) -> Any:
        if vtype in _SCALAR:
            return self._unpack(_SCALAR[vtype])
        if vtype == _STRING:
            return self._string()
        if vtype == _ARRAY and depth < MAX_ARRAY_DEPTH:
            return self._array(depth)
        raise ModelError(f"{self.label} has a metadata value of unknown type {vtype}; {_CORRUPT}")

    def _array(self, depth: int) -> Any:
        """Small arrays keep their values; big ones (tokenizer tables) are skipped, length kept."""
        etype, count = self._unpack("I"), self._unpack("Q")
        if etype in _SCALAR:
            width = struct.calcsize(_SCALAR[etype])
            if count * width > self.size - self.pos:
                raise _Truncated
            if count > KEEP_ARRAY:
                self.pos += count * width
                return _Skipped(count)
            values = struct.unpack_from(f"{self.endian}{count}{_SCALAR[etype]}", self.buf, self.pos)
            self.pos += count * width
            return tuple(values)
        if count * 8 > self.size - self.pos:  # every string or array takes at least 8 bytes
            raise _Truncated
        if etype == _STRING and count > KEEP_ARRAY:
            for _ in range(count):
                length = self._string_length()  # advances past the length field first
                self.pos += length
            return _Skipped(count)
        return tuple(self._value(etype, depth + 1) for _ in range(count))

    # -- the header ---------------------------------------------------------------------
    def parse(self) -> GgufHeader:
        self._check_magic()
        try:
            version, n_tensors, n_kv = self._counts()
            metadata = self._metadata(n_kv)
            tensors = self._tensor_infos(n_tensors)
        except _Truncated:
            raise ModelError(
                f"{self.label} is truncated: its header runs past the end of the file "
                f"({self.size} bytes); the copy or download is incomplete — get the file again."
            ) from None
        if not tensors:
            raise ModelError(
                f"{self.label} holds no weights (a vocabulary-only GGUF); choose the model file."
            )
        n_params = self._check_tensor_data(metadata, tensors)
        header = self._header(version, metadata, n_params, len(tensors))
        check_shape(self.label, header.architecture, metadata, header.n_vocab, tensors)
        return header

    def _check_magic(self) -> None:
        head = self.buf[: min(self.size, 64)]
        if head[:4] == GGUF_MAGIC:
            if self.size < 24:
                raise ModelError(
                    f"{self.label} is truncated: a GGUF header needs at least 24 bytes and the "
                    f"file has {self.size}; get the file again."
                )
            return
        raise ModelError(_wrong_magic(self.label, head))

    def _counts(self) -> tuple[int, int, int]:
        self.pos = 4
        version = self._unpack("I")
        if (
            version not in SUPPORTED_VERSIONS
            and struct.unpack(">I", struct.pack("<I", version))[0] in SUPPORTED_VERSIONS
        ):
            self.endian, version = ">", struct.unpack(">I", struct.pack("<I", version))[0]
        if version not in SUPPORTED_VERSIONS:
            raise ModelError(
                f"{self.label} is GGUF version {version}; Enclave reads versions 2 and 3 — "
                f"convert the model again with a current llama.cpp."
            )
        n_tensors, n_kv = self._unpack("Q"), self._unpack("Q")
        # Each tensor info takes at least 33 bytes and each key/value at least 14.
        room = self.size - self.pos
        if n_tensors > MAX_TENSORS or n_kv > MAX_KV or n_tensors * 33 + n_kv * 14 > room:
            raise ModelError(
                f"{self.label} claims {n_tensors} tensors and {n_kv} metadata entries, more than "
                f"a {self.size}-byte model file can hold; the file is corrupt — get it again."
            )
        return version, n_tensors, n_kv

    def _metadata(self, n_kv: int) -> dict[str, Any]:
        metadata: dict[str, Any] = {}
        for _ in range(n_kv):
            key = self._string()
            metadata[key] = self._value(self._unpack("I"))
        return metadata

    def _tensor_infos(self, n_tensors: int) -> list[tuple[str, tuple[int, ...], int, int]]:
        tensors = []
        for _ in range(n_tensors):
            name = self._string()
            n_dims = self._unpack("I")
            if not 1 <= n_dims <= MAX_DIMS:
                raise ModelError(
                    f"{self.label}: tensor {name!r} has {n_dims} dimensions; {_CORRUPT}"
                )
            dims = tuple(self._unpack("Q") for _ in range(n_dims))
            ttype, offset = self._unpack("I"), self._unpack("Q")
            tensors.append((name, dims, ttype, offset))
        return tensors

    def _check_tensor_data(self, metadata: dict[str, Any], tensors: list[tuple]) -> int:
        """Every tensor's bytes must lie inside the file; returns the parameter count."""
        alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
        if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
            raise ModelError(f"{self.label} has an invalid alignment {alignment!r}; {_CORRUPT}")
        data_start = -(-self.pos // alignment) * alignment
        first = data_start + min((t[3] for t in tensors), default=0)
        if first % TENSOR_ALIGNMENT:
            # llama.cpp maps the file and asserts (aborts) that the weights start aligned.
            raise ModelError(
                f"{self.label}: its weights start at byte {first}, not on the "
                f"{TENSOR_ALIGNMENT}-byte boundary llama.cpp needs (general.alignment is "
                f"{alignment}); {_CORRUPT}"
            )
        from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

        n_params = 0
        for name, dims, ttype, offset in tensors:
            try:
                block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(ttype)]
            except (ValueError, KeyError):
                raise ModelError(
                    f"{self.label}: tensor {name!r} has type {ttype}, which this version of "
                    f"Enclave does not know; the file is corrupt or needs a newer llama.cpp."
                ) from None
            n_elements = 1
            for d in dims:
                n_elements *= d
            if dims[0] % block:
                raise ModelError(f"{self.label}: tensor {name!r} has shape {dims}; {_CORRUPT}")
            end = data_start + offset + n_elements // block * type_size
            if end > self.size:
                raise ModelError(
                    f"{self.label} is truncated: tensor {name!r} ends at byte {end} but the file "
                    f"has only {self.size} bytes; the copy or download is incomplete — get the "
                    f"file again."
                )
            n_params += n_elements
        return n_params

    def _header(
        self, version: int, md: dict[str, Any], n_params: int, n_tensors: int
    ) -> GgufHeader:
        arch = md.get("general.architecture")
        if not isinstance(arch, str) or not arch:
            raise ModelError(
                f"{self.label} has no general.architecture entry; it is not a language model "
                f"GGUF that Enclave can run."
            )
        if arch in _NOT_LANGUAGE_MODELS:
            raise ModelError(
                f"{self.label} is {_NOT_LANGUAGE_MODELS[arch]}, not a language model; choose the "
                f"main model file."
            )
        if arch not in known_architectures():
            raise ModelError(
                f"{self.label} is a {arch!r} model, an architecture this version of llama.cpp "
                f"does not know; choose a model of a supported architecture (llama, qwen2, "
                f"gemma3, phi3, mistral3, …)."
            )
        tokens = md.get("tokenizer.ggml.tokens")
        ctx = md.get(f"{arch}.context_length")
        return GgufHeader(
            path=self.path,
            file_size=self.size,
            version=version,
            architecture=arch,
            name=_text(md.get("general.name")) or self.path.stem,
            size_label=_text(md.get("general.size_label")),
            n_params=n_params,
            quantization=_quantization(md.get("general.file_type")),
            context_length=ctx if isinstance(ctx, int) else None,
            license=_text(md.get("general.license")),
            has_chat_template=bool(_text(md.get("tokenizer.chat_template"))),
            tensor_count=n_tensors,
            n_vocab=len(tokens) if isinstance(tokens, tuple | _Skipped) else None,
            metadata={k: v for k, v in md.items() if not isinstance(v, _Skipped)},
        )


_CORRUPT = "the file is corrupt — get it again."


class _Skipped:
    """A large array whose values were not decoded; only its length is kept."""

    def __init__(self, count: int) -> None:
        self.count = count

    def __len__(self) -> int:
        return self.count


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _quantization(file_type: Any) -> str:
    """general.file_type 15 -> 'Q4_K_M'."""
    if not isinstance(file_type, int):
        return "unknown"
    from gguf import LlamaFileType

    try:
        name = LlamaFileType(file_type).name
    except ValueError:
        return f"type {file_type}"
    return name.removeprefix("MOSTLY_").removeprefix("ALL_")


def _wrong_magic(label: str, head: bytes) -> str:
    if head[:4] in (b"lmgg", b"fmgg", b"tjgg", b"ggml", b"ggjt"):
        return (
            f"{label} is an old GGML model file, which llama.cpp no longer reads; get the GGUF "
            f"version of the model."
        )
    if head[:4] == b"PK\x03\x04":
        return (
            f"{label} is a ZIP or PyTorch archive, not a GGUF model; download the model's GGUF "
            f"file or convert it with llama.cpp's converter."
        )
    text = head.decode("utf-8", errors="strict") if _looks_like_text(head) else None
    if text is not None:
        preview = text[:24].splitlines()[0] if text.strip() else ""
        return (
            f"{label} is a text file (it starts with {preview!r}), not a GGUF model; choose a "
            f".gguf model file."
        )
    return (
        f"{label} is not a GGUF model: it starts with bytes {head[:4].hex(' ')} instead of "
        f"'GGUF'; choose a .gguf model file."
    )


def _looks_like_text(head: bytes) -> bool:
    try:
        decoded = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at the 64-byte boundary is still text.
        try:
            decoded = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return all(c.isprintable() or c in "\r\n\t\f" for c in decoded)
