"""The model manager window: list, download with progress, pause, cancel, import (button and
drag-and-drop), remove, and what the policy locks. Real files, a real local HTTP server."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox

from app.core.config.runtime import Runtime
from app.ui.models import ModelManagerDialog
from tests.helpers.http_server import ModelServer

ROUTE = "/org/repo/resolve/main/gemma-3-test.gguf"
MB = 1 << 20
LONG = 60_000  # ms: downloads of 253 MB on a busy machine


@pytest.fixture(autouse=True)
def bundled(model_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENCLAVE_BUNDLED_MODEL", str(model_path))


@pytest.fixture
def answer_yes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Confirmation boxes answer Yes; the questions asked are recorded."""
    asked: list[str] = []

    def question(_parent, _title, text, *args, **kwargs):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def open_dialog(qtbot, runtime: Runtime) -> ModelManagerDialog:
    dialog = ModelManagerDialog(runtime, None)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.refresh_task is None, timeout=LONG)
    return dialog


def settle(qtbot, dialog: ModelManagerDialog) -> None:
    """Every background task has ended (no thread may outlive the test)."""
    qtbot.waitUntil(lambda: dialog.job is None and dialog.refresh_task is None, timeout=LONG)


def names(dialog: ModelManagerDialog) -> list[str]:
    return [m.name for m in dialog.table.models]


def runtime_with(tmp_path: Path, policy: str) -> Runtime:
    (tmp_path / "policy.toml").write_text(policy, encoding="utf-8")
    return Runtime.create(tmp_path / "data", tmp_path / "policy.toml")


def test_lists_the_bundled_model_with_a_fit_badge(qtbot, runtime: Runtime) -> None:
    dialog = open_dialog(qtbot, runtime)
    assert names(dialog) == ["Gemma 3 270M (demo)"]
    assert dialog.table.item(0, 0).text().startswith("★")
    assert dialog.table.item(0, 7).text() in ("Fits", "Tight", "Too big")
    assert "needs about" in dialog.table.item(0, 7).toolTip()
    dialog.table.selectRow(0)
    assert not dialog.remove_button.isEnabled()  # the bundled model stays
    assert "bundled default" in dialog.remove_button.toolTip()
    assert dialog.catalog.rowCount() >= 10
    assert dialog.catalog.item(0, 5).text() == "Installed"
    assert set(dialog.catalog.buttons) >= {"qwen2.5-7b-instruct", "phi-4-mini-instruct"}
    assert all(not b.isHidden() for b in dialog.catalog.buttons.values())


def test_download_shows_progress_and_cancel_removes_the_partial(
    qtbot, runtime: Runtime, server: ModelServer, variant_model
) -> None:
    path, sha = variant_model
    url = server.serve(ROUTE, path, sha256=sha)
    server.faults.bytes_per_second = 20 * MB  # slow enough to watch
    dialog = open_dialog(qtbot, runtime)
    dialog.start_download(url, title="Test model")
    panel = dialog.progress
    assert not panel.isHidden() and panel.title.text() == "Downloading Test model"
    qtbot.waitUntil(lambda: panel.bar.value() > 0 and " left" in panel.detail.text(), timeout=LONG)
    text = panel.detail.text()
    assert text.startswith("Downloading") and "of 253.1 MB" in text and "/s" in text
    assert not dialog.import_button.isEnabled()  # one operation at a time
    with qtbot.waitSignal(dialog.job.cancelled, timeout=LONG):
        panel.cancel_button.click()
    settle(qtbot, dialog)
    assert panel.isHidden() and dialog.status.text() == "Cancelled."
    assert dialog.manager.partial_downloads() == []
    assert names(dialog) == ["Gemma 3 270M (demo)"]


def test_download_completes_and_is_listed(
    qtbot, runtime: Runtime, server: ModelServer, variant_model
) -> None:
    path, sha = variant_model
    url = server.serve(ROUTE, path, sha256=sha, redirect=True)
    dialog = open_dialog(qtbot, runtime)
    seen = []
    dialog.start_download(url)
    dialog.job.progress.connect(seen.append)
    qtbot.waitUntil(lambda: "Gemma 3 Test" in names(dialog), timeout=LONG)
    settle(qtbot, dialog)
    assert "Gemma 3 Test" in names(dialog)
    assert dialog.status.text() == "Gemma 3 Test was downloaded and verified."
    assert any(getattr(p, "done", 0) == path.stat().st_size for p in seen)


def test_pause_and_resume(qtbot, runtime: Runtime, server: ModelServer, variant_model) -> None:
    path, sha = variant_model
    url = server.serve(ROUTE, path, sha256=sha)
    server.faults.bytes_per_second = 20 * MB
    dialog = open_dialog(qtbot, runtime)
    dialog.start_download(url)
    qtbot.waitUntil(lambda: dialog.progress.bar.value() > 0, timeout=LONG)
    with qtbot.waitSignal(dialog.job.paused, timeout=LONG):
        dialog.progress.pause_button.click()
    settle(qtbot, dialog)
    assert dialog.progress.is_paused and not dialog.progress.resume_button.isHidden()
    (part,) = dialog.manager.partial_downloads()
    kept = part.stat().st_size
    assert kept > 0
    server.faults.bytes_per_second = None
    dialog.progress.resume_button.click()
    qtbot.waitUntil(lambda: "Gemma 3 Test" in names(dialog), timeout=LONG)
    settle(qtbot, dialog)
    assert server.gets(ROUTE)[-1].range == f"bytes={kept}-"
    assert dialog.manager.find("Gemma 3 Test").sha256 == sha


def test_an_unfinished_download_is_offered_after_a_restart(
    qtbot, runtime: Runtime, server: ModelServer, variant_model
) -> None:
    path, sha = variant_model
    url = server.serve(ROUTE, path, sha256=sha)
    server.faults.drop_at = [30 * MB]
    manager_dialog = open_dialog(qtbot, runtime)
    plan = manager_dialog.manager.plan_pull(url)
    with pytest.raises(Exception, match="start it again to resume"):
        manager_dialog.manager.pull(plan, retries=0)
    manager_dialog.close()
    dialog = open_dialog(qtbot, runtime)  # "next time"
    assert dialog.progress.is_paused and "Unfinished download" in dialog.progress.detail.text()
    dialog.progress.resume_button.click()
    qtbot.waitUntil(lambda: "Gemma 3 Test" in names(dialog), timeout=LONG)
    settle(qtbot, dialog)


def test_cancel_a_paused_download_deletes_it(
    qtbot, runtime: Runtime, server: ModelServer, variant_model
) -> None:
    url = server.serve(ROUTE, variant_model[0], sha256=variant_model[1])
    server.faults.drop_at = [10 * MB]
    dialog = open_dialog(qtbot, runtime)
    with pytest.raises(Exception, match="start it again"):
        dialog.manager.pull(dialog.manager.plan_pull(url), retries=0)
    dialog.refresh()
    qtbot.waitUntil(lambda: dialog.progress.is_paused, timeout=LONG)
    settle(qtbot, dialog)
    dialog.progress.cancel_button.click()
    assert dialog.manager.partial_downloads() == []
    assert not list(dialog.manager.models_dir.glob("*.part.json"))
    assert dialog.progress.isHidden()


def test_import_button_flow(qtbot, runtime: Runtime, variant_model, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    dialog = open_dialog(qtbot, runtime)
    monkeypatch.setattr(
        QFileDialog,
        "getOpenFileNames",
        staticmethod(lambda *a, **k: ([str(variant_model[0])], "GGUF models (*.gguf)")),
    )
    dialog.import_button.click()
    qtbot.waitUntil(lambda: "Gemma 3 Test" in names(dialog), timeout=LONG)
    settle(qtbot, dialog)
    assert dialog.status.text() == "gemma-3-test.gguf was imported as Gemma 3 Test."
    imported = dialog.manager.find("Gemma 3 Test")
    assert imported.placement == "copy" and imported.path.parent == dialog.manager.models_dir


def test_drag_and_drop_of_a_gguf_imports_it_as_a_link(qtbot, runtime: Runtime, variant_model):
    dialog = open_dialog(qtbot, runtime)
    dialog.link_box.setChecked(True)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(variant_model[0]))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    dialog.dropEvent(event)
    qtbot.waitUntil(lambda: "Gemma 3 Test" in names(dialog), timeout=LONG)
    settle(qtbot, dialog)
    assert dialog.manager.find("Gemma 3 Test").path.is_symlink()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty (0 bytes)"),
        (b"just some notes\n", "text file"),
        (b"GGUF\x03\x00\x00\x00" + b"\xff" * 16 + bytes(64), "claims"),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_message(qtbot, runtime, tmp_path, content, words):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(content)
    dialog = open_dialog(qtbot, runtime)
    dialog.import_files([bad])
    qtbot.waitUntil(lambda: words in dialog.status.text(), timeout=LONG)
    settle(qtbot, dialog)
    assert names(dialog) == ["Gemma 3 270M (demo)"]


def test_remove_asks_then_deletes(qtbot, runtime: Runtime, variant_model, answer_yes) -> None:
    dialog = open_dialog(qtbot, runtime)
    dialog.import_files([variant_model[0]])
    qtbot.waitUntil(lambda: "Gemma 3 Test" in names(dialog), timeout=LONG)
    settle(qtbot, dialog)
    model = dialog.manager.find("Gemma 3 Test")
    assert dialog.table.select_model(model.id)
    assert dialog.remove_button.isEnabled()
    dialog.remove_button.click()
    assert answer_yes and "will be deleted" in answer_yes[0]
    qtbot.waitUntil(lambda: "Gemma 3 Test" not in names(dialog), timeout=LONG)
    settle(qtbot, dialog)
    assert not model.path.exists()
    assert dialog.status.text() == "Gemma 3 Test was removed."


def test_use_and_set_default(qtbot, runtime: Runtime, model_path: Path) -> None:
    dialog = open_dialog(qtbot, runtime)
    dialog.table.selectRow(0)
    dialog.set_default_selected()
    settle(qtbot, dialog)
    assert runtime.settings.current.model == "a5fd3b62230a"
    with qtbot.waitSignal(dialog.modelChosen) as chosen:
        dialog.use_button.click()
    assert chosen.args == [str(model_path)]


def test_locked_by_policy(qtbot, tmp_path: Path, server: ModelServer, variant_model) -> None:
    runtime = runtime_with(
        tmp_path, '[network]\nallow_model_downloads = false\n[settings]\nlocked = ["model"]\n'
    )
    dialog = open_dialog(qtbot, runtime)
    assert dialog.catalog.rowCount() >= 10  # the catalog is still there to read
    assert dialog.catalog.buttons == {}
    assert all(dialog.catalog.cellWidget(row, 5) is None for row in range(10))
    assert dialog.url_row.isHidden() and not dialog.policy_note.isHidden()
    dialog.table.selectRow(0)
    assert not dialog.default_button.isEnabled()
    url = server.serve(ROUTE, variant_model[0])
    dialog.start_download(url)
    assert dialog.job is None and server.requests == []
    assert "turned off by your administrator" in dialog.status.text()


def test_close_during_a_download_pauses_it(
    qtbot, runtime: Runtime, server: ModelServer, variant_model, answer_yes
) -> None:
    url = server.serve(ROUTE, variant_model[0], sha256=variant_model[1])
    server.faults.bytes_per_second = 20 * MB
    dialog = open_dialog(qtbot, runtime)
    dialog.show()
    dialog.start_download(url)
    qtbot.waitUntil(lambda: dialog.progress.bar.value() > 0, timeout=LONG)
    dialog.reject()
    assert "Pause it and close?" in answer_yes[0]
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=LONG)
    settle(qtbot, dialog)
    (part,) = dialog.manager.partial_downloads()
    assert part.stat().st_size > 0  # kept for next time


def test_no_published_checksum_asks_first(
    qtbot, runtime: Runtime, server: ModelServer, variant_model, answer_yes
) -> None:
    url = server.serve(ROUTE, variant_model[0], publish="none")
    dialog = open_dialog(qtbot, runtime)
    dialog.start_download(url)
    qtbot.waitUntil(lambda: "Gemma 3 Test" in names(dialog), timeout=LONG)
    settle(qtbot, dialog)
    assert "publishes no checksum" in answer_yes[0]
    assert dialog.manager.find("Gemma 3 Test").sha256 == variant_model[1]


def test_catalog_download_button_through_the_mirror(
    qtbot, tmp_path: Path, server: ModelServer, variant_model
) -> None:
    path, sha = variant_model
    server.serve("/mirror/Qwen2.5-1.5B-Instruct-Q4_K_M.gguf", path, sha256=sha, publish="sidecar")
    runtime = runtime_with(tmp_path, f'[models]\nmirror_url = "{server.url("/mirror/")}"\n')
    dialog = open_dialog(qtbot, runtime)
    dialog.catalog.buttons["qwen2.5-1.5b-instruct"].click()
    assert dialog.progress.title.text() == "Downloading Qwen2.5 1.5B Instruct"
    qtbot.waitUntil(lambda: "Qwen2.5 1.5B Instruct" in names(dialog), timeout=LONG)
    settle(qtbot, dialog)
    assert dialog.manager.find("Qwen2.5 1.5B Instruct").sha256 == sha
    row = next(i for i, e in enumerate(dialog.catalog.entries) if e.id == "qwen2.5-1.5b-instruct")
    assert dialog.catalog.item(row, 5).text() == "Installed"
