"""Spreadsheets as tables: CSV (any encoding, dialect sniffed) and Excel .xlsx (openpyxl).

Rows become "a | b | c" lines. A CSV is cut into approximate pages of rows, each starting with
the header row so a chunk read alone still says what its columns mean; each Excel sheet is one
"sheet" (cited as "sheet N").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from app.core.documents.extract.archive import check_zip
from app.core.documents.extract.guards import check_pages, decode_text, raise_too_long
from app.core.documents.extract.pages import Extracted
from app.core.documents.model import APPROX_PAGE_CHARS, DocumentLimits, Page
from app.core.errors import DocumentError


def extract_csv(path: Path, limits: DocumentLimits) -> Extracted:
    text = decode_text(path, limits)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:8192], ",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [_row(r) for r in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as exc:
        raise DocumentError(f"{path.name}: the CSV file is malformed ({exc}).") from None
    rows = [r for r in rows if r.strip(" |")]
    if not rows:
        return Extracted([])
    header, body = rows[0], rows[1:]
    pages: list[Page] = []
    current: list[str] = [header]
    size = len(header)
    for row in body:
        if size + len(row) > APPROX_PAGE_CHARS and len(current) > 1:
            pages.append(Page(len(pages) + 1, "\n".join(current)))
            current, size = [header], len(header)
        current.append(row)
        size += len(row) + 1
    pages.append(Page(len(pages) + 1, "\n".join(current)))
    return Extracted(pages)


def extract_xlsx(path: Path, limits: DocumentLimits) -> Extracted:
    check_zip(path, limits, "Excel")
    import openpyxl  # imported here: slow to import, only needed for spreadsheets
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, ValueError, OSError, SyntaxError) as exc:
        raise DocumentError(
            f"{path.name}: the Excel file is damaged or not a real .xlsx ({type(exc).__name__}); "
            f"open it in a spreadsheet program and save it again."
        ) from None
    try:
        check_pages(path.name, len(workbook.worksheets), limits)
        pages: list[Page] = []
        total = 0
        for number, sheet in enumerate(workbook.worksheets, start=1):
            lines = [f"Sheet: {sheet.title}"]
            for values in sheet.iter_rows(values_only=True):
                line = _row(values)
                if line.strip(" |"):
                    lines.append(line)
                    total += len(line) + 1
                    if total > limits.max_chars:
                        raise_too_long(path, limits)
            if len(lines) > 1:
                pages.append(Page(number, "\n".join(lines)))
    finally:
        workbook.close()
    return Extracted(pages, unit="sheet")


def _row(values: Iterable[object]) -> str:
    cells = ["" if v is None else str(v).strip() for v in values]
    while cells and not cells[-1]:
        cells.pop()
    return " | ".join(cells)
