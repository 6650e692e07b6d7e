"""Rich Text Format (.rtf): control words stripped by striprtf; pages are approximate."""

from __future__ import annotations

from pathlib import Path

from striprtf.striprtf import rtf_to_text

from app.core.documents.extract.guards import raise_too_long, read_bytes
from app.core.documents.extract.pages import Extracted, paginate, paragraphs
from app.core.documents.model import DocumentLimits
from app.core.errors import DocumentError


def extract_rtf(path: Path, limits: DocumentLimits) -> Extracted:
    raw = read_bytes(path)
    if not raw.lstrip().startswith(b"{\\rtf"):
        raise DocumentError(f"{path.name}: this is not an RTF file (it lacks the RTF header).")
    # RTF is 7-bit ASCII with escapes for everything else; cp1252 maps any stray 8-bit byte.
    source = raw.decode("cp1252", errors="replace")
    try:
        text = rtf_to_text(source, errors="replace")
    except (ValueError, IndexError, RecursionError) as exc:
        raise DocumentError(
            f"{path.name}: the RTF file is damaged ({type(exc).__name__}); open it in a word "
            f"processor and save it again."
        ) from None
    if len(text) > limits.max_chars:
        raise_too_long(path, limits)
    return Extracted(paginate(paragraphs(_paragraph_breaks(text))))


def _paragraph_breaks(text: str) -> str:
    # striprtf ends each \par with one newline: make those paragraph breaks.
    return "\n\n".join(line for line in text.replace("\r\n", "\n").split("\n"))
