"""The window's side of "delete means gone" and of the encrypted history."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QCheckBox, QMessageBox

from app.core.config.runtime import Runtime
from app.core.store import cipher, keys
from app.ui.settings_dialog import SettingsDialog
from tests.helpers.fake_engine import FakeEngine
from tests.helpers.fake_keyring import fake_keyring
from tests.helpers.history_data import WORDS, files_holding, fill
from tests.helpers.qt import WAIT_MS, make_window

EVERY_WORD = tuple(w for words in WORDS.values() for w in words)


def _filled(runtime: Runtime) -> dict[str, int]:
    with runtime.open_store() as store:
        return fill(store).ids


def test_a_deletion_is_final_after_the_undo_time_with_the_window_open(qtbot, runtime):
    ids = _filled(runtime)
    window = make_window(qtbot, runtime, FakeEngine(), load=False)
    window.sidebar.undo_timer.setInterval(200)  # the real wait is UNDO_SECONDS
    window.sidebar.delete(ids["alpha"])
    assert window.sidebar.undo_pending and window.sidebar.undo_bar.isVisible()
    qtbot.waitUntil(lambda: not window.sidebar.undo_pending, timeout=WAIT_MS)
    assert not window.sidebar.undo_bar.isVisible()
    qtbot.waitUntil(lambda: not window.sidebar.erasing, timeout=WAIT_MS)  # off the GUI thread
    assert files_holding(runtime.paths.data_dir, WORDS["alpha"]) == {}  # db, -wal, -shm, logs
    assert sorted(window.sidebar.visible_ids()) == sorted([ids["beta"], ids["gamma"]])
    assert [e["event"] for e in runtime.audit.events()][-1] == "conversation_deleted"


def test_undo_in_time_keeps_it_and_closing_the_window_makes_it_final(qtbot, runtime):
    ids = _filled(runtime)
    window = make_window(qtbot, runtime, FakeEngine(), load=False)
    window.sidebar.delete(ids["beta"])
    window.sidebar.undo_delete()
    assert ids["beta"] in window.sidebar.visible_ids()
    window.sidebar.delete(ids["gamma"])
    window.close()  # the Undo time had not run out: closing makes it final
    assert files_holding(runtime.paths.data_dir, WORDS["gamma"]) == {}
    assert files_holding(runtime.paths.data_dir, WORDS["beta"])  # kept


def test_delete_all_history_asks_first(qtbot, runtime, monkeypatch: pytest.MonkeyPatch):
    _filled(runtime)
    window = make_window(qtbot, runtime, FakeEngine(), load=False)
    answers = iter([QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Yes])
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: next(answers))
    window.actions_.delete_all.trigger()  # cancelled: nothing happens
    assert len(window.sidebar.visible_ids()) == 3
    from app.ui import history_actions

    idle = window.worker.busyChanged
    with qtbot.waitSignal(idle, timeout=WAIT_MS, check_params_cb=lambda busy: not busy):
        assert history_actions.ask_delete_all(window) is not None
    qtbot.waitUntil(lambda: window.sidebar.visible_ids() == [], timeout=WAIT_MS)
    assert files_holding(runtime.paths.data_dir, EVERY_WORD) == {}
    assert "Deleted 3 conversation(s)" in window.status.currentMessage()


def test_the_encryption_switch_converts_the_open_history(qtbot, runtime):
    with fake_keyring():
        ids = _filled(runtime)
        window = make_window(qtbot, runtime, FakeEngine(), load=False)
        dialog = SettingsDialog(runtime, window.presets, window)
        dialog.settingsApplied.connect(window.apply_settings)
        box = dialog.fields["history_encrypted"]
        assert isinstance(box, QCheckBox) and box.isEnabled() and not box.isChecked()
        box.setChecked(True)
        with qtbot.waitSignal(
            window.worker.busyChanged, timeout=WAIT_MS, check_params_cb=lambda b: not b
        ):
            dialog.accept()
        assert cipher.file_kind(runtime.paths.database) == "encrypted"
        assert window.store.encrypted and runtime.settings.current.history_encrypted
        assert files_holding(runtime.paths.data_dir, EVERY_WORD) == {}
        window.show_conversation(ids["beta"])  # the same window reads it on
        assert window.chat_view.message_widgets
        assert window.status.currentMessage() == "The history is now encrypted."


@pytest.mark.parametrize("mode", ["required", "off"])
def test_the_policy_decides_the_switch(qtbot, tmp_path: Path, mode: str):
    policy = tmp_path / "policy.toml"
    policy.write_text(f'[history]\nencrypt = "{mode}"\n', encoding="utf-8")
    with fake_keyring():
        runtime = Runtime.create(tmp_path / "data", policy)
        dialog = SettingsDialog(runtime, [])
        qtbot.addWidget(dialog)
        box = dialog.fields["history_encrypted"]
        assert isinstance(box, QCheckBox)
        assert not box.isEnabled() and box.isChecked() == (mode == "required")
        assert "policy" in box.toolTip()
        dialog.accept()
        assert "history_encrypted" not in dialog.changes()


def test_the_window_opens_when_the_key_is_missing_and_says_so(qtbot, tmp_path: Path):
    policy = tmp_path / "policy.toml"
    policy.write_text('[history]\nencrypt = "required"\n', encoding="utf-8")
    with fake_keyring() as ring:
        runtime = Runtime.create(tmp_path / "data", policy)
        _filled(runtime)
        digest = runtime.paths.database.read_bytes()
        ring.items.clear()  # the keyring lost the key
        window = make_window(
            qtbot, Runtime.create(tmp_path / "data", policy), FakeEngine(), load=False
        )
        qtbot.waitUntil(
            lambda: window.findChild(QMessageBox, "HistoryUnavailable") is not None, timeout=WAIT_MS
        )
        box = window.findChild(QMessageBox, "HistoryUnavailable")
        assert (
            "its key is not in your keyring" in box.text() and "Nothing was deleted" in box.text()
        )
        assert window.store.unavailable_reason == "missing" and window.sidebar.visible_ids() == []
        box.close()
        window.close()
        assert runtime.paths.database.read_bytes() == digest
        assert keys.get_key(runtime.paths.database) is None


def test_the_unavailable_message_is_in_the_users_language(qtbot):
    from PySide6.QtWidgets import QApplication

    from app.ui.history_actions import unavailable_text
    from app.ui.i18n import Translations

    Translations(QApplication.instance()).apply("fr")
    for reason, words in (
        ("missing", "sa clé n’est pas dans votre trousseau"),
        ("locked", "verrouillé"),
        ("no_keyring", "aucun trousseau"),
        ("wrong", "ne l’ouvre pas"),
    ):
        text = unavailable_text(reason)
        assert words in text and "Rien n’a été supprimé" in text


def test_a_second_deletion_makes_the_first_final_and_keeps_its_own_undo(qtbot, runtime):
    ids = _filled(runtime)
    window = make_window(qtbot, runtime, FakeEngine(), load=False)
    window.sidebar.delete(ids["alpha"])
    window.sidebar.delete(ids["beta"])  # alpha is erased in the background
    qtbot.waitUntil(lambda: not window.sidebar.erasing, timeout=WAIT_MS)
    assert files_holding(runtime.paths.data_dir, WORDS["alpha"]) == {}
    window.sidebar.undo_delete()  # beta's Undo still works
    assert sorted(window.sidebar.visible_ids()) == sorted([ids["beta"], ids["gamma"]])
