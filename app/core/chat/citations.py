"""The one citation rule: a document answer keeps its sources in the reply's stats.

Whichever front end asked (window, command line, API), the reply's stats carry `citations`, so
the window shows the sources of any answer again later.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.core.documents.model import Citation, page_unit_for


def citations_to_stats(citations: Iterable[Citation]) -> list[dict[str, Any]]:
    return [c.as_dict() for c in citations]


def citations_from_stats(stats: dict[str, Any] | None) -> list[Citation]:
    """The citations an answer stored in its stats."""
    found = []
    for item in (stats or {}).get("citations") or []:
        if not isinstance(item, dict) or not isinstance(item.get("document"), str):
            continue
        name = item["document"]
        found.append(
            Citation(
                document_name=name,
                page_start=item.get("page_start"),
                page_end=item.get("page_end"),
                path=item.get("path"),
                unit=page_unit_for(name),
                more_spans=_spans(item.get("more_spans")),
            )
        )
    return found


def _spans(raw: Any) -> tuple[tuple[int, int], ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(
        (a, b)
        for a, b in (s for s in raw if isinstance(s, list) and len(s) == 2)
        if isinstance(a, int) and isinstance(b, int)
    )
