"""PDF: the text layer of each page, with its real page number (pypdfium2)."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium

from app.core.documents.extract.guards import check_pages
from app.core.documents.extract.pages import Extracted
from app.core.documents.extract.pdf_streams import check_pdf_streams
from app.core.documents.model import DocumentLimits, Page
from app.core.errors import DocumentError

_PASSWORD_ERROR = 4  # FPDF_ERR_PASSWORD


class PasswordRequired(DocumentError):
    """The PDF is encrypted; the caller may ask for the password and try again."""


def extract_pdf(path: Path, limits: DocumentLimits, password: str | None = None) -> Extracted:
    check_pdf_streams(path, limits)  # pdfium inflates each content stream whole
    try:
        pdf = pdfium.PdfDocument(path, password=password)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == _PASSWORD_ERROR or "password" in str(exc).lower():
            if password:
                raise PasswordRequired(
                    f"{path.name}: the password is not correct for this encrypted PDF."
                ) from None
            raise PasswordRequired(
                f"{path.name}: this PDF is encrypted with a password; open it with the "
                f"password and save an unprotected copy (or print it to PDF), then try again."
            ) from None
        raise DocumentError(
            f"{path.name}: the PDF is damaged or not a real PDF ({exc}); open it in a PDF "
            f"viewer and save it again."
        ) from None
    try:
        count = len(pdf)
        check_pages(path.name, count, limits)
        pages: list[Page] = []
        total = 0
        for index in range(count):
            text = _page_text(pdf, index)
            total += len(text)
            if total > limits.max_chars:
                raise DocumentError(
                    f"{path.name}: the PDF has more than {limits.max_chars:,} characters of "
                    f"text, over the limit for one document; split it or raise the limit in "
                    f"Settings › Documents."
                )
            pages.append(Page(index + 1, text))
    finally:
        pdf.close()
    if not any(p.text.strip() for p in pages):
        raise DocumentError(
            f"{path.name}: this PDF has no text layer (it is probably a scan or made of "
            f"images); OCR is not available in Enclave, so there is nothing to summarise."
        )
    # Pages without text keep their number (so citations stay right) but add nothing.
    return Extracted([p for p in pages if p.text.strip()], unit="page")


def _page_text(pdf: pdfium.PdfDocument, index: int) -> str:
    page = pdf[index]
    try:
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_bounded()
        finally:
            textpage.close()
    finally:
        page.close()
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()
