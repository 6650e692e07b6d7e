"""The model choice in the chat header: the installed models, each with its fit badge.

Choosing one switches the open conversation (it remembers the model once it has loaded) and
starts loading it in the background; the status bar shows the load. A model locked by the
policy shows the choice greyed out with the reason. The list is read from the registry file
(no scan, no hashing) so opening the header never blocks.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QWidget

from app.core.models.fit import RUNTIME_BYTES, MemoryEstimate, check_fit
from app.core.models.registry import InstalledModel, Registry


class ModelPicker(QComboBox):
    modelChosen = Signal(str)  # the installed model's id

    def __init__(self, runtime, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runtime = runtime
        self.setObjectName("ModelPicker")
        self.setMinimumContentsLength(18)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.activated.connect(self._on_activated)
        self._models: list[InstalledModel] = []

    def refresh(self, current_sha256: str | None, current_name: str = "") -> None:
        """List the installed models and select the one with `current_sha256` (a model used
        from a path, not installed, is shown by its name)."""
        policy = self.runtime.policy
        registry = Registry(self.runtime.paths.models_dir, policy.models.directory)
        self._models = [m for m in registry.installed(refresh=False) if m.present]
        self.blockSignals(True)
        self.clear()
        for model in self._models:
            self.addItem(f"{model.name} · {self._badge(model)}", model.id)
        index = next(
            (i for i, m in enumerate(self._models) if m.sha256 == current_sha256), -1
        )
        if index < 0 and current_sha256:
            self.addItem(current_name or self.tr("Another model"), "")
            index = self.count() - 1
        self.setCurrentIndex(index)
        self.blockSignals(False)
        locked = policy.is_locked("model")
        self.setEnabled(not locked and bool(self._models))
        self.setToolTip(
            self.tr("Locked by your administrator's policy.")
            if locked
            else self.tr("The model this conversation uses; the badge says whether it fits in "
                         "this computer's memory (from its file size).")
        )  # fmt: skip
        self.setAccessibleName(self.tr("Model"))

    def _badge(self, model: InstalledModel) -> str:
        estimate = MemoryEstimate(0, model.size, 0, 0, RUNTIME_BYTES)
        verdict = check_fit(estimate).verdict
        return {
            "fits": self.tr("fits"),
            "tight": self.tr("tight fit"),
            "too_big": self.tr("too big"),
        }[verdict]

    def _on_activated(self, index: int) -> None:
        model_id = self.itemData(index)
        if model_id:
            self.modelChosen.emit(model_id)
