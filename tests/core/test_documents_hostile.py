"""Hostile and broken files: each gets a clear message, the process goes on, the file is intact."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import pytest

from app.core.documents.extract import PasswordRequired, extract
from app.core.documents.model import DocumentLimits
from app.core.errors import DocumentError
from tests.helpers import make_documents as make

ROOT = Path(__file__).parents[2]


def _digest(path: Path) -> str | None:
    if not path.exists():
        return None
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _refused(path: Path, *phrases: str, limits: DocumentLimits | None = None) -> str:
    """Extraction fails with a one-line message naming the file; the file is left untouched."""
    before = _digest(path)
    with pytest.raises(DocumentError) as info:
        extract(path, limits)
    message = str(info.value)
    assert message.startswith(path.name + ":") and "\n" not in message
    for phrase in phrases:
        assert phrase in message
    assert _digest(path) == before
    return message


def test_encrypted_pdf_asks_for_the_password(tmp_path: Path) -> None:
    path = make.make_pdf(tmp_path / "locked.pdf", ["Salary table for 2025"], password="s3cret")
    with pytest.raises(PasswordRequired, match="encrypted with a password"):
        extract(path)
    with pytest.raises(PasswordRequired, match="password is not correct"):
        extract(path, password="wrong")
    assert "Salary table for 2025" in extract(path, password="s3cret").text


def test_image_only_pdf_says_ocr_is_not_available(tmp_path: Path) -> None:
    _refused(make.make_image_pdf(tmp_path / "scan.pdf"), "no text layer", "OCR is not available")


def test_damaged_pdf(tmp_path: Path) -> None:
    good = make.make_pdf(tmp_path / "good.pdf", ["text"]).read_bytes()
    path = tmp_path / "broken.pdf"
    path.write_bytes(good[:200])
    _refused(path, "damaged")


def test_corrupt_docx(tmp_path: Path) -> None:
    _refused(make.make_corrupt_docx(tmp_path / "corrupt.docx"), "damaged")


def test_docx_that_is_a_zip_of_something_else(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "fake.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a word document")
    _refused(path, "damaged or not a real .docx")


def test_zip_bomb_docx_is_not_inflated(tmp_path: Path) -> None:
    path = make.make_zip_bomb_docx(tmp_path / "bomb.docx", inflated_mb=64)
    assert path.stat().st_size < 1024 * 1024
    tracemalloc.start()
    try:
        _refused(path, "zip bomb")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.touch()
    _refused(path, "empty (0 bytes)")


def test_binary_file_named_txt(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(bytes(range(256)) * 64)
    _refused(path, "binary file, not text")


def test_unknown_binary_format(tmp_path: Path) -> None:
    path = tmp_path / "photo.bin"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    _refused(path, "cannot be read (unknown or binary format)")


def test_old_binary_word_file(tmp_path: Path) -> None:
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    _refused(path, "save it as .docx")


def test_missing_file(tmp_path: Path) -> None:
    _refused(tmp_path / "nowhere.pdf", "does not exist")


def test_invalid_utf8_is_decoded_with_replacements(tmp_path: Path) -> None:
    path = tmp_path / "mixed.txt"
    path.write_bytes("Le comité a voté le budget. ".encode() * 50 + b"\xff\xfe\xc3(" + b" fin.")
    doc = extract(path)
    assert "Le comité a voté le budget." in doc.text and "fin." in doc.text
    assert "\ufffd" in doc.text  # the bad bytes, visibly replaced


def test_text_over_the_page_limit(tmp_path: Path) -> None:
    path = make.make_pdf(tmp_path / "many.pdf", [f"page {n}" for n in range(12)])
    _refused(path, "12 pages", "10-page limit", limits=DocumentLimits(max_pages=10))


@pytest.fixture(scope="module")
def huge_text(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 200 MB text file, written a megabyte at a time."""
    path = tmp_path_factory.mktemp("huge") / "huge.txt"
    line = ("The quick brown fox jumps over the lazy dog by the river. " * 16 + "\n").encode()
    block = line * (1024 * 1024 // len(line) + 1)
    with path.open("wb") as fh:
        for _ in range(200):
            fh.write(block[: 1024 * 1024])
    return path


def test_200mb_text_is_refused_at_once_by_the_size_limit(huge_text: Path) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(DocumentError) as info:
            extract(huge_text)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(info.value)
    assert elapsed < 1 and peak < 1024 * 1024
    assert "200 MB" in message and "100 MB limit" in message and "Settings" in message
    assert "split it" in message


def test_200mb_text_under_a_raised_size_limit_streams_and_stops_at_the_char_limit(
    huge_text: Path,
) -> None:
    """In a fresh process, so its peak RSS measures this extraction alone."""
    script = textwrap.dedent(
        f"""
        import resource, sys, time
        from app.core.documents.extract import extract
        from app.core.documents.model import DocumentLimits
        from app.core.errors import DocumentError
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        try:
            extract({str(huge_text)!r}, DocumentLimits(max_file_mb=500, max_chars=3_000_000))
        except DocumentError as exc:
            message = str(exc)
        else:
            sys.exit("no error")
        grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        print(grown_kb, round(time.perf_counter() - started, 2), message, sep="|")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    grown_kb, seconds, message = result.stdout.strip().split("|", 2)
    assert "more than 3,000,000 characters" in message and "Settings" in message
    assert int(grown_kb) < 64 * 1024  # 64 MB at most for a 200 MB file
    assert float(seconds) < 10
