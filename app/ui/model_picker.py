"""The model choice in the chat header: the installed models, each with its fit badge.

Choosing one switches the open conversation (it remembers the model once it has loaded) and
starts loading it in the background; the status bar shows the load. A model locked by the
policy shows the choice greyed out with the reason. The list is read from the registry file
(no scan, no hashing) so opening the header never blocks.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QWidget

from app.core.backends.servers import servers_for, user_servers_path
from app.core.default_model import DEFAULT_MODEL_NAME, DEFAULT_MODEL_SHA256, DEFAULT_MODEL_SIZE
from app.core.models.fit import RUNTIME_BYTES, MemoryEstimate, check_fit
from app.core.models.registry import Registry


class ModelPicker(QComboBox):
    modelChosen = Signal(str)  # the installed model's id (sha256:HEX for the bundled one)

    def __init__(self, runtime, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runtime = runtime
        self.setObjectName("ModelPicker")
        self.setMinimumContentsLength(18)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.activated.connect(self._on_activated)

    def refresh(
        self, current_sha256: str | None, current_name: str = "", current_spec: str | None = None
    ) -> None:
        """List the installed models and the company servers' (those the policy lists by
        name: no request is made here), and select the current one, by its spec or sha256 (a
        model used from a path, not installed, is shown by its name)."""
        policy = self.runtime.policy
        registry = Registry(self.runtime.paths.models_dir, policy.models.directory)
        installed = [m for m in registry.installed(refresh=False) if m.present]
        entries = [(m.name, m.size, m.id, m.sha256) for m in installed]
        if not any(sha == DEFAULT_MODEL_SHA256 for *_, sha in entries):
            # The bundled model is always there, registered or not (it is assembled on use).
            spec = f"sha256:{DEFAULT_MODEL_SHA256}"
            entries.insert(0, (DEFAULT_MODEL_NAME, DEFAULT_MODEL_SIZE, spec, DEFAULT_MODEL_SHA256))
        badges = [self._badge(size) for _name, size, _spec, _sha in entries]
        user_file = user_servers_path(self.runtime.paths.data_dir)
        for server in servers_for(policy, user_file):
            for model_id in server.models:
                entries.append((model_id, 0, f"{server.name}/{model_id}", ""))
                badges.append(self.tr("on server {name}").format(name=server.name))
        self.blockSignals(True)
        self.clear()
        for (name, _size, spec, _sha), badge in zip(entries, badges, strict=True):
            self.addItem(f"{name} · {badge}", spec)
        specs = [spec for _name, _size, spec, _sha in entries]
        index = specs.index(current_spec) if current_spec in specs else -1
        if index < 0 and current_sha256:
            index = next((i for i, e in enumerate(entries) if e[3] == current_sha256), -1)
        if index < 0 and (current_sha256 or current_spec):
            self.addItem(current_name or self.tr("Another model"), "")
            index = self.count() - 1
        self.setCurrentIndex(index)
        self.blockSignals(False)
        locked = policy.is_locked("model")
        self.setEnabled(not locked)
        self.setToolTip(
            self.tr("Locked by your administrator's policy.")
            if locked
            else self.tr("The model this conversation uses; the badge says whether it fits in "
                         "this computer's memory (from its file size).")
        )  # fmt: skip
        self.setAccessibleName(self.tr("Model"))

    def _badge(self, size: int) -> str:
        estimate = MemoryEstimate(0, size, 0, 0, RUNTIME_BYTES)
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
