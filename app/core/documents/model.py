"""What extraction produces and what a summary or an answer cites: plain, thread-safe data."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Literal

# How a document's "pages" map to the original: real PDF pages, slides, sheets, or pages of
# roughly `APPROX_PAGE_CHARS` characters for formats that have no fixed pagination (DOCX, text…).
PageUnit = Literal["page", "approx", "slide", "sheet"]
APPROX_PAGE_CHARS = 3000


@dataclass(frozen=True, slots=True)
class Page:
    number: int  # 1-based
    text: str


@dataclass(frozen=True, slots=True)
class ExtractedDocument:
    name: str
    path: str
    sha256: str
    size_bytes: int
    format: str  # "pdf", "docx", "txt", …
    pages: tuple[Page, ...]
    language: str = "en"  # "en" or "fr": what the summary is written in by default
    page_unit: PageUnit = "approx"
    warnings: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages)

    @property
    def char_count(self) -> int:
        return sum(len(p.text) for p in self.pages)


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    """Refuse, with a message naming the limit, anything that would take too long or too much."""

    max_file_mb: int = 100
    max_pages: int = 2000
    max_chars: int = 3_000_000

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024

    @classmethod
    def from_settings(cls, settings: object) -> DocumentLimits:
        defaults = cls()
        return cls(
            max_file_mb=int(getattr(settings, "document_max_file_mb", defaults.max_file_mb)),
            max_pages=int(getattr(settings, "document_max_pages", defaults.max_pages)),
            max_chars=int(getattr(settings, "document_max_chars", defaults.max_chars)),
        )


_UNIT_BY_SUFFIX: dict[str, PageUnit] = {".pdf": "page", ".pptx": "slide", ".xlsx": "sheet"}


def page_unit_for(name: str) -> PageUnit:
    """The page unit of a stored document, from its file name (the store keeps the name)."""
    return _UNIT_BY_SUFFIX.get(PurePath(name).suffix.lower(), "approx")


_UNIT_WORDS = {
    "en": {"slide": ("slide", "slides"), "sheet": ("sheet", "sheets"), "page": ("p.", "pp.")},
    "fr": {"slide": ("diapo", "diapos"), "sheet": ("feuille", "feuilles"), "page": ("p.", "p.")},
}


def page_label(unit: PageUnit, start: int | None, end: int | None = None, lang: str = "en") -> str:
    """'p. 3', 'pp. 3–5', 'p. ~3', 'slide 4', 'sheets 1–2'; '' when the span is unknown."""
    if start is None:
        return ""
    end = start if end is None else end
    tilde = "~" if unit == "approx" else ""
    span = f"{tilde}{start}" if end == start else f"{tilde}{start}–{end}"
    words = _UNIT_WORDS.get(lang, _UNIT_WORDS["en"])
    singular, plural = words["page" if unit == "approx" else unit]
    return f"{plural if end != start else singular} {span}"


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a statement comes from: a document and its page spans (the most relevant first,
    which the window opens), one citation per document."""

    document_name: str
    page_start: int | None
    page_end: int | None
    path: str | None = None
    document_id: int | None = None
    snippet: str = ""
    unit: PageUnit = "approx"
    more_spans: tuple[tuple[int, int], ...] = ()  # other pages of the same document

    @property
    def spans(self) -> list[tuple[int, int]]:
        if self.page_start is None:
            return []
        first = (self.page_start, self.page_end or self.page_start)
        return [first, *self.more_spans]

    @property
    def label(self) -> str:
        spans = self.spans
        if len(spans) <= 1:
            pages = page_label(self.unit, self.page_start, self.page_end)
            return f"{self.document_name}, {pages}" if pages else self.document_name
        word = page_label(self.unit, 1, 2).split(" ")[0]  # the plural: "pp.", "slides", ...
        tilde = "~" if self.unit == "approx" else ""
        listed = ", ".join(f"{tilde}{a}" if a == b else f"{tilde}{a}–{b}" for a, b in spans)
        return f"{self.document_name}, {word} {listed}"

    def as_dict(self) -> dict[str, object]:
        return {
            "document": self.document_name,
            "path": self.path,
            "page_start": self.page_start,
            "page_end": self.page_end,
            "more_spans": [list(span) for span in self.more_spans],
            "label": self.label,
        }


def merge_citations(citations: list[Citation]) -> list[Citation]:
    """One citation per document, in the order of their first (most relevant) mention; the
    same page twice is listed once, other pages of the same document are added to it."""
    merged: dict[tuple[str, str | None], Citation] = {}
    for c in citations:
        key = (c.document_name, c.path)
        known = merged.get(key)
        if known is None:
            merged[key] = c
            continue
        new = [span for span in c.spans if span not in known.spans]
        if new:
            merged[key] = replace(known, more_spans=(*known.more_spans, *new))
    return list(merged.values())


@dataclass(slots=True)
class Section:
    """One part of a long document and its summary, with the exact pages it came from."""

    index: int  # 1-based
    page_start: int
    page_end: int
    text: str = ""


@dataclass(slots=True)
class Summary:
    document: str
    language: str
    mode: Literal["single", "map-reduce"]
    unit: PageUnit
    overview: str = ""
    sections: list[Section] = field(default_factory=list)
    chunks_total: int = 0
    chunks_done: int = 0
    cancelled: bool = False
    prompt_tokens: int = 0
    generated_tokens: int = 0
    generation_s: float = 0.0  # time spent inside the model, for the overhead benchmark
    wall_s: float = 0.0
