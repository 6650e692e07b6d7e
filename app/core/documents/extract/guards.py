"""Checks that run before a parser sees a file: type, size, binary content, encodings.

Zip bombs are `archive.check_zip`'s.

Each failure is a `DocumentError` whose message names the file, says what is wrong and what
to do, so the window and the command line can show it as is.
"""

from __future__ import annotations

import codecs
import stat
from collections.abc import Iterator
from pathlib import Path

import charset_normalizer

from app.core.documents.model import DocumentLimits
from app.core.errors import DocumentError

SNIFF_BYTES = 64 * 1024
_READ_BLOCK = 1024 * 1024
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def not_a_file(path: Path) -> str | None:
    """Why `path` cannot be read as a document (missing, a folder, a pipe…), or None.

    Only `stat` is used: opening a FIFO to look at it would block until someone writes to it.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return f"{path.name}: the file does not exist ({path})."
    except OSError as exc:
        return f"{path.name}: the file cannot be read ({exc.strerror})."
    if stat.S_ISDIR(mode):
        return f"{path.name}: this is a folder, not a file; choose a document."
    if not stat.S_ISREG(mode):
        return (
            f"{path.name}: this is not a regular file (a pipe, a device or a socket); choose "
            f"a document saved on disk."
        )
    return None


def check_file(path: Path, limits: DocumentLimits) -> int:
    """The file's size, after making sure it exists, is readable, non-empty and within limits."""
    problem = not_a_file(path)
    if problem:
        raise DocumentError(problem)
    size = path.stat().st_size
    if size == 0:
        raise DocumentError(f"{path.name}: the file is empty (0 bytes); there is nothing to read.")
    if size > limits.max_file_bytes:
        raise DocumentError(
            f"{path.name}: the file is {size / 1048576:.0f} MB, over the {limits.max_file_mb} MB "
            f"limit for documents; split it or raise the limit in Settings › Documents."
        )
    return size


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path.name}: the file cannot be read ({exc.strerror}).") from None


def read_head(path: Path, size: int = SNIFF_BYTES) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(size)
    except OSError as exc:
        raise DocumentError(f"{path.name}: the file cannot be read ({exc.strerror}).") from None


def bom_encoding(head: bytes) -> str | None:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    return None


def looks_binary(head: bytes) -> bool:
    """NUL bytes or many control characters: an executable, an image, an archive…"""
    if bom_encoding(head) in ("utf-16", "utf-32"):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27, 8))
    return controls > max(8, len(head) // 100)


def detect_encoding(head: bytes) -> str:
    """UTF-8 (tolerating a few bad bytes), else what charset-normalizer finds, else UTF-8."""
    bom = bom_encoding(head)
    if bom:
        return bom
    # Incremental, not final: a character cut at the end of the sample is not an error.
    decoded = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(head, final=False)
    bad = decoded.count("\ufffd")
    non_ascii = sum(1 for b in head if b >= 0x80)
    if bad <= 0 or bad * 10 < non_ascii:  # mostly valid UTF-8: keep it, replace the odd byte
        return "utf-8"
    best = charset_normalizer.from_bytes(head).best()
    return best.encoding if best is not None else "utf-8"


def iter_text(path: Path, limits: DocumentLimits, encoding: str) -> Iterator[str]:
    """Decode the file block by block; memory stays at one block plus what the caller keeps."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    seen = 0
    try:
        with path.open("rb") as fh:
            while block := fh.read(_READ_BLOCK):
                text = decoder.decode(block)
                seen += len(text)
                if seen > limits.max_chars:
                    raise_too_long(path, limits)
                yield text
            yield decoder.decode(b"", final=True)
    except OSError as exc:
        raise DocumentError(f"{path.name}: the file cannot be read ({exc.strerror}).") from None


def decode_text(path: Path, limits: DocumentLimits) -> str:
    """The whole text of a plain-text file, refusing binaries and anything over the limit."""
    head = read_head(path)
    if looks_binary(head):
        raise DocumentError(
            f"{path.name}: this is a binary file, not text (its name says otherwise); Enclave "
            f"reads PDF, Word, OpenDocument, RTF, text, HTML, CSV, Excel, PowerPoint and e-mail."
        )
    text = "".join(iter_text(path, limits, detect_encoding(head)))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def raise_too_long(path: Path, limits: DocumentLimits) -> None:
    raise DocumentError(
        f"{path.name}: the document has more than {limits.max_chars:,} characters, over the "
        f"limit for one document; split it or raise the limit in Settings › Documents."
    )


def check_pages(name: str, pages: int, limits: DocumentLimits) -> None:
    if pages > limits.max_pages:
        raise DocumentError(
            f"{name}: the document has {pages} pages, over the {limits.max_pages}-page limit; "
            f"split it or raise the limit in Settings › Documents."
        )
