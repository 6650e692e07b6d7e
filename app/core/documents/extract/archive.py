"""Zip-based documents (docx, xlsx, pptx, odt): the real inflated size of every part, capped.

An archive's directory declares each member's size, and a hostile file lies: 1 GiB of zeros
declared as 2,000 bytes passes any check of the declared sizes, and the XML libraries then
inflate it in one call (Python's zipfile asks zlib for up to 2 GiB at once). So every member
is inflated here first, 256 KiB at a time, counting the bytes that really come out, and the
file is refused as soon as a member gives more than it declares or the total passes the cap.
Memory stays at one block whatever the archive says; after this the parsers can only read
what was counted.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

from app.core.documents.model import DocumentLimits
from app.core.errors import DocumentError

# A member that inflates more than this many times, past a few MB, is treated as a bomb:
# real Office XML compresses 5-20x, rarely beyond 50x.
MAX_ZIP_RATIO = 100
ZIP_RATIO_FLOOR = 4 << 20
MAX_ZIP_MEMBERS = 10_000
# The whole archive inflates to at most this many times its size (past a floor), and each
# XML part (what the parsers hold in memory as a tree) to at most XML_PART_BYTES.
MAX_TOTAL_RATIO = 50
TOTAL_FLOOR = 64 << 20
XML_PART_BYTES = 48 << 20
_IN_BLOCK = 64 << 10
_OUT_BLOCK = 256 << 10
_LOCAL_HEADER = struct.Struct("<4s22xHH")


class _Bomb(Exception):
    """A member inflated past what it declared or past the cap."""


def check_zip(path: Path, limits: DocumentLimits, kind: str) -> None:
    """Refuse archives that are not zips, or that really inflate far beyond their size."""
    try:
        size = path.stat().st_size
        with zipfile.ZipFile(path) as archive, path.open("rb") as raw:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise DocumentError(
                    f"{path.name}: the {kind} file has too many parts to be safe to read."
                )
            budget = min(
                max(limits.max_file_bytes * 4, limits.max_chars * 8),
                max(TOTAL_FLOOR, size * MAX_TOTAL_RATIO),
            )
            total = 0
            for info in members:
                total += _check_member(raw, info, size, budget - total)
    except _Bomb:
        raise DocumentError(
            f"{path.name}: the {kind} file would expand to far more data than it holds "
            f"(a 'zip bomb' or a damaged file), so it was not opened."
        ) from None
    except (zipfile.BadZipFile, OSError, ValueError, zlib.error, struct.error, EOFError):
        raise DocumentError(
            f"{path.name}: the file is damaged or is not a real {kind} file (it is not a valid "
            f"archive); open it in its program and save it again."
        ) from None


def _check_member(raw: BinaryIO, info: zipfile.ZipInfo, size: int, room: int) -> int:
    """The member's real inflated size; _Bomb past its declared size, the ratio or `room`."""
    if info.flag_bits & 0x1:
        raise zipfile.BadZipFile("encrypted member")  # Office never encrypts single parts
    cap = min(info.file_size, room)
    if info.filename.endswith((".xml", ".rels")):
        cap = min(cap, XML_PART_BYTES)
    if info.file_size > cap or (
        info.file_size > ZIP_RATIO_FLOOR
        and info.file_size / max(info.compress_size, 1) > MAX_ZIP_RATIO
    ):
        raise _Bomb
    real = _inflated_size(raw, info, size, cap)
    if real > cap or (real > ZIP_RATIO_FLOOR and real / max(info.compress_size, 1) > MAX_ZIP_RATIO):
        raise _Bomb
    return real


def _inflated_size(raw: BinaryIO, info: zipfile.ZipInfo, size: int, cap: int) -> int:
    """Inflate the member's data from the file itself, stopping one block past `cap`."""
    raw.seek(info.header_offset)
    magic, name_len, extra_len = _LOCAL_HEADER.unpack(raw.read(_LOCAL_HEADER.size))
    if magic != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local header")
    start = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
    if start + info.compress_size > size:
        raise zipfile.BadZipFile("member past the end of the file")
    if info.compress_type == zipfile.ZIP_STORED:
        return info.compress_size
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise zipfile.BadZipFile("unusual compression")  # Office and ODF only deflate
    raw.seek(start)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    left, out = info.compress_size, 0
    while left > 0 and not inflater.eof and out <= cap:
        block = raw.read(min(_IN_BLOCK, left))
        if not block:
            break
        left -= len(block)
        out += len(inflater.decompress(block, _OUT_BLOCK))
        while inflater.unconsumed_tail and out <= cap:
            out += len(inflater.decompress(inflater.unconsumed_tail, _OUT_BLOCK))
    return out
