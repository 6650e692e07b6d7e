"""The strip above the composer: summary progress (part i of N, time left, Cancel) and sources.

It only displays what the controller tells it and reports clicks through signals; it never
touches the store or the model.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.documents.model import Citation
from app.core.documents.summarise import SummaryProgress


class DocumentsPanel(QFrame):
    cancelRequested = Signal()
    citationActivated = Signal(int)  # index into the citations shown
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="DocumentsPanel")
        self._citations: list[Citation] = []
        column = QVBoxLayout(self)
        column.setContentsMargins(24, 6, 16, 6)
        column.setSpacing(4)

        self.progress_row = QWidget(self)
        row = QHBoxLayout(self.progress_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.status_label = QLabel(self.progress_row, objectName="DocumentsStatus")
        self.status_label.setWordWrap(True)
        self.bar = QProgressBar(self.progress_row)
        self.bar.setMaximumWidth(220)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton(self.progress_row)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.dismiss_button = QPushButton(self.progress_row)
        self.dismiss_button.clicked.connect(self._dismiss)
        row.addWidget(self.status_label, 1)
        row.addWidget(self.bar)
        row.addWidget(self.cancel_button)
        row.addWidget(self.dismiss_button)
        column.addWidget(self.progress_row)

        self.sources_label = QLabel(self, objectName="DocumentsSources")
        self.sources_label.setWordWrap(True)
        self.sources_label.setOpenExternalLinks(False)
        self.sources_label.linkActivated.connect(self._on_link)
        column.addWidget(self.sources_label)

        self.cancel_button.setText(self.tr("Cancel"))
        self.dismiss_button.setText(self.tr("Dismiss"))
        self.progress_row.hide()
        self.sources_label.hide()
        self._sync_visibility()

    # -- progress -------------------------------------------------------------------------
    def show_progress(self, event: SummaryProgress, queued: int) -> None:
        self.status_label.setText(self._describe(event, queued))
        if event.stage in ("map", "reduce") and event.total:
            self.bar.setRange(0, event.total)
            self.bar.setValue(event.completed)
        else:
            self.bar.setRange(0, 0)  # busy indicator while reading or in one pass
        self.bar.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.dismiss_button.hide()
        self.progress_row.show()
        self._sync_visibility()

    def show_cancelling(self) -> None:
        self.cancel_button.setEnabled(False)
        self.status_label.setText(self.tr("Stopping after the current step…"))

    def show_result(self, text: str) -> None:
        """A final line (done, cancelled or an error) that stays until dismissed."""
        self.status_label.setText(text)
        self.bar.hide()
        self.cancel_button.hide()
        self.dismiss_button.show()
        self.progress_row.show()
        self._sync_visibility()

    def _describe(self, event: SummaryProgress, queued: int) -> str:
        name = event.document
        if event.stage == "extract":
            text = self.tr("Reading {name}…").format(name=name)
        elif event.stage == "map":
            current = min(event.completed + 1, event.total)
            text = self.tr("Summarising {name}: part {i} of {n}").format(
                name=name, i=current, n=event.total
            )
        elif event.stage == "reduce":
            text = self.tr("Summarising {name}: merging the parts").format(name=name)
        else:
            text = self.tr("Summarising {name}…").format(name=name)
        if event.eta_s and event.eta_s >= 1 and event.stage in ("map", "reduce"):
            text += " — " + self.tr("about {s} s left").format(s=max(1, round(event.eta_s)))
        if queued:
            text += " — " + self.tr("{n} more queued").format(n=queued)
        return text

    # -- sources --------------------------------------------------------------------------
    def show_citations(self, citations: list[Citation]) -> None:
        self._citations = list(citations)
        if not citations:
            self.sources_label.hide()
        else:
            links = " · ".join(
                f'<a href="cite:{n}">[{n + 1}] {_escape(c.label)}</a>'
                for n, c in enumerate(citations)
            )
            self.sources_label.setText(self.tr("Sources:") + " " + links)
            self.sources_label.show()
        self._sync_visibility()

    @property
    def citations(self) -> list[Citation]:
        return list(self._citations)

    def _on_link(self, link: str) -> None:
        if link.startswith("cite:") and link[5:].isdigit():
            self.citationActivated.emit(int(link[5:]))

    def _dismiss(self) -> None:
        self.progress_row.hide()
        self._sync_visibility()
        self.dismissed.emit()

    def _sync_visibility(self) -> None:
        self.setVisible(not self.progress_row.isHidden() or not self.sources_label.isHidden())

    def retranslate(self) -> None:
        self.cancel_button.setText(self.tr("Cancel"))
        self.dismiss_button.setText(self.tr("Dismiss"))
        self.show_citations(self._citations)


def _escape(text: str) -> str:
    import html

    return html.escape(text, quote=True)
