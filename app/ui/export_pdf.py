"""PDF export with Qt's own PDF writer (usable from the window and the command line)."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QGuiApplication, QPageLayout, QPageSize, QPdfWriter, QTextDocument

from app.core.config.paths import make_private_file
from app.core.errors import EnclaveError


def html_to_pdf(html: str, path: Path) -> None:
    """Lay out `html` on A4 pages and write it to `path` (atomically)."""
    if QGuiApplication.instance() is None:  # the command line has no application yet
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        html_to_pdf._app = QGuiApplication([])  # type: ignore[attr-defined]  # kept alive
    tmp = make_private_file(path.with_name(path.name + ".tmp"))  # 0600 before Qt writes to it
    writer = QPdfWriter(str(tmp))
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(15, 15, 15, 15),
            QPageLayout.Unit.Millimeter,
        )
    )
    writer.setTitle(path.stem)
    writer.setCreator("Enclave")
    doc = QTextDocument()
    doc.setHtml(html)
    doc.setPageSize(QSizeF(writer.width(), writer.height()))
    doc.print_(writer)
    del writer  # flushes the file
    try:
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise OSError("the PDF writer produced no output")
        tmp.chmod(0o600)  # like every export, whatever the umask
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise EnclaveError(f"Cannot write the PDF {path}: {exc}.") from exc
