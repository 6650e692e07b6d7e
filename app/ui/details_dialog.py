"""Everything an auditor asks about one answer: model and checksum, parameters, tokens, timings."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.core.store.records import MessageRecord


class DetailsDialog(QDialog):
    def __init__(self, message: MessageRecord, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = message
        self.setWindowTitle(self.tr("Answer details"))
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        stats = message.stats or {}
        dash = "—"
        rows = [
            (self.tr("Model"), message.model_name or dash),
            (self.tr("SHA-256"), message.model_sha256 or dash),
            (self.tr("Status"), self._status_name(message.status)),
            (self.tr("Written"), message.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")),
            (self.tr("Prompt tokens"), _num(message.prompt_tokens)),
            (self.tr("From cache"), _num(_cached(stats))),
            (self.tr("Generated tokens"), _num(message.generated_tokens)),
            (self.tr("Time to first token"), _secs(message.time_to_first_token_s)),
            (
                self.tr("Speed"),
                self.tr("{rate:.1f} tokens/s").format(rate=message.tokens_per_s)
                if message.tokens_per_s
                else dash,
            ),
            (self.tr("Total time"), _secs(stats.get("total_s"))),
            (self.tr("Stopped because"), self._stop_reason(stats.get("stop_reason"))),
            (self.tr("Older turns left out"), _num(stats.get("dropped_messages"))),
        ]
        self.value_labels: dict[str, QLabel] = {}
        for name, value in rows:
            label = QLabel(str(value))
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            form.addRow(name + ":", label)
            self.value_labels[name] = label
        layout.addLayout(form)
        layout.addWidget(QLabel(self.tr("Parameters:")))
        self.params_box = QPlainTextEdit(json.dumps(message.params or {}, indent=2))
        self.params_box.setReadOnly(True)
        self.params_box.setAccessibleName(self.tr("Parameters"))
        self.params_box.setMaximumHeight(160)
        layout.addWidget(self.params_box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton(self.tr("Copy as JSON"), QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self.copy_json)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def as_json(self) -> str:
        m = self.message
        return json.dumps(
            {
                "message_id": m.id,
                "model": m.model_name,
                "model_sha256": m.model_sha256,
                "status": m.status,
                "params": m.params,
                "stats": m.stats,
                "created_at": m.created_at.isoformat(),
            },
            indent=2,
        )

    def copy_json(self) -> None:
        QGuiApplication.clipboard().setText(self.as_json())

    def _status_name(self, status: str) -> str:
        return {
            "complete": self.tr("complete"),
            "cancelled": self.tr("stopped by the user"),
            "partial": self.tr("interrupted"),
            "failed": self.tr("failed"),
            "streaming": self.tr("being written"),
        }.get(status, status)

    def _stop_reason(self, reason: object) -> str:
        return {
            "stop": self.tr("the model finished"),
            "length": self.tr("the token limit"),
            "cancelled": self.tr("you stopped it"),
            "loop": self.tr("it was repeating itself"),
            "error": self.tr("an error"),
        }.get(str(reason), "—")


def _num(value: object) -> str:
    return "—" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


def _secs(value: object) -> str:
    return f"{value:.2f} s" if isinstance(value, int | float) else "—"


def _cached(stats: dict) -> int | None:
    total, evaluated = stats.get("prompt_tokens"), stats.get("prompt_tokens_evaluated")
    if isinstance(total, int) and isinstance(evaluated, int):
        return max(0, total - evaluated)
    return None
