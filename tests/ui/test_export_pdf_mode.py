"""A PDF export is private (0600) like every other export, whatever the umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from app.ui.export_pdf import html_to_pdf


def test_a_pdf_export_is_0600_under_a_permissive_umask(qapp, tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        html_to_pdf("<h1>Minutes</h1><p>Private.</p>", tmp_path / "minutes.pdf")
    finally:
        os.umask(old)
    written = tmp_path / "minutes.pdf"
    assert written.read_bytes().startswith(b"%PDF")
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert not (tmp_path / "minutes.pdf.tmp").exists()
