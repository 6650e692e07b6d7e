"""Open a cited document at the cited page in the user's own viewer.

PDF viewers understand the `#page=N` fragment of a file URL (RFC 8118); other formats open at
their start. Only the local file the document was read from is ever opened, never a URL taken
from model output.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

from app.core.documents.model import Citation


def citation_url(citation: Citation) -> QUrl | None:
    """A file:// URL for the citation, with #page=N for PDFs; None if the file is gone."""
    if not citation.path or not Path(citation.path).is_file():
        return None
    url = QUrl.fromLocalFile(citation.path)
    if citation.unit == "page" and citation.page_start:
        url.setFragment(f"page={citation.page_start}")
    return url


def open_citation(citation: Citation) -> bool:
    """Ask the desktop to open the cited file; False when it no longer exists or cannot open."""
    url = citation_url(citation)
    return url is not None and QDesktopServices.openUrl(url)
