"""Per-model settings: context size, GPU layers and a chat template override."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from app.core.models.registry import InstalledModel, ModelSettings
from app.core.templates import FAMILIES

MAX_CONTEXT = 1 << 20


class ModelSettingsDialog(QDialog):
    def __init__(self, model: InstalledModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.setWindowTitle(self.tr("Settings for {name}").format(name=model.name))
        form = QFormLayout(self)
        current = model.settings
        trained = model.summary.context_length or MAX_CONTEXT

        self.context = QSpinBox()
        self.context.setRange(0, trained)
        self.context.setSingleStep(1024)
        self.context.setSpecialValueText(self.tr("Use the general setting"))
        self.context.setValue(current.context_size or 0)
        form.addRow(self.tr("Context size (tokens):"), self.context)

        self.gpu_layers = QSpinBox()
        self.gpu_layers.setRange(-2, 999)
        self.gpu_layers.setSpecialValueText(self.tr("Use the general setting"))
        self.gpu_layers.setValue(-2 if current.gpu_layers is None else current.gpu_layers)
        self.gpu_layers.setToolTip(
            self.tr(
                "-1 puts every layer on the GPU when there is one; 0 keeps the model on the CPU."
            )
        )
        form.addRow(self.tr("GPU layers:"), self.gpu_layers)

        self.template = QComboBox()
        self.template.addItem(self.tr("Automatic (the model's own, else by architecture)"), None)
        for family in FAMILIES:
            self.template.addItem(family, family)
        index = self.template.findData(current.template_override)
        self.template.setCurrentIndex(max(0, index))
        form.addRow(self.tr("Chat template:"), self.template)
        if model.summary.context_length:
            form.addRow(
                QLabel(
                    self.tr("The model was trained for {n} tokens of context.").format(
                        n=model.summary.context_length
                    )
                )
            )

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def settings(self) -> ModelSettings:
        gpu = self.gpu_layers.value()
        return ModelSettings(
            context_size=self.context.value() or None,
            gpu_layers=None if gpu == -2 else gpu,
            template_override=self.template.currentData(),
        )
