"""Real documents of every supported format, written by the libraries that make them.

Tests build their inputs here at run time (no big binaries in the repository). Each function
writes `path` and returns it.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path

LOREM = (
    "The committee reviewed the budget for the coming year and agreed on the main priorities. "
    "Members discussed staffing, maintenance of the buildings and the training programme. "
    "Several proposals were deferred until more information is available from the suppliers."
)
LOREM_FR = (
    "Le comité a examiné le budget de l'année prochaine et a fixé les priorités principales. "
    "Les membres ont discuté des effectifs, de l'entretien des bâtiments et de la formation. "
    "Plusieurs propositions ont été reportées dans l'attente des informations des fournisseurs."
)


def make_pdf(path: Path, pages: Sequence[str], password: str | None = None) -> Path:
    """One PDF page per entry (Helvetica, Latin-1 text); `password` encrypts it."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    if password:
        pdf.set_encryption(owner_password=password + "-owner", user_password=password)
    for text in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=10)
        pdf.multi_cell(0, 5, text)
    pdf.output(str(path))
    return path


def make_image_pdf(path: Path, pages: int = 2) -> Path:
    """A "scanned" PDF: each page is only a picture, with no text layer."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    pdf = FPDF(format="A4")
    for index in range(pages):
        image = Image.new("RGB", (400, 200), "white")
        ImageDraw.Draw(image).text((20, 80), f"Scanned page {index + 1}", fill="black")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        pdf.add_page()
        pdf.image(buffer, x=10, y=10, w=180)
    pdf.output(str(path))
    return path


def make_docx(path: Path, paragraphs: Sequence[str], page_break_every: int = 0) -> Path:
    """A Word file; `page_break_every=N` inserts a hard page break after every N paragraphs."""
    import docx

    document = docx.Document()
    document.add_heading("Report", level=1)
    for index, text in enumerate(paragraphs, start=1):
        document.add_paragraph(text)
        if page_break_every and index % page_break_every == 0 and index < len(paragraphs):
            document.add_page_break()
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Item", "Cost"
    table.cell(1, 0).text, table.cell(1, 1).text = "Roof", "12000"
    document.save(str(path))
    return path


def make_odt(path: Path, paragraphs: Sequence[str]) -> Path:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text="Rapport"))
    for text in paragraphs:
        document.text.addElement(P(text=text))
    document.save(str(path))
    return path


def make_rtf(path: Path, paragraphs: Sequence[str]) -> Path:
    def escape(text: str) -> str:
        out = []
        for char in text:
            if char in "\\{}":
                out.append("\\" + char)
            elif ord(char) > 127:
                out.append(f"\\u{ord(char)}?")
            else:
                out.append(char)
        return "".join(out)

    body = "\n".join(f"\\pard {escape(p)}\\par" for p in paragraphs)
    path.write_text("{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}}\n" + body + "\n}", "ascii")
    return path


def make_html(path: Path, paragraphs: Sequence[str]) -> Path:
    items = "".join(f"<p>{p}</p>" for p in paragraphs)
    path.write_text(
        "<!DOCTYPE html><html><head><title>T</title><style>p{color:red}</style></head><body>"
        f"<h1>Report</h1><script>var secret = 'do not show';</script>{items}</body></html>",
        "utf-8",
    )
    return path


def make_csv(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def make_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    workbook.save(path)
    return path


def make_pptx(path: Path, slides: Sequence[tuple[str, str]]) -> Path:
    from pptx import Presentation

    deck = Presentation()
    for title, body in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
    deck.save(str(path))
    return path


def make_eml(path: Path, subject: str, body: str, html: bool = False) -> Path:
    message = EmailMessage()
    message["From"] = "Alice <alice@example.org>"
    message["To"] = "Bob <bob@example.org>"
    message["Subject"] = subject
    message["Date"] = "Mon, 03 Mar 2025 10:00:00 +0000"
    if html:
        message.set_content("<html><body><p>" + body + "</p></body></html>", subtype="html")
    else:
        message.set_content(body)
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="annex.pdf")
    path.write_bytes(bytes(message))
    return path


def make_zip_bomb_docx(path: Path, inflated_mb: int = 64) -> Path:
    """A .docx whose document.xml inflates ~1000x (written in blocks: little memory here)."""
    block = b"<w:t>" + b" " * (1 << 20) + b"</w:t>"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(inflated_mb):
                member.write(block)
    return path


def make_corrupt_docx(path: Path) -> Path:
    """A real .docx cut in half: the zip's directory is gone."""
    full = make_docx(path.with_name("whole-" + path.name), [LOREM] * 5)
    data = full.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    full.unlink()
    return path
