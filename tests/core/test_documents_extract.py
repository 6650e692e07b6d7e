"""Extraction of every supported format, from real files made by each format's own library."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.documents.extract import extract, sniff_format
from app.core.documents.model import APPROX_PAGE_CHARS
from tests.helpers import make_documents as make

FIXTURES = Path(__file__).parents[1] / "fixtures" / "documents"


def test_pdf_pages_keep_their_numbers(tmp_path: Path) -> None:
    pages = [f"Page marker {n}. " + make.LOREM for n in range(1, 6)]
    doc = extract(make.make_pdf(tmp_path / "report.pdf", pages))
    assert doc.format == "pdf" and doc.page_unit == "page"
    assert [p.number for p in doc.pages] == [1, 2, 3, 4, 5]
    for page in doc.pages:
        assert f"Page marker {page.number}." in page.text
    assert doc.language == "en"
    assert len(doc.sha256) == 64 and doc.size_bytes == (tmp_path / "report.pdf").stat().st_size


def test_pdf_blank_page_is_skipped_but_numbering_is_kept(tmp_path: Path) -> None:
    doc = extract(make.make_pdf(tmp_path / "gap.pdf", ["first page text", "", "third page text"]))
    assert [(p.number, p.text) for p in doc.pages] == [
        (1, "first page text"),
        (3, "third page text"),
    ]


def test_docx_paragraphs_tables_and_hard_page_breaks(tmp_path: Path) -> None:
    paragraphs = [f"Paragraph {n}. " + make.LOREM for n in range(1, 7)]
    doc = extract(make.make_docx(tmp_path / "minutes.docx", paragraphs, page_break_every=2))
    assert doc.format == "docx" and doc.page_unit == "approx"
    assert len(doc.pages) == 3
    assert "Paragraph 1." in doc.pages[0].text and "Paragraph 3." in doc.pages[1].text
    assert "Paragraph 6." in doc.pages[2].text and "Roof | 12000" in doc.pages[2].text


def test_docx_without_breaks_gets_approximate_pages(tmp_path: Path) -> None:
    doc = extract(make.make_docx(tmp_path / "long.docx", [make.LOREM] * 60))
    assert len(doc.pages) > 3
    assert all(len(p.text) <= APPROX_PAGE_CHARS + len(make.LOREM) for p in doc.pages)


def test_odt_is_read_and_detected_french(tmp_path: Path) -> None:
    doc = extract(make.make_odt(tmp_path / "rapport.odt", [make.LOREM_FR, "Deuxième point."]))
    assert doc.format == "odt" and doc.language == "fr"
    assert "Le comité a examiné le budget" in doc.text and "Deuxième point." in doc.text


def test_rtf_keeps_accents_and_paragraphs(tmp_path: Path) -> None:
    doc = extract(make.make_rtf(tmp_path / "note.rtf", [make.LOREM_FR, "Fin du mémo."]))
    assert doc.format == "rtf" and doc.language == "fr"
    assert "bâtiments" in doc.text and "Fin du mémo." in doc.text
    assert "\\par" not in doc.text and "fonttbl" not in doc.text


def test_html_drops_scripts_and_styles(tmp_path: Path) -> None:
    doc = extract(make.make_html(tmp_path / "page.html", [make.LOREM, "Second paragraph."]))
    assert doc.format == "html"
    assert "Report" in doc.text and "Second paragraph." in doc.text
    assert "do not show" not in doc.text and "color:red" not in doc.text


def test_csv_is_a_table_with_the_header_on_every_page(tmp_path: Path) -> None:
    rows = [["city", "population", "note"]]
    rows += [[f"Town {n}", n * 100, "a fairly long note " * 3] for n in range(200)]
    doc = extract(make.make_csv(tmp_path / "towns.csv", rows))
    assert doc.format == "csv" and len(doc.pages) > 1
    assert all(p.text.startswith("city | population | note") for p in doc.pages)
    assert "Town 199 | 19900" in doc.pages[-1].text


def test_xlsx_one_sheet_per_unit(tmp_path: Path) -> None:
    sheets = {"Budget": [["item", "cost"], ["roof", 12000]], "Staff": [["name"], ["Ana"]]}
    doc = extract(make.make_xlsx(tmp_path / "book.xlsx", sheets))
    assert doc.format == "xlsx" and doc.page_unit == "sheet"
    assert [p.number for p in doc.pages] == [1, 2]
    assert "Sheet: Budget" in doc.pages[0].text and "roof | 12000" in doc.pages[0].text
    assert "Sheet: Staff" in doc.pages[1].text and "Ana" in doc.pages[1].text


def test_pptx_one_page_per_slide(tmp_path: Path) -> None:
    deck = [("Intro", "Welcome to the plan"), ("Costs", "Roof repairs cost 12000")]
    doc = extract(make.make_pptx(tmp_path / "deck.pptx", deck))
    assert doc.format == "pptx" and doc.page_unit == "slide"
    assert [p.number for p in doc.pages] == [1, 2]
    assert "Roof repairs cost 12000" in doc.pages[1].text


@pytest.mark.parametrize("html", [False, True])
def test_eml_headers_body_and_attachments(tmp_path: Path, html: bool) -> None:
    doc = extract(make.make_eml(tmp_path / "mail.eml", "Budget meeting", make.LOREM, html=html))
    assert doc.format == "eml"
    assert "Subject: Budget meeting" in doc.text and "From: Alice" in doc.text
    assert "The committee reviewed the budget" in doc.text
    assert "Attachments (not read): annex.pdf" in doc.text


def test_markdown_fixture_is_french(tmp_path: Path) -> None:
    doc = extract(FIXTURES / "compte-rendu.md")
    assert doc.format == "txt" and doc.language == "fr"
    assert "La toiture de l'école sera refaite" in doc.text


def test_legacy_encoding_is_detected() -> None:
    doc = extract(FIXTURES / "legacy-latin1.txt")
    assert "Café crème" in doc.text and "société" in doc.text and "\ufffd" not in doc.text


def test_utf16_text_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Réunion du comité : le budget est approuvé.", encoding="utf-16")
    assert "Réunion du comité" in extract(path).text


def test_source_code_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "tool.py"
    path.write_text('def total(items):\n    """Sum the costs."""\n    return sum(items)\n')
    doc = extract(path)
    assert doc.format == "txt" and "def total(items):" in doc.text


def test_content_wins_over_the_name(tmp_path: Path) -> None:
    pdf = make.make_pdf(tmp_path / "real.pdf", ["Hidden PDF text"])
    renamed = pdf.rename(tmp_path / "looks-like.txt")
    assert sniff_format(renamed) == "pdf"
    assert "Hidden PDF text" in extract(renamed).text


def test_long_text_gets_approximate_pages_without_cutting_paragraphs(tmp_path: Path) -> None:
    paragraphs = [f"Paragraph {n}. {make.LOREM}" for n in range(40)]
    path = tmp_path / "long.txt"
    path.write_text("\n\n".join(paragraphs))
    doc = extract(path)
    assert len(doc.pages) >= 3
    for page in doc.pages:
        assert all(block in paragraphs for block in page.text.split("\n\n"))
