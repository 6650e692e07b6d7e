"""Decompression bombs stay small: the extraction runs in a child process and its peak memory
(the kernel's maximum resident set size of that child) is measured.

A .docx with 1 GiB of zeros declared as 2,000 bytes once passed the zip check (it trusted the
declared sizes) and reached 2.1 GB before failing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest

from app.core.documents.extract import extract
from app.core.documents.model import DocumentLimits
from app.core.errors import DocumentError
from tests.helpers.zip_bombs import (
    CONTENT_TYPES,
    GiB,
    deflated,
    inflating_odt,
    inflating_pdf,
    lying_docx,
    repeated,
    write_zip,
)

PEAK_LIMIT_MB = 300
# The child inflates nothing itself: it runs the extraction in a grandchild and reports that
# grandchild's peak resident memory, so the interpreter running the test does not count.
_MEASURE = textwrap.dedent(
    """
    import json, resource, subprocess, sys
    work = (
        "import json, sys\\n"
        "from app.core.documents.extract import extract\\n"
        "from app.core.errors import DocumentError\\n"
        "try:\\n"
        "    extract(sys.argv[1])\\n"
        "    print(json.dumps({'error': None}))\\n"
        "except DocumentError as exc:\\n"
        "    print(json.dumps({'error': str(exc)}))\\n"
    )
    done = subprocess.run([sys.executable, "-c", work, sys.argv[1]], capture_output=True, text=True)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"code": done.returncode, "out": done.stdout, "err": done.stderr[-2000:],
                      "peak_mb": peak_kb / 1024}))
    """
)


def extract_in_child(path: Path) -> tuple[str | None, float]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["code"] == 0, report["err"]
    return json.loads(report["out"])["error"], report["peak_mb"]


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    return {
        "lying docx": lying_docx(folder / "lying.docx"),
        "odt, true sizes": inflating_odt(folder / "honest.odt", lie=False),
        "odt, lying sizes": inflating_odt(folder / "lying.odt", lie=True),
        "pdf content stream": inflating_pdf(folder / "stream.pdf"),
    }


@pytest.mark.slow  # deflates three 1 GiB bombs, then extracts each in a measured child
@pytest.mark.parametrize(
    "kind", ["lying docx", "odt, true sizes", "odt, lying sizes", "pdf content stream"]
)
def test_bombs_are_refused_under_300_mb(bombs: dict[str, Path], kind: str) -> None:
    """The PDF once peaked at 2.1 GB (pdfium inflates a content stream whole), the .docx too."""
    path = bombs[kind]
    assert path.stat().st_size < 8 << 20  # about 1 MB that would inflate to 1 GiB
    error, peak_mb = extract_in_child(path)
    assert error is not None and path.name in error, error
    assert "would expand to far more data than it holds" in error
    assert peak_mb < PEAK_LIMIT_MB, f"{kind}: peak {peak_mb:.0f} MB"


def test_the_measure_sees_real_memory(tmp_path: Path) -> None:
    """The measure is not vacuous: a member inflated by the parser itself shows in the peak."""
    honest = write_zip(
        tmp_path / "big.odt",
        [
            deflated("mimetype", b"application/vnd.oasis.opendocument.text"),
            repeated("content.xml", b"<a/>", 200 << 20),
        ],
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    script = (
        "import zipfile, sys, resource\n"
        "zipfile.ZipFile(sys.argv[1]).read('content.xml')\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(honest)], capture_output=True, text=True, env=env
    )
    assert float(done.stdout) > 200


@pytest.mark.parametrize("suffix", [".docx", ".xlsx", ".pptx"])
def test_every_office_format_counts_real_bytes(tmp_path: Path, suffix: str) -> None:
    main = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml"}
    part = main.get(suffix, "ppt/presentation.xml")
    path = write_zip(
        tmp_path / f"bomb{suffix}",
        [deflated("[Content_Types].xml", CONTENT_TYPES), repeated(part, b"\0", 64 << 20, 500)],
    )
    with pytest.raises(DocumentError, match="zip bomb"):
        extract(path)


def test_a_bomb_in_a_media_part_is_refused_too(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "media.docx",
        [
            deflated("[Content_Types].xml", CONTENT_TYPES),
            deflated("word/document.xml", b"<w:document/>"),
            repeated("word/media/image1.png", b"\0", GiB // 4, declared=10_000),
        ],
    )
    with pytest.raises(DocumentError, match="zip bomb"):
        extract(path)


def test_real_documents_still_read(tmp_path: Path) -> None:
    from tests.helpers.make_documents import make_docx, make_odt

    words = ["A real paragraph of a real document."] * 50
    for made in (make_docx(tmp_path / "ok.docx", words), make_odt(tmp_path / "ok.odt", words)):
        with zipfile.ZipFile(made) as archive:
            assert archive.testzip() is None
        assert extract(made).pages


def test_a_fifo_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    with pytest.raises(DocumentError, match="not a regular file"):
        extract(fifo)
    from tests.helpers.cli import enclave

    result = enclave("summarize", fifo, data_dir=tmp_path / "data", timeout=60)
    assert result.code == 1 and "Traceback" not in result.err
    assert "pipe.pdf: this is not a regular file" in result.err, result.err


@pytest.mark.slow  # a 56 MB message, extracted in a child whose peak memory is measured
def test_an_email_attachment_is_never_decoded_or_held_whole(tmp_path: Path) -> None:
    """A 56 MB message (a 40 MB attachment) took 460 MB when read whole; fed in blocks, less."""
    message = EmailMessage()
    message["Subject"] = "Quarterly report"
    message.set_content("Please find the report attached.\n")
    payload = os.urandom(40 << 20)
    message.add_attachment(payload, maintype="application", subtype="zip", filename="r.zip")
    path = tmp_path / "report.eml"
    path.write_bytes(bytes(message))
    error, peak_mb = extract_in_child(path)
    assert error is None
    assert peak_mb < PEAK_LIMIT_MB, f"peak {peak_mb:.0f} MB"
    text = extract(path).pages[0].text
    assert "Please find the report attached." in text and "Attachments (not read): r.zip" in text


def test_an_email_body_over_the_limit_is_refused_before_decoding(tmp_path: Path) -> None:
    message = EmailMessage()
    message.set_content("word " * 200_000, cte="base64")
    path = tmp_path / "long.eml"
    path.write_bytes(bytes(message))
    with pytest.raises(DocumentError, match="more than 100,000 characters"):
        extract(path, DocumentLimits(max_chars=100_000))


@pytest.mark.parametrize(
    "markup",
    ["</" * 1_000_000, "<![" * 600_000, "<p " + "a=b " * 500_000, "<p>" + "<" * 2_000_000],
    ids=["end-tag-openers", "marked-sections", "unclosed-tag", "lone-brackets"],
)
def test_hostile_html_is_read_in_linear_time(tmp_path: Path, markup: str) -> None:
    """The stdlib tokenizer took minutes on 2 MB of '</' and raised AssertionError on '<!['."""
    path = tmp_path / "page.html"
    path.write_text(markup, encoding="utf-8")
    started = time.monotonic()
    try:
        pages = extract(path).pages
        assert sum(len(p.text) for p in pages) <= len(markup)
    except DocumentError as exc:
        assert "no text" in str(exc)
    assert time.monotonic() - started < 20


def test_html_entities_decode_without_growing(tmp_path: Path) -> None:
    path = tmp_path / "entities.html"
    path.write_text("<p>" + "&amp;&#x41;&eacute;" * 100_000 + "</p>", encoding="utf-8")
    [page, *rest] = extract(path).pages
    text = page.text + "".join(p.text for p in rest)
    assert text.replace(" ", "").replace("\n", "") == "&Aé" * 100_000
