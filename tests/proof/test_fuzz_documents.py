"""Fuzzing every document reader: damaged, mutated and random files give clear errors only.

For each format a real document (written by the library that makes it) is mutated byte by byte,
and for Office/OpenDocument files the XML inside a well-formed archive is damaged too (that
reaches the XML parsers, not just the zip reader). Random bytes are tried under every supported
extension. The reader may succeed or refuse with a `DocumentError`; anything else is a bug.
"""

from __future__ import annotations

import functools
import itertools
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.documents.extract import SUPPORTED_SUFFIXES, extract
from app.core.documents.model import DocumentLimits, ExtractedDocument
from app.core.errors import EnclaveError
from tests.helpers import make_documents as make
from tests.helpers.fuzz import assert_clear, fuzz_settings, keep_finding, mutated, mutated_zip

# Small limits: a mutation that inflates a count must hit a limit, not the test's time budget.
LIMITS = DocumentLimits(max_file_mb=2, max_pages=200, max_chars=200_000)
TEXT = [make.LOREM, make.LOREM_FR, "Budget: 12 000 EUR - approved; see annex 3."]
_counter = itertools.count()

SEEDS: dict[str, Callable[[Path], Path]] = {
    ".pdf": lambda p: make.make_pdf(p, TEXT),
    ".docx": lambda p: make.make_docx(p, TEXT, page_break_every=1),
    ".odt": lambda p: make.make_odt(p, TEXT),
    ".rtf": lambda p: make.make_rtf(p, TEXT),
    ".html": lambda p: make.make_html(p, TEXT),
    ".csv": lambda p: make.make_csv(p, [["item", "cost"], ["roof", 12000], ["été", "3,5"]]),
    ".xlsx": lambda p: make.make_xlsx(p, {"Budget": [["item", "cost"], ["roof", 12000]]}),
    ".pptx": lambda p: make.make_pptx(p, [("Plan", make.LOREM), ("Suite", make.LOREM_FR)]),
    ".eml": lambda p: make.make_eml(p, "Budget", make.LOREM),
    ".txt": lambda p: _write(p, "\n\n".join(TEXT).encode("utf-8")),
    ".md": lambda p: _write(p, ("# Title\n\n" + "\n\n".join(TEXT)).encode("utf-8")),
}
ZIPPED = (".docx", ".odt", ".xlsx", ".pptx")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@functools.cache
def seed(suffix: str) -> bytes:
    """A real document of the format, built once (not a fixture: Hypothesis would print it)."""
    with tempfile.TemporaryDirectory() as folder:
        return SEEDS[suffix](Path(folder) / f"seed{suffix}").read_bytes()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzzed")


def read_only_clear_errors(folder: Path, suffix: str, data: bytes) -> ExtractedDocument | None:
    """Extract `data` saved as a `suffix` file: a result or a clear error, nothing else."""
    path = folder / f"doc{next(_counter)}{suffix}"
    path.write_bytes(data)
    try:
        result = extract(path, LIMITS)
    except EnclaveError as exc:
        assert path.name in assert_clear(exc)
        path.unlink()
        return None
    except Exception as exc:
        kept = keep_finding(path, data)
        raise AssertionError(f"{type(exc).__name__}: {exc} (input kept as {kept})") from exc
    path.unlink()
    assert any(page.text.strip() for page in result.pages)
    assert all(page.number >= 1 for page in result.pages)
    assert result.char_count <= LIMITS.max_chars * 2
    return result


def test_the_seeds_themselves_extract(workdir: Path) -> None:
    """The fuzzing starts from documents that really work (else it would prove little)."""
    for suffix in SEEDS:
        result = read_only_clear_errors(workdir, suffix, seed(suffix))
        assert result is not None, suffix
        assert "committee" in result.text or "item" in result.text, suffix


@fuzz_settings(examples=160)
@given(data=st.data())
def test_mutated_documents_give_clear_errors(workdir: Path, data: st.DataObject) -> None:
    suffix = data.draw(st.sampled_from(sorted(SEEDS)), label="format")
    damaged = data.draw(mutated(seed(suffix)), label="bytes")
    read_only_clear_errors(workdir, suffix, damaged)


@fuzz_settings(examples=120)
@given(data=st.data())
def test_damaged_xml_inside_office_files_gives_clear_errors(
    workdir: Path, data: st.DataObject
) -> None:
    suffix = data.draw(st.sampled_from(ZIPPED), label="format")
    damaged = data.draw(mutated_zip(seed(suffix)), label="archive")
    read_only_clear_errors(workdir, suffix, damaged)


@fuzz_settings(examples=100)
@given(
    suffix=st.sampled_from(sorted(SUPPORTED_SUFFIXES)),
    blob=st.one_of(
        st.binary(min_size=1, max_size=2048),
        st.text(min_size=1, max_size=2048).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.sampled_from([b"%PDF-", b"PK\x03\x04", b"{\\rtf1", b"<html>"]).flatmap(
            lambda head: st.binary(max_size=512).map(lambda tail: head + tail)
        ),
    ),
)
def test_random_bytes_under_every_extension_give_clear_errors(
    workdir: Path, suffix: str, blob: bytes
) -> None:
    read_only_clear_errors(workdir, suffix, blob)
