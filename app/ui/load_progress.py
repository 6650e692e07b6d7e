"""The load figure in the status bar: how much of the model is loaded, with a Cancel button.

Shown while a model loads (a switch in the header, a conversation's own model, a reply's);
the percentage is llama.cpp's own report, passed on by the model worker. Until the first report
(the engine starting, the file being checked) the bar is busy without a figure. Cancel asks;
the load ends at llama.cpp's next report (or the engine process is ended after a short grace),
and the worker then says what is loaded.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QToolButton, QWidget


class LoadProgress(QWidget):
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("LoadProgress")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 0)  # busy until llama.cpp's first report
        self.bar.setTextVisible(True)
        self.cancel_button = QToolButton(self, objectName="LoadCancel")
        self.cancel_button.clicked.connect(self.cancelRequested)
        row.addWidget(self.bar)
        row.addWidget(self.cancel_button)
        self.setVisible(False)
        self.retranslate()

    def start(self) -> None:
        self.bar.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.setVisible(True)
        self.retranslate()

    def set_fraction(self, fraction: float) -> None:
        if not self.isVisible():
            self.start()
        self.bar.setRange(0, 100)
        self.bar.setValue(round(fraction * 100))
        self.retranslate()

    def finish(self) -> None:
        self.setVisible(False)

    def cancelling(self) -> None:
        """Cancel was pressed: one press is enough."""
        self.cancel_button.setEnabled(False)

    @property
    def text(self) -> str:
        """What the bar says (for tests and accessibility)."""
        return self.bar.text() if self.bar.maximum() else self.bar.format()

    def retranslate(self) -> None:
        widest = self.tr("Loading… %p %").replace("%p", "100")  # wide enough in every language
        self.bar.setFixedWidth(max(120, self.bar.fontMetrics().horizontalAdvance(widest) + 32))
        self.bar.setFormat(self.tr("Loading… %p %") if self.bar.maximum() else self.tr("Loading…"))
        self.bar.setAccessibleName(self.tr("Model loading progress"))
        self.cancel_button.setText(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop loading this model"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
