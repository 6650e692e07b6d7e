"""Sources of a document answer: one entry per document, each page once, most relevant first."""

from __future__ import annotations

from app.core.chat.citations import citations_from_stats, citations_to_stats
from app.core.documents.model import Citation, merge_citations


def cite(name: str, page: int, path: str | None = None) -> Citation:
    return Citation(name, page, page, path=path or f"/docs/{name}", unit="page")


def test_the_same_page_twice_is_one_source_and_pages_of_a_file_merge_in_order() -> None:
    merged = merge_citations(
        [cite("amc-fr.pdf", 86), cite("amc-fr.pdf", 86), cite("other.pdf", 3),
         cite("amc-fr.pdf", 12)]
    )  # fmt: skip
    assert [c.label for c in merged] == ["amc-fr.pdf, pp. 86, 12", "other.pdf, p. 3"]
    assert merged[0].page_start == 86  # the most relevant page is the one the window opens


def test_two_files_with_one_name_stay_apart() -> None:
    merged = merge_citations([cite("notes.txt", 1, "/a/notes.txt"), cite("notes.txt", 1, "/b/n")])
    assert len(merged) == 2


def test_merged_sources_survive_the_round_trip_through_a_replys_stats() -> None:
    merged = merge_citations([cite("a.pdf", 2), cite("a.pdf", 5), cite("b.pdf", 1)])
    again = citations_from_stats({"citations": citations_to_stats(merged)})
    assert [c.label for c in again] == ["a.pdf, pp. 2, 5", "b.pdf, p. 1"]
    assert citations_from_stats({"citations": [{"document": 3}, "junk"]}) == []
