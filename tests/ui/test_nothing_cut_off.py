"""Nothing cut off: every window and dialog, on a 1280×800 and a 1024×700 screen, in English,
in French and in a pseudo-translation 40 % longer than English.

Each dialog is opened at the size Qt gives a new window (its size hint, at most two thirds of
the screen, at least its minimum size) and must fit on the screen; then every visible label,
button, check box, combo box and column title must be as wide as its text needs, no wrapped
label may lose a line and no scroll area may need a horizontal scrollbar
(`tests/helpers/cutoff.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QScreen
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.documents.model import Citation
from app.core.documents.summarise import SummaryProgress
from app.core.models.manager import ModelManager
from app.ui.details_dialog import DetailsDialog
from app.ui.i18n import Translations
from app.ui.models import ModelManagerDialog
from app.ui.models.settings_dialog import ModelSettingsDialog
from app.ui.settings_dialog import SettingsDialog
from app.ui.theme import apply_theme
from tests.core.test_model_names import SMOL_RUN, header_file
from tests.helpers.cutoff import cut_off
from tests.helpers.fake_engine import FakeEngine
from tests.helpers.qt import WAIT_MS, make_window
from tools.pseudo_translation import PseudoTranslator

SCREENS = [QSize(1280, 800), QSize(1024, 700)]
LANGUAGES = ["en", "fr", "pseudo"]
MODEL_NAME = "SmolLM2 135M Instruct · Q8_0"


@pytest.fixture
def language(request: pytest.FixtureRequest, runtime) -> Iterator[str]:
    """The window's language setting (French), or English with the pseudo-translation, in the
    look the application starts with (its style and font, which make texts wider)."""
    app = QApplication.instance()
    apply_theme(app, "light")
    pseudo = PseudoTranslator(app)
    runtime.settings.update(language="en" if request.param == "pseudo" else request.param)
    Translations(app).apply(runtime.settings.current.language)
    if request.param == "pseudo":
        app.installTranslator(pseudo)
    yield request.param
    app.removeTranslator(pseudo)


@pytest.fixture
def screen_size(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> QSize:
    """The screen the windows open on: what a window asks its screen for, the test's size
    (the offscreen platform has one fixed screen)."""
    size: QSize = request.param
    monkeypatch.setattr(
        QScreen, "availableGeometry", lambda _self: QRect(0, 0, size.width(), size.height())
    )
    return size


def seeded(runtime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A conversation with an answer and its details; the bundled model and two others."""
    from app.core.store import Store

    bundled = header_file(
        tmp_path / "gemma-3-270m-q4_k_m.gguf",
        15,
        name="Gemma 3 270m",
        basename="gemma-3",
        size_label="270M",
        license="gemma",
    )
    monkeypatch.setenv("ENCLAVE_BUNDLED_MODEL", str(bundled))  # headers only: instant
    models = runtime.paths.models_dir
    models.mkdir(parents=True, exist_ok=True)
    header_file(models / "smollm2-135m-instruct-q8_0.gguf", 7, license="apache-2.0", **SMOL_RUN)
    header_file(models / "Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf", name="models")
    store = Store.open(runtime.paths.data_dir / "enclave.sqlite3")
    conv = store.create_conversation(title="Quarterly report outline")
    user = store.add_message(conv.id, "user", "Outline a quarterly report.")
    store.add_message(
        conv.id,
        "assistant",
        "1. Summary\n2. Results\n3. Risks\n4. Next quarter",
        parent_id=user.id,
        model_name=MODEL_NAME,
        model_sha256="ab" * 32,
        params={"temperature": 0.7, "max_tokens": 512},
        stats={"total_s": 2.4, "stop_reason": "stop"},
    )
    store.close()


def opening_size(widget: QWidget, screen: QSize) -> QSize:
    """The size a new window opens at: the one it chose itself, else Qt's (QWidget::adjustSize):
    its size hint, at most two thirds of the screen, at least its minimum size."""
    if widget.testAttribute(Qt.WidgetAttribute.WA_Resized):
        return widget.size()
    hint = widget.sizeHint()
    size = QSize(
        min(hint.width(), screen.width() * 2 // 3), min(hint.height(), screen.height() * 2 // 3)
    )
    return size.expandedTo(widget.minimumSizeHint()).expandedTo(widget.minimumSize())


def shown(widget: QWidget, screen: QSize, where: str) -> list[str]:
    """Open `widget` as a new window on `screen` and report whatever does not fit (a modal
    dialog Qt has already opened keeps the size it opened at)."""
    size = widget.size() if widget.isVisible() else opening_size(widget, screen)
    widget.show()
    QApplication.processEvents()
    widget.resize(size)
    QApplication.processEvents()
    problems = []
    if size.width() > screen.width() or size.height() > screen.height():
        problems.append(f"{where}: needs {size.width()}×{size.height()}, more than the screen")
    return problems + cut_off(widget, where)


def modal(open_it: Callable[[], object], screen: QSize, where: str) -> list[str]:
    """Walk the modal dialog `open_it` shows (a QMessageBox or QInputDialog), then close it."""
    found: list[str] = []

    def check() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(10, check)
            return
        found.extend(shown(dialog, screen, where))
        dialog.reject()

    QTimer.singleShot(0, check)
    open_it()
    return found


@pytest.mark.parametrize("language", LANGUAGES, indirect=True)
@pytest.mark.parametrize("screen_size", SCREENS, indirect=True, ids=["1280x800", "1024x700"])
def test_nothing_is_cut_off(
    qtbot,
    runtime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    screen_size: QSize,
) -> None:
    screen = screen_size
    seeded(runtime, monkeypatch, tmp_path)
    window = make_window(qtbot, runtime, FakeEngine())
    window.resize(screen)
    where = f"{language} {screen.width()}×{screen.height()}"
    problems: list[str] = []
    if window.minimumSizeHint().width() > screen.width():
        problems.append(f"{where}: the main window needs {window.minimumSizeHint().width()}px")

    # The first run's welcome, then a new chat's.
    window.welcome.set_first_run(True)
    problems += cut_off(window, f"{where} first run")
    window.welcome.set_first_run(False)
    problems += cut_off(window, f"{where} new chat")

    # A conversation with its answer, a summary under way, the sources of an answer.
    conv_id = window.store.list_conversations()[0].id
    window.sidebar.select(conv_id)
    window.show_conversation(conv_id)
    panel = window.drop_controller.panel
    panel.show_progress(SummaryProgress("annual-report-2026.pdf", "map", 3, 12, 95.0), 2)
    problems += cut_off(window, f"{where} conversation, summarising")
    panel.show_result(
        window.drop_controller.tr(
            "Summary of {name} is ready. Ask questions about it below."
        ).format(name="annual-report-2026.pdf")
    )
    panel.show_citations(
        [
            Citation("annual-report-2026.pdf", 86, 87, "/tmp/annual-report-2026.pdf"),
            Citation("minutes.docx", 2, 2, "/tmp/minutes.docx", more_spans=((5, 6),)),
        ]
    )
    problems += cut_off(window, f"{where} conversation, sources")
    window.drop_overlay.show_for(1)
    problems += cut_off(window.drop_overlay, f"{where} drop overlay")
    window.drop_overlay.hide()

    reply = window.store.active_path(conv_id)[-1]
    details = DetailsDialog(window.store.get_message(reply.id), window)
    problems += shown(details, screen, f"{where} answer details")
    details.close()

    settings = SettingsDialog(runtime, window.presets, window)
    problems += shown(settings, screen, f"{where} settings")
    settings.close()

    manager = ModelManagerDialog(runtime, window.worker, window)
    with qtbot.waitSignal(manager.refreshed, timeout=WAIT_MS):
        pass
    manager.table.select_model(manager.table.models[-1].id)
    problems += shown(manager, screen, f"{where} model manager")
    model = next(m for m in ModelManager(runtime).installed() if m.name == MODEL_NAME)
    model_settings = ModelSettingsDialog(model, manager)
    problems += shown(model_settings, screen, f"{where} model settings")
    model_settings.close()
    problems += modal(manager.rename_selected, screen, f"{where} rename a model")
    manager.reject()
    qtbot.waitUntil(lambda: not manager.isVisible(), timeout=WAIT_MS)

    problems += modal(window.show_about, screen, f"{where} about")
    problems += modal(
        lambda: window.drop_controller.ask_password("annual-report-2026.pdf", ""),
        screen,
        f"{where} password",
    )
    assert problems == [], "\n".join(problems)


def test_the_pseudo_translation_is_40_percent_longer(qtbot, language_pseudo) -> None:
    source = "Link instead of copying"
    text = QCoreApplication.translate("ModelManagerDialog", source)
    assert text.startswith(source) and len(text) >= 1.4 * len(source)
    assert QCoreApplication.translate("X", "{name} was removed.").startswith("{name} was removed.")


@pytest.fixture
def language_pseudo(qapp) -> Iterator[None]:
    pseudo = PseudoTranslator(qapp)
    qapp.installTranslator(pseudo)
    yield
    qapp.removeTranslator(pseudo)


def test_the_walk_finds_what_is_cut_off(qtbot) -> None:
    """The checks themselves: each kind of truncation is reported, in words."""
    page = QWidget()
    qtbot.addWidget(page)
    layout = QVBoxLayout(page)
    box = QCheckBox("Link instead of copying")
    box.setFixedWidth(box.sizeHint().width() - 20)
    row = QHBoxLayout()
    row.addWidget(box)
    row.addStretch(1)
    layout.addLayout(row)
    wrapped = QLabel("A long explanation that needs several lines at this width. " * 4)
    wrapped.setWordWrap(True)
    wrapped.setFixedHeight(12)
    layout.addWidget(wrapped)
    table = QTableWidget(1, 2)
    table.setHorizontalHeaderLabels(["Quantisation", "A column far too wide for its table"])
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.horizontalHeader().resizeSection(0, 30)
    table.horizontalHeader().resizeSection(1, 900)
    layout.addWidget(table)
    page.resize(400, 300)
    page.show()
    qtbot.waitExposed(page)
    found = cut_off(page, "page")
    assert any("QCheckBox 'Link instead of copying' is" in f for f in found)
    assert any("QLabel 'A long explanation" in f and "its lines need" in f for f in found)
    assert any("column 'Quantisation' is 30px wide" in f for f in found)
    assert any("QTableWidget shows a horizontal scrollbar" in f for f in found)
