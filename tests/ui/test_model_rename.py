"""Renaming an installed model in the model manager: the name the user types is kept (and an
empty one brings back the name made from the file's header)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QInputDialog

from app.core.models.manager import ModelManager
from app.ui.models import ModelManagerDialog
from tests.core.test_model_names import SMOL_RUN, header_file

GENERATED = "SmolLM2 135M Instruct · Q8_0"
WAIT_MS = 10_000


@pytest.fixture
def dialog(qtbot, runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelManagerDialog:
    bundled = header_file(tmp_path / "gemma-3-270m-q4_k_m.gguf", 15, basename="gemma-3")
    monkeypatch.setenv("ENCLAVE_BUNDLED_MODEL", str(bundled))
    models = runtime.paths.models_dir
    models.mkdir(parents=True, exist_ok=True)
    header_file(models / "smollm2-135m-instruct-q8_0.gguf", 7, **SMOL_RUN)
    dialog = ModelManagerDialog(runtime, None)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.refresh_task is None, timeout=WAIT_MS)
    return dialog


def answer(text: str | None, seen: list[str]) -> None:
    """Type `text` into the rename box when it opens and press OK (None: Cancel)."""

    def fill() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QInputDialog):
            QTimer.singleShot(10, fill)
            return
        seen.append(box.textValue())
        if text is None:
            box.reject()
        else:
            box.setTextValue(text)
            box.accept()

    QTimer.singleShot(0, fill)


def rename(qtbot, dialog: ModelManagerDialog, text: str | None) -> str:
    seen: list[str] = []
    answer(text, seen)
    dialog.rename_selected()
    qtbot.waitUntil(lambda: dialog.refresh_task is None, timeout=WAIT_MS)
    return seen[0]


def test_rename_a_model_and_bring_its_name_back(qtbot, dialog, runtime) -> None:
    names = [m.name for m in dialog.table.models]
    assert GENERATED in names
    assert dialog.table.select_model(dialog.table.models[names.index(GENERATED)].id)
    assert dialog.rename_button.isEnabled()

    assert rename(qtbot, dialog, "Tiny helper") == GENERATED  # the box starts with the name
    assert dialog.table.selected_model().name == "Tiny helper"
    assert dialog.status.text() == "smollm2-135m-instruct-q8_0.gguf is now shown as Tiny helper."
    assert ModelManager(runtime).find("Tiny helper").path.name == "smollm2-135m-instruct-q8_0.gguf"

    assert rename(qtbot, dialog, None) == "Tiny helper"  # Cancel changes nothing
    assert dialog.table.selected_model().name == "Tiny helper"

    rename(qtbot, dialog, "")  # empty: the name from the header again
    assert dialog.table.selected_model().name == GENERATED


def test_without_a_selection_rename_is_off(qtbot, dialog) -> None:
    dialog.table.clearSelection()
    assert not dialog.rename_button.isEnabled()
