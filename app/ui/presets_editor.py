"""The "Prompts" page of the settings: create, edit and delete system-prompt presets, and pick
the one new conversations start with."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.presets import Preset


class PresetsEditor(QWidget):
    def __init__(
        self, presets: list[Preset], default_prompt: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._presets = list(presets)
        self._custom_default = (
            default_prompt
            if default_prompt and all(p.prompt != default_prompt for p in presets)
            else ""
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        row = QHBoxLayout()
        left = QVBoxLayout()
        self.list = QListWidget(self)
        self.list.setAccessibleName(self.tr("Presets"))
        # A long name is elided, never scrolled sideways; its tooltip shows it whole.
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.currentRowChanged.connect(self._show)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(self.tr("New"), self)
        self.delete_button = QPushButton(self.tr("Delete"), self)
        self.add_button.clicked.connect(self.add_preset)
        self.delete_button.clicked.connect(self.delete_preset)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.delete_button)
        left.addWidget(self.list)
        left.addLayout(buttons)
        right = QFormLayout()
        self.name_edit = QLineEdit(self)
        self.name_edit.setAccessibleName(self.tr("Preset name"))
        self.prompt_edit = QPlainTextEdit(self)
        self.prompt_edit.setAccessibleName(self.tr("System prompt"))
        self.prompt_edit.setPlaceholderText(
            self.tr("Instructions the model reads before each conversation using this preset.")
        )
        self.name_edit.textEdited.connect(self._store_current)
        self.prompt_edit.textChanged.connect(self._store_current)
        right.addRow(self.tr("Name:"), self.name_edit)
        right.addRow(self.tr("Prompt:"), self.prompt_edit)
        row.addLayout(left, 2)
        row.addLayout(right, 3)
        layout.addLayout(row, 1)
        default_row = QFormLayout()
        self.default_combo = QComboBox(self)
        self.default_combo.setAccessibleName(self.tr("Default system prompt"))
        default_row.addRow(self.tr("New conversations use:"), self.default_combo)
        note = QLabel(self.tr("You can also choose a preset for each conversation above the chat."))
        note.setObjectName("WelcomeMuted")
        note.setWordWrap(True)
        layout.addLayout(default_row)
        layout.addWidget(note)
        self._loading = False
        self._fill_list()
        self._fill_default(default_prompt)

    def presets(self) -> list[Preset]:
        return [p for p in self._presets if p.name.strip()]

    def default_prompt(self) -> str:
        data = self.default_combo.currentData()
        return data if isinstance(data, str) else ""

    # -- editing --------------------------------------------------------------------------
    def add_preset(self) -> None:
        self._presets.append(Preset(self.tr("New preset"), ""))
        self._fill_list()
        self.list.setCurrentRow(len(self._presets) - 1)
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    def delete_preset(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self._presets):
            del self._presets[row]
            self._fill_list()
            self._fill_default(self.default_prompt())

    def _show(self, row: int) -> None:
        self._loading = True
        valid = 0 <= row < len(self._presets)
        preset = self._presets[row] if valid else Preset("", "")
        self.name_edit.setText(preset.name)
        self.prompt_edit.setPlainText(preset.prompt)
        for w in (self.name_edit, self.prompt_edit, self.delete_button):
            w.setEnabled(valid)
        self._loading = False

    def _store_current(self) -> None:
        row = self.list.currentRow()
        if self._loading or not 0 <= row < len(self._presets):
            return
        chosen = self.default_prompt()
        was_default = chosen and chosen == self._presets[row].prompt
        self._presets[row] = Preset(self.name_edit.text(), self.prompt_edit.toPlainText())
        self.list.item(row).setText(self.name_edit.text() or self.tr("(no name)"))
        self.list.item(row).setToolTip(self.list.item(row).text())
        self._fill_default(self._presets[row].prompt if was_default else chosen)

    def _fill_list(self) -> None:
        self.list.clear()
        for preset in self._presets:
            self.list.addItem(preset.name or self.tr("(no name)"))
            self.list.item(self.list.count() - 1).setToolTip(
                self.list.item(self.list.count() - 1).text()
            )
        self._show(self.list.currentRow())

    def _fill_default(self, selected: str) -> None:
        self.default_combo.blockSignals(True)
        self.default_combo.clear()
        self.default_combo.addItem(self.tr("No system prompt"), "")
        for preset in self.presets():
            self.default_combo.addItem(preset.name, preset.prompt)
        if self._custom_default:
            self.default_combo.addItem(self.tr("Custom (set elsewhere)"), self._custom_default)
        index = self.default_combo.findData(selected, Qt.ItemDataRole.UserRole)
        self.default_combo.setCurrentIndex(max(0, index))
        self.default_combo.blockSignals(False)
