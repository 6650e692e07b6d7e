"""The progress strip of the model manager: what runs, bytes, speed, time left, and controls."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from app.core.models.fit import format_bytes
from app.core.models.progress import Progress


class ProgressPanel(QWidget):
    pauseRequested = Signal()
    resumeRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.detail = QLabel()
        self.pause_button = QPushButton()
        self.resume_button = QPushButton()
        self.cancel_button = QPushButton()
        for widget in (
            self.title,
            self.bar,
            self.detail,
            self.pause_button,
            self.resume_button,
            self.cancel_button,
        ):
            layout.addWidget(widget)
        layout.setStretch(1, 1)
        self.pause_button.clicked.connect(self.pauseRequested)
        self.resume_button.clicked.connect(self.resumeRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.pause_button.setText(self.tr("Pause"))
        self.resume_button.setText(self.tr("Resume"))
        self.cancel_button.setText(self.tr("Cancel"))
        self.bar.setAccessibleName(self.tr("Progress"))
        self.is_paused = False
        self.hide()

    def start(self, title: str, can_pause: bool) -> None:
        self.title.setText(title)
        self.is_paused = False
        self.detail.setText(self.tr("Starting…"))
        self.bar.setRange(0, 0)  # busy until the size is known
        self.pause_button.setVisible(can_pause)
        self.pause_button.setEnabled(True)
        self.resume_button.hide()
        self.cancel_button.setEnabled(True)
        self.show()

    def update_progress(self, p: Progress) -> None:
        if p.total:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * min(1.0, p.done / p.total)))
        phase = {
            "downloading": self.tr("Downloading"),
            "checking": self.tr("Checking what was already downloaded"),
            "copying": self.tr("Copying"),
            "hashing": self.tr("Computing the checksum"),
        }.get(p.phase, p.phase)
        sizes = (
            self.tr("{done} of {total}").format(
                done=format_bytes(p.done), total=format_bytes(p.total)
            )
            if p.total
            else format_bytes(p.done)
        )
        parts = [phase, sizes]
        if p.speed_bps > 0:
            parts.append(self.tr("{speed}/s").format(speed=format_bytes(p.speed_bps)))
        if p.eta_s is not None:
            parts.append(self.tr("{time} left").format(time=_duration(p.eta_s)))
        self.detail.setText(" · ".join(parts))

    def paused(self, text: str) -> None:
        self.is_paused = True
        self.detail.setText(text)
        self.pause_button.hide()
        self.resume_button.show()
        self.cancel_button.setEnabled(True)

    def stopping(self, text: str) -> None:
        self.detail.setText(text)
        self.pause_button.setEnabled(False)
        self.cancel_button.setEnabled(False)

    def finish(self) -> None:
        self.is_paused = False
        self.hide()


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds} s"
