"""OpenDocument text (.odt): paragraphs, headings, lists and tables from content.xml.

content.xml is parsed with defusedxml (no entity expansion, no external resources) after the
archive passed the zip-bomb check. Page breaks LibreOffice saved (`soft-page-break`) start a new
page; without them pages are approximate (~3000 characters).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from app.core.documents.extract.archive import check_zip
from app.core.documents.extract.pages import PAGE_BREAK, Extracted, paginate
from app.core.documents.model import APPROX_PAGE_CHARS, DocumentLimits
from app.core.errors import DocumentError

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_PARAGRAPHS = (f"{_TEXT}p", f"{_TEXT}h")


def extract_odt(path: Path, limits: DocumentLimits) -> Extracted:
    check_zip(path, limits, "OpenDocument")
    try:
        with zipfile.ZipFile(path) as archive:
            root = SafeET.fromstring(archive.read("content.xml"))
    except (KeyError, SafeET.ParseError, DefusedXmlException, zipfile.BadZipFile, OSError):
        raise DocumentError(
            f"{path.name}: the OpenDocument file is damaged or unsafe to read; open it in "
            f"LibreOffice and save it again."
        ) from None
    body = root.find(f"{_OFFICE}body/{_OFFICE}text")
    if body is None:
        raise DocumentError(f"{path.name}: this OpenDocument file holds no text document.")
    blocks = list(_blocks(body))
    breaks = blocks.count(PAGE_BREAK)
    chars = sum(len(b) for b in blocks)
    explicit = breaks > 0 and chars / (breaks + 1) <= 2 * APPROX_PAGE_CHARS
    return Extracted(paginate(blocks, page_chars=10**12 if explicit else APPROX_PAGE_CHARS))


def _blocks(element: Element) -> Iterator[str]:
    for child in element:
        tag = child.tag
        if tag == f"{_TEXT}soft-page-break":
            yield PAGE_BREAK
        elif tag in _PARAGRAPHS:
            if child.find(f".//{_TEXT}soft-page-break") is not None:
                yield PAGE_BREAK
            text = _inline_text(child).strip()
            if text:
                yield text
        elif tag == f"{_TABLE}table":
            yield _table_text(child)
        else:  # lists, sections, frames: their paragraphs are further down
            yield from _blocks(child)


def _inline_text(element: Element) -> str:
    parts = [element.text or ""]
    for child in element:
        tag = child.tag
        if tag == f"{_TEXT}s":
            count = child.get(f"{_TEXT}c", "1")
            parts.append(" " * min(int(count) if count.isdigit() else 1, 100))
        elif tag == f"{_TEXT}tab":
            parts.append("\t")
        elif tag == f"{_TEXT}line-break":
            parts.append("\n")
        elif tag not in (f"{_TEXT}note", f"{_OFFICE}annotation"):
            parts.append(_inline_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _table_text(table: Element) -> str:
    rows = []
    for row in table.iter(f"{_TABLE}table-row"):
        cells = [
            " ".join(_inline_text(p).strip() for p in cell.iter(f"{_TEXT}p"))
            for cell in row.iter(f"{_TABLE}table-cell")
        ]
        rows.append(" | ".join(cells))
    return "\n".join(rows)
