"""Checks that run before a parser sees a file: size, zip bombs, binary content, encodings.

Each failure is a `DocumentError` whose message names the file, says what is wrong and what
to do, so the window and the command line can show it as is.
"""

from __future__ import annotations

import codecs
import zipfile
from collections.abc import Iterator
from pathlib import Path

import charset_normalizer

from app.core.documents.model import DocumentLimits
from app.core.errors import DocumentError

# A zip member that inflates more than this many times, past a few MB, is treated as a bomb:
# real Office XML compresses 5-20x, rarely beyond 50x.
MAX_ZIP_RATIO = 100
ZIP_RATIO_FLOOR = 4 * 1024 * 1024
MAX_ZIP_MEMBERS = 10_000
SNIFF_BYTES = 64 * 1024
_READ_BLOCK = 1024 * 1024
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def check_file(path: Path, limits: DocumentLimits) -> int:
    """The file's size, after making sure it exists, is readable, non-empty and within limits."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DocumentError(f"{path.name}: the file does not exist ({path}).") from None
    except OSError as exc:
        raise DocumentError(f"{path.name}: the file cannot be read ({exc.strerror}).") from None
    if not path.is_file():
        raise DocumentError(f"{path.name}: this is not a regular file; choose a document.")
    if size == 0:
        raise DocumentError(f"{path.name}: the file is empty (0 bytes); there is nothing to read.")
    if size > limits.max_file_bytes:
        raise DocumentError(
            f"{path.name}: the file is {size / 1048576:.0f} MB, over the {limits.max_file_mb} MB "
            f"limit for documents; split it or raise the limit in Settings › Documents."
        )
    return size


def check_zip(path: Path, limits: DocumentLimits, kind: str) -> None:
    """Refuse archives that are not zips, or that would inflate far beyond their size."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise DocumentError(
            f"{path.name}: the file is damaged or is not a real {kind} file (it is not a valid "
            f"archive); open it in its program and save it again."
        ) from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise DocumentError(f"{path.name}: the {kind} file has too many parts to be safe to read.")
    budget = max(limits.max_file_bytes * 4, limits.max_chars * 8)
    total = 0
    for info in members:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > budget or (info.file_size > ZIP_RATIO_FLOOR and ratio > MAX_ZIP_RATIO):
            raise DocumentError(
                f"{path.name}: the {kind} file would expand to far more data than it holds "
                f"(a 'zip bomb' or a damaged file), so it was not opened."
            )


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
