"""File ▸ Export and Import: the dialogs around app.core.export and the Qt PDF writer."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from app.core.atomic_write import SHARED, write_text_atomic
from app.core.errors import EnclaveError
from app.core.export import export_conversation, import_json, record_export
from app.core.store.records import ConversationRecord
from app.ui.export_pdf import html_to_pdf

FORMATS = ("md", "html", "pdf", "json")


def _filters() -> dict[str, str]:
    return {
        "md": QCoreApplication.translate("Export", "Markdown (*.md)"),
        "html": QCoreApplication.translate("Export", "Web page (*.html)"),
        "pdf": QCoreApplication.translate("Export", "PDF document (*.pdf)"),
        "json": QCoreApplication.translate("Export", "Enclave JSON, every branch (*.json)"),
    }


def export_to(store, conversation_id: int, fmt: str, path: Path) -> Path:
    """Write the conversation in `fmt` (md, html, pdf, json) to `path`."""
    if fmt == "pdf":
        html_to_pdf(export_conversation(store, conversation_id, "html"), path)
        record_export(store, conversation_id, fmt, str(path))
        return path
    text = export_conversation(store, conversation_id, fmt)
    try:
        write_text_atomic(path, text, mode=SHARED)
    except OSError as exc:
        raise EnclaveError(
            f"Cannot write {path}: {exc.strerror or exc}. Choose another folder."
        ) from exc
    record_export(store, conversation_id, fmt, str(path))
    return path


def import_from(store, path: Path) -> ConversationRecord:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EnclaveError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    return import_json(store, data)


def ask_export(parent: QWidget, store, conversation_id: int, fmt: str | None = None) -> Path | None:
    conv = store.get_conversation(conversation_id)
    filters = _filters()
    chosen_filter = filters[fmt or "md"]
    base = _safe_name(conv.title or QCoreApplication.translate("Export", "conversation"))
    name, selected = QFileDialog.getSaveFileName(
        parent,
        QCoreApplication.translate("Export", "Export conversation"),
        str(Path.home() / f"{base}.{fmt or 'md'}"),
        ";;".join(filters.values()),
        chosen_filter,
    )
    if not name:
        return None
    fmt = next((k for k, v in filters.items() if v == selected), fmt or "md")
    path = Path(name)
    if path.suffix.lower() != f".{fmt}":
        path = path.with_name(path.name + f".{fmt}")
    try:
        return export_to(store, conversation_id, fmt, path)
    except EnclaveError as exc:
        QMessageBox.warning(parent, QCoreApplication.translate("Export", "Export failed"), str(exc))
        return None


def ask_import(parent: QWidget, store) -> ConversationRecord | None:
    name, _ = QFileDialog.getOpenFileName(
        parent,
        QCoreApplication.translate("Export", "Import conversation"),
        str(Path.home()),
        _filters()["json"],
    )
    if not name:
        return None
    try:
        return import_from(store, Path(name))
    except EnclaveError as exc:
        QMessageBox.warning(parent, QCoreApplication.translate("Export", "Import failed"), str(exc))
        return None


def _safe_name(title: str) -> str:
    keep = "".join(c if c.isalnum() or c in " -_" else " " for c in title)
    return "-".join(keep.split())[:60] or "conversation"
