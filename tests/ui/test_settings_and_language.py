"""Settings: saved and used, locked by the admin policy, live language switch, prompt presets."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from app.core.config.runtime import Runtime
from app.ui.settings_dialog import SettingsDialog
from tests.helpers.fake_engine import FakeEngine
from tests.helpers.qt import make_window, send


def _choose(combo, value: str) -> None:
    combo.setCurrentIndex(combo.findData(value))


def test_switching_to_french_changes_the_visible_labels(qtbot, runtime):
    window = make_window(qtbot, runtime, FakeEngine())
    assert window.composer.send_button.text() == "Send"
    assert window.actions_.file_menu.title() == "&File"
    dialog = SettingsDialog(runtime, window.presets, window)
    qtbot.addWidget(dialog)
    dialog.settingsApplied.connect(window.apply_settings)
    _choose(dialog.fields["language"], "fr")
    dialog.accept()

    qtbot.waitUntil(lambda: window.composer.send_button.text() == "Envoyer", timeout=5000)
    assert window.actions_.file_menu.title() == "&Fichier"
    assert window.sidebar.new_button.text() == "+  Nouvelle discussion"
    assert window.sidebar.search.placeholderText() == "Rechercher partout"
    assert window.welcome.privacy.text().startswith("Enclave fait fonctionner")
    assert runtime.settings.current.language == "fr"

    window.apply_settings({"language": "en"})  # and back, live
    qtbot.waitUntil(lambda: window.composer.send_button.text() == "Send", timeout=5000)
    assert window.actions_.file_menu.title() == "&File"


def test_french_labels_on_messages_and_code_blocks(qtbot, runtime):
    runtime.settings.update(language="fr")
    window = make_window(qtbot, runtime, FakeEngine())
    send(qtbot, window, "Trie une liste")
    answer = window.chat_view.message_widgets[-1]
    assert answer.regen_button.text() == "Régénérer"
    assert answer.role_label.text() == "Fake Model 1B"  # the model that wrote it
    qtbot.waitUntil(lambda: "Copier" in answer.body.toPlainText(), timeout=5000)


def test_a_policy_locked_setting_is_disabled_with_the_reason(qtbot, tmp_path: Path):
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[settings]\nlocked = ["temperature", "language"]\ntemperature = 0.2\n', encoding="utf-8"
    )
    runtime = Runtime.create(tmp_path / "data", policy)
    dialog = SettingsDialog(runtime, [])
    qtbot.addWidget(dialog)
    temperature = dialog.fields["temperature"]
    assert not temperature.isEnabled()
    assert "administrator" in temperature.toolTip() and str(policy) in temperature.toolTip()
    assert temperature.value() == 0.2  # the policy's value is what is shown
    assert not dialog.fields["language"].isEnabled()
    assert dialog.fields["top_p"].isEnabled() and dialog.fields["theme"].isEnabled()
    dialog.fields["top_p"].setValue(0.5)
    dialog.accept()  # saving must not try to change the locked values
    assert runtime.settings.current.top_p == 0.5
    assert runtime.settings.current.temperature == 0.2


def test_changed_settings_are_saved_and_used_for_the_next_answer(qtbot, runtime):
    engine = FakeEngine(replies=["ok"])
    window = make_window(qtbot, runtime, engine)
    dialog = SettingsDialog(runtime, window.presets, window)
    qtbot.addWidget(dialog)
    dialog.fields["temperature"].setValue(1.3)
    dialog.fields["max_tokens"].setValue(64)
    dialog.accept()
    assert Runtime.create(runtime.paths.data_dir).settings.current.temperature == 1.3
    send(qtbot, window, "hi")
    assert (engine.params[-1].temperature, engine.params[-1].max_tokens) == (1.3, 64)


def test_theme_switch_restyles_the_window(qtbot, runtime):
    window = make_window(qtbot, runtime, FakeEngine())
    window.apply_settings({"theme": "dark"})
    palette = QApplication.instance().palette()
    assert palette.window().color().lightness() < 80
    window.apply_settings({"theme": "light"})
    assert QApplication.instance().palette().window().color().lightness() > 200


def test_a_preset_chosen_for_a_conversation_becomes_its_system_prompt(qtbot, runtime):
    engine = FakeEngine(replies=["Bonjour.", "Salut."])
    window = make_window(qtbot, runtime, engine)
    concise = next(p for p in window.presets if p.name == "Concise")
    combo = window.preset_combo
    combo.setCurrentIndex(combo.findText("Concise"))
    combo.activated.emit(combo.currentIndex())
    send(qtbot, window, "Hello")
    assert engine.calls[-1][0].role == "system"
    assert engine.calls[-1][0].content == concise.prompt
    conv = window.store.get_conversation(window.controller.conversation_id)
    assert conv.system_prompt == concise.prompt
    combo.setCurrentIndex(combo.findData(""))
    combo.activated.emit(combo.currentIndex())
    send(qtbot, window, "Again")
    assert engine.calls[-1][0].role == "user"


def test_presets_created_in_settings_are_saved(qtbot, runtime):
    window = make_window(qtbot, runtime, FakeEngine())
    dialog = SettingsDialog(runtime, window.presets, window)
    qtbot.addWidget(dialog)
    editor = dialog.presets_editor
    editor.add_preset()
    editor.name_edit.setText("Pirate")
    editor.name_edit.textEdited.emit("Pirate")
    editor.prompt_edit.setPlainText("Talk like a pirate.")
    _choose(editor.default_combo, "Talk like a pirate.")
    dialog.accept()
    window.presets = dialog.presets()
    window.presets_store.save(window.presets)
    assert runtime.settings.current.system_prompt == "Talk like a pirate."
    saved = window.presets_store.load()
    assert ("Pirate", "Talk like a pirate.") in [(p.name, p.prompt) for p in saved]
