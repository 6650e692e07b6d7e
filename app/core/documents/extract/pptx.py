"""PowerPoint (.pptx): each slide's text (titles, boxes, tables, notes), cited "slide N"."""

from __future__ import annotations

from pathlib import Path

from app.core.documents.extract.archive import check_zip
from app.core.documents.extract.guards import check_pages
from app.core.documents.extract.pages import Extracted
from app.core.documents.model import DocumentLimits, Page
from app.core.errors import DocumentError


def extract_pptx(path: Path, limits: DocumentLimits) -> Extracted:
    check_zip(path, limits, "PowerPoint")
    from pptx import Presentation  # imported here: only needed for slides
    from pptx.exc import PythonPptxError

    try:
        deck = Presentation(str(path))
        slides = list(deck.slides)
        check_pages(path.name, len(slides), limits)
        pages = []
        for number, slide in enumerate(slides, start=1):
            text = _slide_text(slide)
            if text:
                pages.append(Page(number, text))
    except (PythonPptxError, KeyError, ValueError, SyntaxError, AttributeError) as exc:
        raise DocumentError(
            f"{path.name}: the PowerPoint file is damaged or not a real .pptx "
            f"({type(exc).__name__}); open it in a presentation program and save it again."
        ) from None
    return Extracted(pages, unit="slide")


def _slide_text(slide) -> str:
    parts: list[str] = []
    for shape in slide.shapes:
        parts.extend(_shape_text(shape))
    if slide.has_notes_slide:
        notes = slide.notes_slide.notes_text_frame
        if notes is not None and notes.text.strip():
            parts.append(f"Notes: {notes.text.strip()}")
    return "\n\n".join(p for p in parts if p)


def _shape_text(shape) -> list[str]:
    if getattr(shape, "has_text_frame", False) and shape.text_frame.text.strip():
        return [shape.text_frame.text.strip()]
    if getattr(shape, "has_table", False):
        rows = [" | ".join(c.text.strip() for c in row.cells) for row in shape.table.rows]
        return ["\n".join(rows)]
    if hasattr(shape, "shapes"):  # a group
        return [t for child in shape.shapes for t in _shape_text(child)]
    return []
