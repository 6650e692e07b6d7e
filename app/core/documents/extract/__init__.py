"""Read a document of any supported format into numbered pages of text.

`extract(path, limits)` picks the reader by the file's content first (a PDF named .txt is still
a PDF) and its extension second, then adds the sha256 and the detected language. Every refusal
is a `DocumentError` with a message for the user; the file itself is never modified.
"""

from __future__ import annotations

import hashlib
import logging
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium

from app.core.documents.extract.docx import extract_docx
from app.core.documents.extract.eml import extract_eml
from app.core.documents.extract.guards import check_file, looks_binary, read_head
from app.core.documents.extract.html import extract_html
from app.core.documents.extract.odt import extract_odt
from app.core.documents.extract.pages import Extracted
from app.core.documents.extract.pdf import PasswordRequired, extract_pdf
from app.core.documents.extract.pptx import extract_pptx
from app.core.documents.extract.rtf import extract_rtf
from app.core.documents.extract.tables import extract_csv, extract_xlsx
from app.core.documents.extract.text import extract_text
from app.core.documents.language import detect_language
from app.core.documents.model import DocumentLimits, ExtractedDocument
from app.core.errors import DocumentError

__all__ = ["SUPPORTED_SUFFIXES", "PasswordRequired", "extract", "sniff_format"]

Reader = Callable[[Path, DocumentLimits], Extracted]

READERS: dict[str, Reader] = {
    "docx": extract_docx,
    "odt": extract_odt,
    "rtf": extract_rtf,
    "txt": extract_text,
    "html": extract_html,
    "csv": extract_csv,
    "xlsx": extract_xlsx,
    "pptx": extract_pptx,
    "eml": extract_eml,
}

_BY_SUFFIX = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".docm": "docx",
    ".odt": "odt",
    ".rtf": "rtf",
    ".htm": "html",
    ".html": "html",
    ".xhtml": "html",
    ".csv": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".pptx": "pptx",
    ".eml": "eml",
}
# Plain text: prose, markup and source code (read as text, pages approximate).
_TEXT_SUFFIX_LIST = (
    ".txt .text .md .markdown .rst .adoc .org .tex .log .ini .cfg .conf .toml .yaml .yml .json "
    ".xml .py .pyi .js .mjs .ts .tsx .jsx .c .h .cc .cpp .hpp .cs .java .kt .go .rs .rb .php "
    ".swift .scala .sh .bash .ps1 .bat .sql .r .m .lua .pl .css .scss .vue .svelte"
)
TEXT_SUFFIXES = frozenset(_TEXT_SUFFIX_LIST.split())
SUPPORTED_SUFFIXES = frozenset(_BY_SUFFIX) | TEXT_SUFFIXES
_ZIP_MAIN_PART = {
    "word/document.xml": "docx",
    "xl/workbook.xml": "xlsx",
    "ppt/presentation.xml": "pptx",
}
# What the parsing libraries raise on a damaged file, wherever in the file the damage lies (a
# member's CRC, a page tree, an attribute name in the XML): one clear DocumentError instead.
_DAMAGED = (
    zipfile.BadZipFile, zlib.error, EOFError, OSError, LookupError, ValueError, TypeError,
    AttributeError, SyntaxError, RecursionError, pdfium.PdfiumError,
)  # fmt: skip
_log = logging.getLogger(__name__)
_OLD_OFFICE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SUPPORTED_TEXT = (
    "PDF, Word, OpenDocument, RTF, text, Markdown, HTML, CSV, Excel, PowerPoint, e-mail"
)


def extract(
    path: str | Path, limits: DocumentLimits | None = None, password: str | None = None
) -> ExtractedDocument:
    """Read `path` into pages; a `DocumentError` (or `PasswordRequired`) says what went wrong."""
    path = Path(path)
    limits = limits or DocumentLimits()
    size = check_file(path, limits)
    fmt = sniff_format(path)
    try:
        result = extract_pdf(path, limits, password) if fmt == "pdf" else READERS[fmt](path, limits)
    except DocumentError:
        raise
    except _DAMAGED as exc:
        _log.info("Reading a %s document failed: %s", fmt, type(exc).__name__)
        raise DocumentError(
            f"{path.name}: the file is damaged and cannot be read ({type(exc).__name__}); open "
            f"it in its program and save it again."
        ) from None
    if not any(page.text.strip() for page in result.pages):
        raise DocumentError(f"{path.name}: the document contains no text to summarise.")
    text_sample = "\n".join(p.text for p in result.pages[:20])
    return ExtractedDocument(
        name=path.name,
        path=str(path.resolve()),
        sha256=_sha256(path),
        size_bytes=size,
        format=fmt,
        pages=tuple(result.pages),
        language=detect_language(text_sample),
        page_unit=result.unit,
    )


def sniff_format(path: Path) -> str:
    """The reader to use: by content signature first, then by extension."""
    head = read_head(path, 8192)
    suffix = path.suffix.lower()
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_format(path, suffix)
    if head.startswith(_OLD_OFFICE):
        raise DocumentError(
            f"{path.name}: this is an old binary Office file (.doc, .xls or .ppt), which Enclave "
            f"cannot read; save it as .docx, .xlsx or .pptx and try again."
        )
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    by_suffix = _BY_SUFFIX.get(suffix)
    if by_suffix in ("pdf", "docx", "odt", "xlsx", "pptx"):
        raise DocumentError(
            f"{path.name}: the file is damaged or is not really a {suffix} file; open it in its "
            f"program and save it again."
        )
    if by_suffix is not None:
        return by_suffix
    if looks_binary(head):
        if suffix in TEXT_SUFFIXES:
            return "txt"  # the text reader explains that this "text" file is binary
        raise DocumentError(
            f"{path.name}: this kind of file cannot be read (unknown or binary format); "
            f"Enclave reads {_SUPPORTED_TEXT} and source code."
        )
    lowered = head[:512].lower()
    if b"<!doctype html" in lowered or b"<html" in lowered:
        return "html"
    return "txt"


def _zip_format(path: Path, suffix: str) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            mimetype = b""
            if "mimetype" in names:
                with archive.open("mimetype") as fh:
                    mimetype = fh.read(100)  # never inflate more than that
    except (zipfile.BadZipFile, OSError, ValueError):
        raise DocumentError(
            f"{path.name}: the file is damaged (its archive cannot be read); open it in its "
            f"program and save it again."
        ) from None
    for part, fmt in _ZIP_MAIN_PART.items():
        if part in names:
            return fmt
    if mimetype.startswith(b"application/vnd.oasis.opendocument.text"):
        return "odt"
    if suffix in (".docx", ".xlsx", ".pptx", ".odt"):
        return _BY_SUFFIX[suffix]  # its reader explains what is missing or damaged
    raise DocumentError(
        f"{path.name}: this archive is not a document Enclave can read; it reads "
        f"{_SUPPORTED_TEXT} and source code."
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
