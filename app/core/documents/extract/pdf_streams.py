"""PDF: the real inflated size of its Flate streams, capped, before pdfium reads the file.

pdfium inflates a page's whole content stream in memory to read its text: a 1 MB PDF holding a
1 GiB stream of spaces took 2.1 GB and 18 s. Streams are never inside object streams (the PDF
specification forbids it), so every one sits in the file as `<<dict>> stream … endstream`:
each Flate stream whose dictionary is not an image (pixels, which reading text never decodes)
is inflated here 256 KiB at a time, and the file is refused once the output passes the cap,
as zip documents are (`archive.py`). An encrypted stream does not inflate and is left to
pdfium, which decrypts it.
"""

from __future__ import annotations

import mmap
import re
import zlib
from pathlib import Path

from app.core.documents.extract.archive import (
    MAX_TOTAL_RATIO,
    MAX_ZIP_RATIO,
    TOTAL_FLOOR,
    ZIP_RATIO_FLOOR,
)
from app.core.documents.model import DocumentLimits
from app.core.errors import DocumentError

_STREAM = re.compile(rb"(?<!end)stream\r?\n")
_DICT_LOOKBACK = 4096  # a stream's dictionary is a few hundred bytes before its data
_IN_BLOCK = 64 << 10
_OUT_BLOCK = 256 << 10


def check_pdf_streams(path: Path, limits: DocumentLimits) -> None:
    """Refuse a PDF whose text streams really inflate far beyond its size."""
    try:
        with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            size = len(buf)
            budget = min(
                max(limits.max_file_bytes * 4, limits.max_chars * 8),
                max(TOTAL_FLOOR, size * MAX_TOTAL_RATIO),
            )
            total = 0
            for match in _STREAM.finditer(buf):
                head = buf[max(0, match.start() - _DICT_LOOKBACK) : match.start()]
                dictionary = head[head.rfind(b"obj") :]
                if b"/FlateDecode" not in dictionary or b"/Image" in dictionary:
                    continue
                total += _inflated(buf, match.end(), budget - total)
                if total > budget:
                    raise _bomb(path)
    except (OSError, ValueError) as exc:  # unreadable, or empty (mmap of 0 bytes)
        raise DocumentError(f"{path.name}: the file cannot be read ({exc}).") from None


def _inflated(buf: mmap.mmap, start: int, cap: int) -> int:
    """Bytes one zlib stream at `start` inflates to, stopping once past `cap` (or at damage)."""
    inflater = zlib.decompressobj()
    out = fed = 0
    try:
        while out <= cap and not inflater.eof and start + fed < len(buf):
            block = buf[start + fed : start + fed + _IN_BLOCK]
            fed += len(block)
            out += len(inflater.decompress(block, _OUT_BLOCK))
            while inflater.unconsumed_tail and out <= cap:
                out += len(inflater.decompress(inflater.unconsumed_tail, _OUT_BLOCK))
            used = fed - len(inflater.unused_data) - len(inflater.unconsumed_tail)
            if out > ZIP_RATIO_FLOOR and out / max(used, 1) > MAX_ZIP_RATIO:
                return cap + 1
    except zlib.error:  # not Flate after all, or encrypted: pdfium's to judge
        pass
    return out


def _bomb(path: Path) -> DocumentError:
    return DocumentError(
        f"{path.name}: the PDF would expand to far more data than it holds (a decompression "
        f"bomb or a damaged file), so it was not opened."
    )
