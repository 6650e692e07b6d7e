"""The empty state: a welcome that says what Enclave is, and on first run what to know.

On the very first start it says plainly that nothing leaves this computer and that the bundled
model is a small demo model, with a button to the model manager. Later it is a lighter "how
can I help" with a few suggestions that fill the composer.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class WelcomePanel(QWidget):
    suggestionChosen = Signal(str)
    modelManagerRequested = Signal()
    dismissed = Signal()

    def __init__(self, first_run: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.first_run = first_run
        self.demo_model = True
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        self.card = QFrame(self, objectName="WelcomeCard")
        self.card.setMaximumWidth(720)
        card = QVBoxLayout(self.card)
        card.setContentsMargins(32, 28, 32, 28)
        card.setSpacing(12)
        self.title = QLabel(self.card, objectName="WelcomeTitle")
        self.privacy = QLabel(self.card, objectName="WelcomeText")
        self.demo_note = QLabel(self.card, objectName="WelcomeMuted")
        for label in (self.privacy, self.demo_note):
            label.setWordWrap(True)
        card.addWidget(self.title)
        card.addWidget(self.privacy)
        card.addWidget(self.demo_note)
        buttons = QHBoxLayout()
        self.models_button = QPushButton(self.card)
        self.models_button.clicked.connect(self.modelManagerRequested)
        self.start_button = QPushButton(self.card, objectName="PrimaryButton")
        self.start_button.clicked.connect(self._dismiss)
        buttons.addWidget(self.models_button)
        buttons.addStretch(1)
        buttons.addWidget(self.start_button)
        card.addLayout(buttons)
        self.suggestion_grid = QGridLayout()
        self.suggestion_buttons = [
            QPushButton(self.card, objectName="Suggestion") for _ in range(4)
        ]
        for i, button in enumerate(self.suggestion_buttons):
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(
                lambda _=False, b=button: self.suggestionChosen.emit(b.property("prompt"))
            )
            self.suggestion_grid.addWidget(button, i // 2, i % 2)
        card.addLayout(self.suggestion_grid)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.card, 10)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        self._apply_mode()
        self.retranslate()

    def set_first_run(self, first_run: bool) -> None:
        self.first_run = first_run
        self._apply_mode()
        self.retranslate()

    def set_demo_model(self, demo: bool) -> None:
        self.demo_model = demo
        self.demo_note.setVisible(demo)

    def _dismiss(self) -> None:
        self.set_first_run(False)
        self.dismissed.emit()

    def _apply_mode(self) -> None:
        self.start_button.setVisible(self.first_run)
        for button in self.suggestion_buttons:
            button.setVisible(not self.first_run)
        self.demo_note.setVisible(self.demo_model)

    def retranslate(self) -> None:
        if self.first_run:
            self.title.setText(self.tr("Welcome to Enclave"))
        else:
            self.title.setText(self.tr("How can I help?"))
        self.privacy.setText(
            self.tr(
                "Enclave runs a language model on this computer. What you type, the answers and "
                "your history stay here: nothing is sent anywhere."
            )
        )
        self.demo_note.setText(
            self.tr(
                "The bundled model is a small demo model (Gemma 3 270M): quick, but its answers "
                "are simple and often wrong. Install a larger model for real work."
            )
        )
        self.models_button.setText(self.tr("Open the model manager"))
        self.start_button.setText(self.tr("Start chatting"))
        suggestions = [
            (self.tr("Explain a concept"), self.tr("Explain what a hash function is, simply.")),
            (
                self.tr("Write some code"),
                self.tr("Write a Python function that reverses a string."),
            ),
            (self.tr("Draft an email"), self.tr("Draft a short email asking for a meeting.")),
            (self.tr("Brainstorm"), self.tr("Give me five names for a bakery.")),
        ]
        for button, (label, prompt) in zip(self.suggestion_buttons, suggestions, strict=True):
            button.setText(label)
            button.setToolTip(prompt)
            button.setProperty("prompt", prompt)
        self.setAccessibleName(self.tr("Welcome"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
