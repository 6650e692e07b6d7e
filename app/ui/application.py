"""Start the desktop app: one instance, language, theme, history, window, then the model.

The window is shown before the model loads: history and search are usable at once while the
model thread assembles (first run) and loads the weights in the background.
"""

from __future__ import annotations

import os
import sys
import threading
import time

# The Qt-free core the window needs, imported before Qt: PySide6 reads the source of every
# module imported after it (its `__feature__` check), which cost start-up about 0.1 s.
import app.core.chat
import app.core.store  # noqa: F401

# isort: split
from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from app import APP_NAME, __version__
from app.core.config.paths import resources_dir
from app.core.errors import EnclaveError
from app.ui.i18n import Translations
from app.ui.single_instance import SingleInstance
from app.ui.theme import apply_theme


def create_qapp(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setOrganizationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    QGuiApplication.setDesktopFileName("enclave")
    app.setWindowIcon(app_icon())
    return app


def app_icon() -> QIcon:
    icons = resources_dir() / "icons"
    icon = QIcon()
    for size in (16, 32, 48, 64, 128, 256):
        png = icons / f"enclave-{size}.png"
        if png.is_file():
            icon.addFile(str(png))
    return icon


def open_window(
    runtime, backend=None, translations: Translations | None = None, documents: bool = True
):
    """Open the store (recovering a crash, applying retention) and build the main window;
    `documents=False` leaves attaching the documents feature to the caller."""
    from app.ui.main_window import MainWindow
    from app.ui.model_worker import ModelWorker

    # Retention and expired deletions are applied by open_store; a key out of reach gives an
    # in-memory history (the window says why) instead of no window.
    store = runtime.open_store(memory_if_unavailable=True)
    store.mark_interrupted()
    worker = ModelWorker(runtime, backend=backend)
    window = MainWindow(runtime, store, worker, translations)
    QTimer.singleShot(100, _warm_up_markdown)  # after the first paint: not in its way
    if documents:
        attach_documents(window)
    return window


def _warm_up_markdown() -> None:
    from app.ui.markdown_render import warm_up

    # Imports only, no Qt: a short-lived plain thread keeps them off the GUI thread.
    threading.Thread(target=warm_up, name="enclave-warm-up", daemon=True).start()


def attach_documents(window) -> None:
    """The drop-to-summarise feature hooks into the window when it is installed."""
    try:
        from app.ui.documents.drop_controller import DropController
    except ImportError:
        return
    window.drop_controller = DropController(
        window, runtime=window.runtime, store=window.store, worker=window.worker
    )


def run_app(runtime) -> int:
    app = create_qapp()
    instance = SingleInstance(runtime.paths.data_dir)
    if not instance.claim():
        return 0  # the running Enclave was asked to show its window
    settings = runtime.settings.current
    translations = Translations(app)
    translations.apply(settings.language)
    apply_theme(app, settings.theme)
    try:
        window = open_window(runtime, translations=translations, documents=False)
    except EnclaveError as exc:
        QMessageBox.critical(None, APP_NAME, str(exc))
        return exc.exit_code
    instance.activationRequested.connect(window.bring_to_front)
    window.show()
    QTimer.singleShot(0, window.load_model)
    QTimer.singleShot(100, lambda: attach_documents(window))  # after the first paint
    _report_startup(window)
    app.setQuitOnLastWindowClosed(True)
    try:
        return app.exec()
    finally:
        window.shutdown()
        instance.release()


def _report_startup(window) -> None:
    """With ENCLAVE_STARTUP_REPORT=FILE: once the window is shown and the event loop runs (the
    window is usable), write the wall-clock time and close. tools/startup_time.py and the
    packaging smoke test compare it with their launch time."""
    target = os.environ.get("ENCLAVE_STARTUP_REPORT")
    if not target:
        return

    def usable() -> None:
        with open(target, "w", encoding="utf-8") as fh:
            fh.write(f"{time.time():.4f} {int(window.isVisible())}\n")
        window.close()

    QTimer.singleShot(0, usable)
