"""The bottom line: which model answers, how full its context is, and how fast it went."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.core.types import GenerationStats, ModelInfo


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.model_label = QLabel(self)
        self.context_label = QLabel(self)
        self.speed_label = QLabel(self)
        self.ttft_label = QLabel(self)
        self.addWidget(self.model_label, 1)
        for label in (self.context_label, self.speed_label, self.ttft_label):
            self.addPermanentWidget(label)
        self._state = "loading"
        self._info: ModelInfo | None = None
        self._error = ""
        self._stats: GenerationStats | None = None
        self.retranslate()

    def set_loading(self) -> None:
        self._state, self._error = "loading", ""
        self.retranslate()

    def set_model(self, info: ModelInfo) -> None:
        self._state, self._info = "ready", info
        self.retranslate()

    def set_failed(self, error: str) -> None:
        self._state, self._error = "failed", error
        self.retranslate()

    def set_stats(self, stats: GenerationStats | None) -> None:
        self._stats = stats
        self.retranslate()

    def retranslate(self) -> None:
        if self._state == "loading":
            self.model_label.setText(self.tr("Loading the model… (your history is ready)"))
        elif self._state == "failed":
            self.model_label.setText(self.tr("Model not loaded: {error}").format(error=self._error))
        elif self._info is not None:
            server = self._info.metadata.get("server")
            if server:  # say plainly that text leaves this computer
                self.model_label.setText(
                    self.tr("Model: {name} on company server {server} (your text is sent there)")
                    .format(name=self._info.name, server=server)
                )  # fmt: skip
            else:
                self.model_label.setText(self.tr("Model: {name}").format(name=self._info.name))
            self.model_label.setToolTip(self._info.path)
        stats, info = self._stats, self._info
        n_ctx = info.n_ctx if info else 0
        if stats is not None and n_ctx:
            used = stats.prompt_tokens + stats.generated_tokens
            self.context_label.setText(
                self.tr("Context {used} / {total} tokens").format(used=used, total=n_ctx)
            )
            self.speed_label.setText(
                self.tr("{rate:.1f} tokens/s").format(rate=stats.decode_tokens_per_s)
            )
            self.ttft_label.setText(
                self.tr("First token {ms:.0f} ms").format(ms=stats.time_to_first_token_s * 1000)
            )
        else:
            self.context_label.setText(
                self.tr("Context {total} tokens").format(total=n_ctx) if n_ctx else ""
            )
            self.speed_label.setText("")
            self.ttft_label.setText("")
        self.setAccessibleName(self.tr("Status"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
