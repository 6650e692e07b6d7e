"""One saved KV state on disk: a header saying what it is valid for, then llama.cpp's bytes.

Layout: MAGIC, the header's length (8 bytes, little-endian), the header (JSON: the signature
of the model and context that made it, the tokens it holds, how many of them were the prompt,
the payload's size, a CRC-32 of all that and the payload), then the payload
(`llama_state_seq_get_data`). The CRC catches a damaged or truncated file before llama.cpp
reads a byte of it: llama.cpp would take any bytes of the right size as keys and values, and
answer from garbage. Files are written to a temporary
name (0600) and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import dataclasses
import json
import mmap
import os
import secrets
import struct
import zlib
from pathlib import Path
from typing import Any

from app.core.config.paths import PRIVATE_FILE_MODE, make_private_dir

MAGIC = b"ENCLAVE-KV-STATE\n"
_LENGTH = struct.Struct("<Q")
MAX_HEADER = 16 << 20  # a header's tokens: even a 1M-token context stays far below this
TMP_SUFFIX = ".tmp"
_WIPE_BLOCK = 1 << 20


class StateFileError(Exception):
    """A state file that cannot be trusted (foreign, damaged, truncated)."""


@dataclasses.dataclass(frozen=True)
class StateHeader:
    signature: dict[str, Any]  # what must match for the bytes to be usable (see StateKeeper)
    tokens: tuple[int, ...]  # the tokens whose keys and values the payload holds, in order
    n_prompt: int  # how many of them were the last prompt (the rest: the reply it got)
    payload_size: int
    crc32: int  # of the fields above (`described`) and the payload

    def described(self) -> bytes:
        data = [self.signature, list(self.tokens), self.n_prompt, self.payload_size]
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def to_bytes(self) -> bytes:
        data = {
            "signature": self.signature,
            "tokens": list(self.tokens),
            "n_prompt": self.n_prompt,
            "payload_size": self.payload_size,
            "crc32": self.crc32,
        }
        return json.dumps(data, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_bytes(cls, raw: bytes) -> StateHeader:
        try:
            data = json.loads(raw)
            header = cls(
                dict(data["signature"]),
                tuple(int(t) for t in data["tokens"]),
                int(data["n_prompt"]),
                int(data["payload_size"]),
                int(data["crc32"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise StateFileError(f"unreadable header ({exc})") from exc
        if not 0 <= header.n_prompt <= len(header.tokens) or header.payload_size <= 0:
            raise StateFileError("inconsistent header")
        return header


def write_state(
    path: Path,
    signature: dict[str, Any],
    tokens: tuple[int, ...],
    n_prompt: int,
    payload: memoryview,
) -> int:
    """Write atomically, owner-only; the file's size in bytes."""
    make_private_dir(path.parent)
    header = StateHeader(signature, tokens, n_prompt, payload.nbytes, 0)
    crc = zlib.crc32(payload, zlib.crc32(header.described()))
    header = dataclasses.replace(header, crc32=crc)
    raw = header.to_bytes()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{TMP_SUFFIX}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + _LENGTH.pack(len(raw)) + raw)
            out.write(payload)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return len(MAGIC) + _LENGTH.size + len(raw) + payload.nbytes


def read_header(path: Path) -> StateHeader:
    """The header alone (cheap); FileNotFoundError when there is no file."""
    with path.open("rb") as fh:
        return _header(fh)


def read_payload(path: Path, header: StateHeader) -> memoryview:
    """The payload, checked against the header's size and CRC: a private copy-on-write mapping
    of the file (no copy is made; a file replaced meanwhile leaves it as it was)."""
    with path.open("rb") as fh:
        if _header(fh) != header:
            raise StateFileError("the file changed while it was read")
        start = fh.tell()
        if os.fstat(fh.fileno()).st_size != start + header.payload_size:
            raise StateFileError("truncated or padded payload")
        mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_COPY)
    if hasattr(mapped, "madvise"):  # read ahead in one go (not on Windows)
        mapped.madvise(mmap.MADV_WILLNEED)
    payload = memoryview(mapped)[start:]
    if zlib.crc32(payload, zlib.crc32(header.described())) != header.crc32:
        raise StateFileError("damaged (CRC mismatch)")
    return payload


def _header(fh: Any) -> StateHeader:
    start = fh.read(len(MAGIC) + _LENGTH.size)
    if len(start) < len(MAGIC) + _LENGTH.size or not start.startswith(MAGIC):
        raise StateFileError("not an Enclave state file")
    (length,) = _LENGTH.unpack(start[len(MAGIC) :])
    if length > MAX_HEADER:
        raise StateFileError("header too long")
    raw = fh.read(length)
    if len(raw) != length:
        raise StateFileError("truncated header")
    return StateHeader.from_bytes(raw)


def erase_file(path: Path) -> None:
    """Overwrite with zeros, then unlink: the conversation's content goes with its file."""
    try:
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        return
    except OSError:
        path.unlink(missing_ok=True)
        return
    try:
        size = os.fstat(fd).st_size
        zeros = bytes(_WIPE_BLOCK)
        for offset in range(0, size, _WIPE_BLOCK):
            os.pwrite(fd, zeros[: min(_WIPE_BLOCK, size - offset)], offset)
        os.fsync(fd)
    finally:
        os.close(fd)
    path.unlink(missing_ok=True)
