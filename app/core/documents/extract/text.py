"""Plain text, Markdown and source code: any encoding (detected), read block by block.

Binary content under a text name is refused; invalid bytes become U+FFFD instead of failing;
a file over the character limit is refused as soon as the limit is passed, so a huge file never
fills memory.
"""

from __future__ import annotations

from pathlib import Path

from app.core.documents.extract.guards import decode_text
from app.core.documents.extract.pages import Extracted, paginate, paragraphs
from app.core.documents.model import DocumentLimits


def extract_text(path: Path, limits: DocumentLimits) -> Extracted:
    return Extracted(paginate(paragraphs(decode_text(path, limits))))
