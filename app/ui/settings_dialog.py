"""Settings: how answers are written, the model's resources, prompt presets, look and language,
the history's encryption and the local API.

Values the admin policy locks are shown, disabled, with the reason in their tooltip. OK saves
the changed values through `runtime.settings.update()` and the presets to presets.json; the
window applies theme and language at once (no restart) and starts or stops the local API.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.config.settings import Settings
from app.ui.presets import Preset
from app.ui.presets_editor import PresetsEditor
from app.ui.settings_api import ApiSection


class SettingsDialog(QDialog):
    settingsApplied = Signal(dict)
    modelManagerRequested = Signal()

    def __init__(
        self, runtime, presets: list[Preset], parent: QWidget | None = None, api_switch=None
    ) -> None:
        super().__init__(parent)
        self.runtime = runtime
        # The window's local API switch (what runs now); without one, only the settings.
        if api_switch is None:
            api_switch = getattr(parent, "api_switch", None)
        self.api_switch = api_switch
        self.setWindowTitle(self.tr("Settings"))
        self.setMinimumSize(560, 460)
        self.fields: dict[str, QWidget] = {}
        current = runtime.settings.current
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._answers_page(), self.tr("Answers"))
        self.tabs.addTab(self._model_page(), self.tr("Model"))
        self.presets_editor = PresetsEditor(presets, current.system_prompt, self)
        self.fields["system_prompt"] = self.presets_editor.default_combo
        self.tabs.addTab(self.presets_editor, self.tr("Prompts"))
        self.tabs.addTab(self._appearance_page(), self.tr("Appearance"))
        self.tabs.addTab(self._privacy_page(), self.tr("Privacy"))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        self._load(current)
        self._apply_locks()

    # -- pages ----------------------------------------------------------------------------
    def _answers_page(self) -> QWidget:
        page, form = _form_page()
        self._double(
            "temperature",
            form,
            self.tr("Temperature"),
            0.0,
            2.0,
            0.05,
            self.tr("Higher is more varied, lower is more focused."),
        )
        self._double(
            "top_p",
            form,
            self.tr("Top-p"),
            0.0,
            1.0,
            0.01,
            self.tr("Sample only from the most likely words that add up to this share."),
        )
        self._int(
            "top_k",
            form,
            self.tr("Top-k"),
            0,
            500,
            1,
            self.tr("Sample only from this many most likely words (0: no limit)."),
        )
        self._double(
            "min_p",
            form,
            self.tr("Min-p"),
            0.0,
            1.0,
            0.01,
            self.tr("Leave out words far less likely than the best one."),
        )
        self._double(
            "repeat_penalty",
            form,
            self.tr("Repeat penalty"),
            0.5,
            2.0,
            0.05,
            self.tr("Above 1 discourages repeating the same words."),
        )
        self._int(
            "max_tokens",
            form,
            self.tr("Maximum answer length"),
            16,
            32768,
            16,
            self.tr("In tokens (about ¾ of a word each)."),
        )
        loops = QCheckBox(self.tr("Stop a reply that repeats itself"), page)
        self._add(
            "stop_on_loops",
            form,
            self.tr("Loops"),
            loops,
            self.tr("A reply that says the same lines over and over ends by itself, with a note."),
        )
        return page

    def _model_page(self) -> QWidget:
        page, form = _form_page()
        self._int(
            "context_size",
            form,
            self.tr("Context size"),
            512,
            131072,
            512,
            self.tr(
                "How much of the conversation the model can see, in tokens. "
                "Larger uses more memory. Applies when the model reloads."
            ),
        )
        threads = self._int(
            "threads",
            form,
            self.tr("CPU threads"),
            0,
            256,
            1,
            self.tr("0 chooses from the number of processor cores."),
        )
        threads.setSpecialValueText(self.tr("Automatic"))
        gpu = self._int(
            "gpu_layers",
            form,
            self.tr("GPU layers"),
            -1,
            999,
            1,
            self.tr("Layers to run on the graphics card (-1: all it can)."),
        )
        gpu.setSpecialValueText(self.tr("All"))
        info = QLabel(self.tr("Changing these reloads the model after the current answer."))
        info.setWordWrap(True)
        info.setObjectName("WelcomeMuted")
        form.addRow(info)
        return page

    def _appearance_page(self) -> QWidget:
        page, form = _form_page()
        theme = QComboBox(page)
        for value, text in (
            ("system", self.tr("Same as the system")),
            ("light", self.tr("Light")),
            ("dark", self.tr("Dark")),
        ):
            theme.addItem(text, value)
        language = QComboBox(page)
        for value, text in (
            ("system", self.tr("Same as the system")),
            ("en", "English"),
            ("fr", "Français"),
        ):
            language.addItem(text, value)
        self._add("theme", form, self.tr("Theme"), theme)
        self._add("language", form, self.tr("Language"), language)
        return page

    def _privacy_page(self) -> QWidget:
        """The encryption switch; where the policy decides, it shows the policy's choice."""
        page, form = _form_page()
        box = QCheckBox(self.tr("Encrypt the conversation history on this computer"), page)
        tip = self.tr(
            "The history is encrypted with SQLCipher; its key is kept in the system keyring, "
            "never beside it. Switching converts the history at once, through a verified copy."
        )
        self._add("history_encrypted", form, self.tr("History"), box, tip)
        mode = self.runtime.policy.history.encrypt
        if mode != "optional":
            box.setProperty("policy_mode", mode)
        info = QLabel(tip, page)
        info.setWordWrap(True)
        info.setObjectName("WelcomeMuted")
        form.addRow(info)
        self._api_rows(page, form)  # who else on this computer may use the model
        return page

    def _api_rows(self, page: QWidget, form: QFormLayout) -> None:
        self.api = ApiSection(self.runtime, self.api_switch, page)
        self._add("api_enabled", form, self.tr("Local API"), self.api.enabled, self.api.hint())
        self._int(
            "api_port", form, self.tr("Port"), 1024, 65535, 1,
            self.tr("The API listens on 127.0.0.1 only, on this port."),
        )  # fmt: skip
        self.api.attach(form, self.fields["api_port"])

    # -- fields ---------------------------------------------------------------------------
    def _add(
        self, name: str, form: QFormLayout, label: str, widget: QWidget, tip: str = ""
    ) -> QWidget:
        widget.setToolTip(tip)
        widget.setAccessibleName(label)
        widget.setAccessibleDescription(tip)
        widget.setProperty("hint", tip)
        form.addRow(label + ":", widget)
        self.fields[name] = widget
        return widget

    def _double(self, name, form, label, low, high, step, tip) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(low, high)
        box.setSingleStep(step)
        box.setDecimals(2)
        return self._add(name, form, label, box, tip)

    def _int(self, name, form, label, low, high, step, tip) -> QSpinBox:
        box = QSpinBox()
        box.setRange(low, high)
        box.setSingleStep(step)
        return self._add(name, form, label, box, tip)

    def _load(self, s: Settings) -> None:
        for name, widget in self.fields.items():
            value = getattr(s, name)
            if isinstance(widget, QDoubleSpinBox | QSpinBox):
                widget.setValue(value)
            elif isinstance(widget, QComboBox) and name != "system_prompt":
                index = widget.findData(value)
                widget.setCurrentIndex(max(0, index))
            elif isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))

    def _apply_locks(self) -> None:
        policy = self.runtime.policy
        where = str(policy.source) if policy.source else ""
        for name, widget in self.fields.items():
            if policy.is_locked(name):
                widget.setEnabled(False)
                reason = self.tr("Locked by your administrator's policy ({file}).").format(
                    file=where
                )
                hint = widget.property("hint") or ""
                widget.setToolTip(f"{reason}\n{hint}".strip())
                widget.setProperty("locked", True)
        encrypt = self.fields["history_encrypted"]
        mode = encrypt.property("policy_mode")
        if mode in ("required", "off"):  # the policy decides, not the user
            assert isinstance(encrypt, QCheckBox)
            encrypt.setChecked(mode == "required")
            encrypt.setEnabled(False)
            encrypt.setProperty("locked", True)
            encrypt.setToolTip(
                self.tr("Your administrator's policy requires an encrypted history.")
                if mode == "required"
                else self.tr("Your administrator's policy keeps the history unencrypted.")
            )
        self.api.apply_policy()

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, widget in self.fields.items():
            if isinstance(widget, QDoubleSpinBox):
                out[name] = round(widget.value(), 4)
            elif isinstance(widget, QSpinBox):
                out[name] = widget.value()
            elif name == "system_prompt":
                out[name] = self.presets_editor.default_prompt()
            elif isinstance(widget, QComboBox):
                out[name] = widget.currentData()
            elif isinstance(widget, QCheckBox):
                out[name] = widget.isChecked()
        return out

    def changes(self) -> dict[str, Any]:
        current = self.runtime.settings.current
        return {
            name: value
            for name, value in self.values().items()
            if getattr(current, name) != value
            and not self.runtime.policy.is_locked(name)
            and not self.fields[name].property("locked")
        }

    def presets(self) -> list[Preset]:
        return self.presets_editor.presets()

    def accept(self) -> None:
        changes = self.changes()
        if changes:
            self.runtime.settings.update(**changes)
        self.settingsApplied.emit(changes)
        super().accept()


def _form_page() -> tuple[QWidget, QFormLayout]:
    page = QWidget()
    form = QFormLayout(page)
    form.setContentsMargins(16, 16, 16, 16)
    form.setVerticalSpacing(10)
    return page, form
