"""The two lists of the model manager: installed models (with a memory-fit badge) and the
catalog of recommended models (with Download buttons unless the policy forbids downloads)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from app.core.models.catalog import CatalogEntry
from app.core.models.fit import FitResult, format_bytes
from app.core.models.registry import InstalledModel

_BADGE_COLORS = {"fits": "#2e7d32", "tight": "#ef6c00", "too_big": "#c62828"}
NAME_ROOM = 320  # px: the Name column gets up to this (or its widest name) before others show
# Architecture, Context, License: hidden in this order when the window is too narrow for all
# columns (their values stay in the Name column's tooltip).
OPTIONAL_COLUMNS = (1, 5, 6)


def _table(table: QTableWidget) -> None:
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)


class InstalledTable(QTableWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 9, parent)
        _table(self)
        header = self.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the rest: to contents
        self.setWordWrap(False)  # a wrapped name lost its second line (the quantisation)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # keeps the quantisation in view
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.models: list[InstalledModel] = []
        self.setHorizontalHeaderLabels(
            [
                self.tr("Name"),
                self.tr("Architecture"),
                self.tr("Parameters"),
                self.tr("Quantisation"),
                self.tr("Size"),
                self.tr("Context"),
                self.tr("License"),
                self.tr("Memory"),
                self.tr("Source"),
            ]
        )
        self.setAccessibleName(self.tr("Installed models"))

    def set_rows(
        self, rows: list[tuple[InstalledModel, FitResult | None]], default_id: str | None
    ) -> None:
        selected = self.selected_model()
        self.models = [model for model, _fit in rows]
        self.setRowCount(len(rows))
        for row, (m, fit) in enumerate(rows):
            name = m.name if m.present else self.tr("{name} (file missing)").format(name=m.name)
            if m.id == default_id:
                name = self.tr("★ {name} (default)").format(name=name)
            values = [
                name,
                m.summary.architecture,
                m.summary.params_label,
                m.summary.quantization,
                format_bytes(m.size),
                str(m.summary.context_length or "?"),
                m.summary.license or "?",
                self._badge(fit),
                self._source(m),
            ]
            tip = "\n".join(
                [
                    name,
                    " · ".join(
                        [
                            m.summary.architecture,
                            m.summary.params_label,
                            m.summary.quantization,
                            self.tr("context {n}").format(n=values[5]),
                            values[6],
                        ]
                    ),
                    str(m.path),
                    f"sha256 {m.sha256}",
                ]
            )
            for column, value in enumerate(values):
                item = self.item(row, column) or self._new_item(row, column)
                item.setText(value)
                item.setToolTip(tip if column == 0 else "")
            name_item = self.item(row, 0)
            font = QFont(name_item.font())
            font.setBold(m.id == default_id)
            name_item.setFont(font)
            badge = self.item(row, 7)
            badge.setToolTip(fit.summary if fit else "")
            if fit is not None:
                badge.setForeground(QBrush(QColor(_BADGE_COLORS[fit.verdict])))
        if selected is not None:
            self.select_model(selected.id)
        self.fit_columns()

    def fit_columns(self) -> None:
        """Hide the optional columns, least useful first, until the names have room."""
        header = self.horizontalHeader()
        for column in OPTIONAL_COLUMNS:
            header.setSectionHidden(column, False)
        available = self.viewport().width()
        name_room = min(self._column_width(0), NAME_ROOM)
        for column in OPTIONAL_COLUMNS:
            shown = [c for c in range(1, self.columnCount()) if not header.isSectionHidden(c)]
            if name_room + sum(self._column_width(c) for c in shown) <= available:
                break
            header.setSectionHidden(column, True)

    def _column_width(self, column: int) -> int:
        header = self.horizontalHeader()
        return max(header.sectionSizeHint(column), self.sizeHintForColumn(column))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit_columns()

    def _new_item(self, row: int, column: int) -> QTableWidgetItem:
        item = QTableWidgetItem()
        self.setItem(row, column, item)
        return item

    def _badge(self, fit: FitResult | None) -> str:
        if fit is None:
            return "—"
        return {"fits": self.tr("Fits"), "tight": self.tr("Tight"), "too_big": self.tr("Too big")}[
            fit.verdict
        ]

    def _source(self, m: InstalledModel) -> str:
        return {
            "bundled": self.tr("Bundled"),
            "import": self.tr("Imported"),
            "download": self.tr("Downloaded"),
            "shared": self.tr("Shared by IT"),
        }.get(m.source, m.source)

    def selected_model(self) -> InstalledModel | None:
        rows = self.selectionModel().selectedRows() if self.selectionModel() else []
        if not rows or rows[0].row() >= len(self.models):
            return None
        return self.models[rows[0].row()]

    def select_model(self, model_id: str) -> bool:
        for row, model in enumerate(self.models):
            if model.id == model_id:
                self.selectRow(row)
                return True
        return False


class CatalogTable(QTableWidget):
    downloadRequested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 6, parent)
        _table(self)
        self.entries: list[CatalogEntry] = []
        self.buttons: dict[str, QPushButton] = {}
        self.setHorizontalHeaderLabels(
            [
                self.tr("Model"),
                self.tr("License"),
                self.tr("Context"),
                self.tr("Checksum"),
                self.tr("About"),
                "",
            ]
        )
        self.setAccessibleName(self.tr("Recommended models"))

    def set_entries(
        self,
        entries: list[CatalogEntry],
        installed: set[str],  # sha256s and download URLs of the installed models
        downloads_allowed: bool,
    ) -> None:
        self.entries = entries
        self.buttons = {}
        self.setRowCount(0)  # drops the previous buttons
        self.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            checksum = self.tr("verified") if entry.verified else self.tr("checked at download")
            values = [
                entry.name,
                entry.license or "?",
                str(entry.context_length or "?"),
                checksum,
                entry.note,
            ]
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(entry.source if column == 3 else entry.note)
                self.setItem(row, column, item)
            if entry.bundled or entry.sha256 in installed or entry.url in installed:
                self.setItem(row, 5, QTableWidgetItem(self.tr("Installed")))
            elif entry.downloadable and downloads_allowed:  # forbidden: no button at all
                button = QPushButton(self.tr("Download"))
                button.setAccessibleName(self.tr("Download {name}").format(name=entry.name))
                button.clicked.connect(lambda _=False, e=entry: self.downloadRequested.emit(e))
                self.setCellWidget(row, 5, button)
                self.buttons[entry.id] = button
        # Name and About share the room left and wrap: a long name in a longer language
        # would otherwise push the table past a 1024 px screen.
        header = self.horizontalHeader()
        header.setStretchLastSection(False)
        for column in (0, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
