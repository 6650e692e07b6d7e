"""The settings' "Local API" page: the switch, its address and token, Copy and Regenerate.

The switch and the port are ordinary settings (OK saves them and the window's `ApiSwitch`
starts or stops the server). The token is shown once the switch is on; Regenerate acts at once:
the running server refuses the old token from then on. Where the policy's `[api] enabled =
false` forbids the API, the switch is off, disabled, and says why.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.api import token as api_token


class ApiSection(QObject):
    """The page's widgets and what they do; the dialog adds the switch and the port as its
    fields (saved on OK like any setting)."""

    def __init__(self, runtime, switch, parent: QWidget) -> None:
        super().__init__(parent)
        self.runtime = runtime
        self.switch = switch  # app.ui.api_switch.ApiSwitch, or None (no window)
        self.enabled = QCheckBox(self.tr("Local API for other apps on this computer"), parent)
        self.address = QLabel(parent)
        self.address.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.token = QLineEdit(parent)
        self.token.setReadOnly(True)
        self.token.setAccessibleName(self.tr("API token"))
        self.copy = QPushButton(self.tr("Copy"), parent)
        self.copy.setToolTip(self.tr("Copy the token to the clipboard"))
        self.regenerate = QPushButton(self.tr("Regenerate"), parent)
        self.regenerate.setToolTip(
            self.tr("Make a new token; programs using the old one are refused at once.")
        )
        self.status = QLabel(parent)
        self.status.setWordWrap(True)
        self.status.setObjectName("WelcomeMuted")
        self.copy.clicked.connect(self._copy)
        self.regenerate.clicked.connect(self._regenerate)
        self.enabled.toggled.connect(self.refresh)
        self._port = None

    def hint(self) -> str:
        return self.tr(
            "Programs on this computer (editors, scripts) can use Enclave's model through an "
            "OpenAI-compatible API on 127.0.0.1, with this token. Nothing else can reach it."
        )

    def attach(self, form: QFormLayout, port) -> None:
        self._port = port
        port.valueChanged.connect(self.refresh)
        form.addRow(self.tr("Address") + ":", self.address)
        row = QHBoxLayout()
        row.addWidget(self.token, 1)
        row.addWidget(self.copy)
        row.addWidget(self.regenerate)
        form.addRow(self.tr("Token") + ":", row)
        form.addRow(self.status)
        info = QLabel(self.hint(), self.status.parentWidget())  # the page
        info.setWordWrap(True)
        info.setObjectName("WelcomeMuted")
        form.addRow(info)
        if self.switch is not None:
            self.switch.changed.connect(self.refresh)
        self.refresh()

    def apply_policy(self) -> None:
        """The policy forbids the API: off, disabled, with the reason."""
        if self.runtime.policy.api.enabled:
            return
        self.enabled.setChecked(False)
        self.enabled.setEnabled(False)
        self.enabled.setProperty("locked", True)
        self.enabled.setToolTip(self._forbidden())
        self.refresh()

    def _forbidden(self) -> str:
        return self.tr("Your administrator's policy turns the local API off.")

    # -- state ------------------------------------------------------------------------------
    def refresh(self) -> None:
        on = self.enabled.isChecked()
        forbidden = not self.runtime.policy.api.enabled
        for widget in (self._port, self.token, self.copy, self.regenerate):
            if widget is not None:
                widget.setEnabled(on and not forbidden and not widget.property("locked"))
        running = self.switch is not None and self.switch.running
        port = self._port.value() if self._port is not None else 0
        self.address.setText(f"http://127.0.0.1:{port}/v1")  # where clients connect after OK
        self._show_token(self._current_token() if on and not forbidden else "")
        self.status.setText(self._status(on, forbidden, running))

    def _status(self, on: bool, forbidden: bool, running: bool) -> str:
        if forbidden:
            return self._forbidden()
        error = self.switch.error if self.switch is not None else ""
        if running:
            now = self.switch.url()
            if on and now != self.address.text():
                return self.tr("Running at {url}; it moves to this port when you press OK.").format(
                    url=now
                )
            if on:
                return self.tr("Running: programs on this computer can connect now.")
            return self.tr("Running; it stops when you press OK.")
        if on:
            if error:
                return self.tr("Could not start: {error}").format(error=error)
            return self.tr("It starts when you press OK.")
        return self.tr("Off: nothing listens.")

    def _show_token(self, token: str) -> None:
        """All of it, from its start: a token cut short is copied by hand wrongly."""
        self.token.setText(token)
        self.token.setCursorPosition(0)
        width = self.token.fontMetrics().horizontalAdvance(token or "M" * 30)
        self.token.setMinimumWidth(width + 16)  # the frame and text margins

    def _current_token(self) -> str:
        if self.switch is not None:
            return self.switch.token()
        return api_token.load_or_create(self.runtime.paths.data_dir)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.token.text())
        self.status.setText(self.tr("The token is copied."))

    def _regenerate(self) -> None:
        if self.switch is not None:
            new = self.switch.regenerate_token()
        else:
            new = api_token.regenerate(self.runtime.paths.data_dir)
        self._show_token(new)
        self.status.setText(self.tr("A new token: programs using the old one are refused now."))
