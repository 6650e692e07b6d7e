"""The window under the policy: locked controls greyed with the reason, the allowlist holds, and a
conversation answers with its own model (two real models)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import tomli_w
from PySide6.QtWidgets import QMessageBox

from app.core.config.runtime import Runtime
from app.core.config.settings import LOCKABLE_SETTINGS
from app.core.default_model import DEFAULT_MODEL_SHA256
from tests.helpers.gguf_edit import copy_with_metadata
from tests.helpers.qt import make_window, send

SLOW_MS = 180_000


def runtime_with(tmp_path: Path, policy: dict) -> Runtime:
    path = tmp_path / "policy.toml"
    path.write_text(tomli_w.dumps(policy), encoding="utf-8")
    return Runtime.create(tmp_path / "data", path)


def test_every_locked_setting_is_disabled_in_the_window_with_the_reason(
    qtbot, tmp_path: Path, fake_engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.ui.settings_dialog import SettingsDialog

    runtime = runtime_with(tmp_path, {"settings": {"locked": sorted(LOCKABLE_SETTINGS)}})
    window = make_window(qtbot, runtime, fake_engine)
    dialog = SettingsDialog(runtime, [], window)
    qtbot.addWidget(dialog)
    assert dialog.fields, "the settings dialog shows no setting"
    for name, widget in dialog.fields.items():
        assert name in LOCKABLE_SETTINGS
        assert not widget.isEnabled(), name
        assert "administrator" in widget.toolTip(), name
    assert not window.preset_combo.isEnabled()  # the conversation's system prompt
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a: shown.append(a[2]))
    window.use_model("/some/other.gguf")  # the model manager's "Use this model"
    assert shown and "administrator" in shown[0]
    assert runtime.settings.current.model == ""
    assert window.controller.model_choice is None


class SpyBackend:
    """The real engine, with a record of what it was asked to load (llama.cpp opens a file only
    in load())."""

    def __init__(self) -> None:
        from app.core.engine import LocalEngine

        self.engine = LocalEngine()
        self.loads: list[Path] = []

    def __getattr__(self, name: str):
        return getattr(self.engine, name)

    @property
    def info(self):
        return self.engine.info

    def load(self, path, options):
        self.loads.append(Path(path))
        return self.engine.load(path, options)


def test_the_window_never_loads_a_model_the_allowlist_refuses(
    qtbot, tmp_path: Path, model_path: Path, variant_model: tuple[Path, str]
) -> None:
    from app.ui.model_worker import ModelWorker

    runtime = runtime_with(tmp_path, {"models": {"allowlist_sha256": [DEFAULT_MODEL_SHA256]}})
    spy = SpyBackend()
    worker = ModelWorker(runtime, backend=spy)
    try:
        with qtbot.waitSignal(worker.modelFailed, timeout=SLOW_MS) as failed:
            worker.load_model(str(variant_model[0]))
        assert "does not allow the model" in failed.args[0]
        assert spy.loads == []
    finally:
        assert worker.shutdown()
    spy.engine.unload()


@pytest.fixture(scope="module")
def model_b(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    target = tmp_path_factory.mktemp("window-b") / "model-b.gguf"
    path = copy_with_metadata(model_path, target, {"general.name": "Model B"})
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_conversation_reopened_in_the_window_answers_with_its_own_model(
    qtbot, runtime: Runtime, model_path: Path, model_b: tuple[Path, str]
) -> None:
    path_b, sha_b = model_b
    runtime.settings.update(max_tokens=4, context_size=512, threads=2, temperature=0.0)
    window = make_window(qtbot, runtime, backend=None, timeout=SLOW_MS)
    assert window.worker.model_info.sha256 == DEFAULT_MODEL_SHA256
    window.controller.choose_model(str(path_b))  # the model choice for this new chat
    send(qtbot, window, "Hello", timeout=SLOW_MS)
    first = window.controller.conversation_id
    assert window.store.active_path(first)[-1].model_sha256 == sha_b
    assert window.model_picker.currentText() == "Model B"  # a model used from its file

    window.new_chat()
    window.controller.choose_model(str(model_path))
    send(qtbot, window, "Hi", timeout=SLOW_MS)
    second = window.controller.conversation_id
    assert window.store.active_path(second)[-1].model_sha256 == DEFAULT_MODEL_SHA256

    with qtbot.waitSignal(window.worker.modelLoaded, timeout=SLOW_MS) as loaded:
        window.sidebar.select(first)
        window.show_conversation(first)  # opening it brings its own model back
    assert loaded.args[0].sha256 == sha_b
    send(qtbot, window, "And then?", timeout=SLOW_MS)
    path = window.store.active_path(first)
    assert [m.model_sha256 for m in path if m.role == "assistant"] == [sha_b, sha_b]
    reply_widget = [w for w in window.chat_view.message_widgets if not w.is_user][-1]
    assert reply_widget.role_label.text() == "Model B"  # which model wrote the reply
