"""Word (.docx): paragraphs and tables in reading order (python-docx).

A .docx has no fixed pages: page breaks saved by Word (or typed by the user) start a new page
when the file has them; otherwise pages are approximate (~3000 characters), cited as "p. ~N".
python-docx parses with entity resolution off; the archive is checked for bombs first.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from app.core.documents.extract.archive import check_zip
from app.core.documents.extract.pages import PAGE_BREAK, Extracted, paginate
from app.core.documents.model import APPROX_PAGE_CHARS, DocumentLimits
from app.core.errors import DocumentError

_NO_LIMIT = 10**12


def extract_docx(path: Path, limits: DocumentLimits) -> Extracted:
    check_zip(path, limits, "Word")
    import docx  # imported here: a second or so at start-up the CLI does not need otherwise
    from docx.exceptions import PythonDocxError
    from docx.opc.exceptions import OpcError

    try:
        document = docx.Document(str(path))
        blocks = list(_blocks(document))
    except (OpcError, PythonDocxError, KeyError, ValueError, SyntaxError, AttributeError) as exc:
        raise DocumentError(
            f"{path.name}: the Word file is damaged or not a real .docx ({type(exc).__name__}); "
            f"open it in a word processor and save it again."
        ) from None
    # Trust the file's page breaks when they look like real pages, not a few chapter breaks.
    breaks = blocks.count(PAGE_BREAK)
    chars = sum(len(b) for b in blocks)
    explicit = breaks > 0 and chars / (breaks + 1) <= 2 * APPROX_PAGE_CHARS
    return Extracted(paginate(blocks, page_chars=_NO_LIMIT if explicit else APPROX_PAGE_CHARS))


def _blocks(document) -> Iterator[str]:
    from docx.table import Table

    body = document.element.body
    rendered = bool(body.xpath(".//w:lastRenderedPageBreak"))
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            yield _table_text(item)
            continue
        element = item._p
        before = bool(element.xpath("./w:pPr/w:pageBreakBefore"))
        if rendered:
            before = before or bool(element.xpath(".//w:lastRenderedPageBreak"))
            after = False
        else:
            after = bool(element.xpath(".//w:br[@w:type='page']"))
        if before:
            yield PAGE_BREAK
        if item.text.strip():
            yield item.text
        if after:
            yield PAGE_BREAK


def _table_text(table) -> str:
    rows = []
    for row in table.rows:
        cells = [cell.text.strip() for cell in row.cells]
        rows.append(" | ".join(cells))
    return "\n".join(rows)
