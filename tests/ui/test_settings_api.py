"""The settings' local API switch on the real window, used with the official `openai` client,
and the loop guard's checkbox.

The window, its store, model worker and API server are real; the model is the scripted
`FakeEngine` (speed), which can hold mid-reply to show that API requests queue behind the
window's own work on its one model thread.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from app.core.config.runtime import Runtime
from app.ui.settings_dialog import SettingsDialog
from tests.helpers.fake_engine import FakeEngine
from tests.helpers.openai_server import free_port
from tests.helpers.qt import WAIT_MS, make_window, send

HELLO = [{"role": "user", "content": "Hi from a script"}]


def off_the_gui_thread(qtbot, fn: Callable[[], Any]) -> Any:
    """Run a blocking client call in a thread while the window's event loop keeps running."""
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(fn)
        qtbot.waitUntil(future.done, timeout=WAIT_MS)
        return future.result()


def client(url: str, token: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url, api_key=token, max_retries=0, timeout=30)


def settings(qtbot, window) -> SettingsDialog:
    """The dialog as the window's Settings action opens it (without its modal loop)."""
    dialog = SettingsDialog(window.runtime, window.presets, window)
    dialog.settingsApplied.connect(window.apply_settings)
    qtbot.addWidget(dialog)
    dialog.tabs.setCurrentWidget(dialog.fields["api_enabled"].parentWidget())
    with qtbot.waitExposed(dialog):  # clicked as a user would: it must be on screen
        dialog.show()
    return dialog


def test_the_switch_serves_the_window_model_behind_its_own_work(qtbot, runtime: Runtime) -> None:
    engine = FakeEngine(replies=["Window answer.", "API answer."], hold_after=2)
    window = make_window(qtbot, runtime, engine)
    port = free_port()
    dialog = settings(qtbot, window)
    box = dialog.fields["api_enabled"]
    assert not box.isChecked() and box.isEnabled()  # off by default
    assert not dialog.api.token.isEnabled() and dialog.api.token.text() == ""
    assert "Off" in dialog.api.status.text()
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    dialog.fields["api_port"].setValue(port)
    shown = dialog.api.token.text()
    assert shown.startswith("enclave-") and dialog.api.copy.isEnabled()
    assert dialog.api.address.text() == f"http://127.0.0.1:{port}/v1"
    qtbot.mouseClick(dialog.api.copy, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == shown
    with qtbot.waitSignal(window.api_switch.changed, timeout=WAIT_MS):
        dialog.accept()
    assert runtime.settings.current.api_enabled and window.api_switch.running
    reopened = settings(qtbot, window)
    url = reopened.api.address.text()
    assert url == f"http://127.0.0.1:{port}/v1" and reopened.api.token.text() == shown
    assert "Running" in reopened.api.status.text()

    # The window is mid-reply: the API's request waits its turn on the same model thread.
    send(qtbot, window, "Tell me a story", wait=False)
    qtbot.waitUntil(engine.holding.is_set, timeout=WAIT_MS)
    with ThreadPoolExecutor(1) as pool:
        asked = pool.submit(
            lambda: client(url, shown).chat.completions.create(
                model="enclave", messages=HELLO, max_tokens=16
            )
        )
        qtbot.waitUntil(lambda: bool(window.worker.pending("api")), timeout=WAIT_MS)
        assert len(engine.calls) == 1 and not asked.done()
        with qtbot.waitSignal(window.controller.replyFinished, timeout=WAIT_MS):
            engine.release()
        qtbot.waitUntil(asked.done, timeout=WAIT_MS)
        reply = asked.result()
    assert reply.choices[0].message.content == "API answer."
    assert engine.calls[1][-1].content == "Hi from a script"  # after the window's own turn
    assert len(window.store.list_conversations()) == 2  # the API's turn is stored as any other


def test_a_model_an_api_request_loads_is_shown_by_the_window(
    qtbot, runtime: Runtime, tmp_path: Path
) -> None:
    other = tmp_path / "other.gguf"
    other.write_bytes(b"GGUF")  # the scripted engine loads any file
    runtime.settings.update(api_enabled=True, api_port=free_port())
    window = make_window(qtbot, runtime, FakeEngine(replies=["Fine."]))  # the default model
    assert window.worker.model_info.path != str(other)
    qtbot.waitUntil(lambda: window.api_switch.running, timeout=WAIT_MS)
    api = client(window.api_switch.url(), window.api_switch.token())
    with qtbot.waitSignal(window.worker.modelLoaded, timeout=WAIT_MS) as loaded:
        off_the_gui_thread(
            qtbot,
            lambda: api.chat.completions.create(model=str(other), messages=HELLO, max_tokens=8),
        )
    assert loaded.args[0].path == str(other) == window.worker.model_info.path


def test_regenerate_locks_the_old_token_out_at_once(qtbot, runtime: Runtime) -> None:
    runtime.settings.update(api_enabled=True, api_port=free_port())
    window = make_window(qtbot, runtime, FakeEngine(replies=["Fine."]), load=False)
    qtbot.waitUntil(lambda: window.api_switch.running, timeout=WAIT_MS)  # left on: it starts
    dialog = settings(qtbot, window)
    url, old = dialog.api.address.text(), dialog.api.token.text()
    ask = lambda token: client(url, token).chat.completions.create(  # noqa: E731
        model="enclave", messages=HELLO, max_tokens=8
    )
    assert off_the_gui_thread(qtbot, lambda: ask(old)).choices[0].message.content == "Fine."
    qtbot.mouseClick(dialog.api.regenerate, Qt.MouseButton.LeftButton)
    new = dialog.api.token.text()
    assert new != old and "refused" in dialog.api.status.text()
    token_file = runtime.paths.data_dir / "api-token"
    assert token_file.read_text(encoding="utf-8").strip() == new
    with pytest.raises(openai.AuthenticationError):
        off_the_gui_thread(qtbot, lambda: ask(old))
    assert off_the_gui_thread(qtbot, lambda: ask(new)).choices[0].message.content == "Fine."


def test_a_client_that_goes_away_cancels_its_turn_on_the_window_thread(
    qtbot, runtime: Runtime
) -> None:
    engine = FakeEngine(replies=["One two three four five six."], hold_after=2)
    runtime.settings.update(api_enabled=True, api_port=free_port())
    window = make_window(qtbot, runtime, engine, load=False)
    qtbot.waitUntil(lambda: window.api_switch.running, timeout=WAIT_MS)
    api = client(window.api_switch.url(), window.api_switch.token())

    def stream_then_leave() -> None:
        stream = api.chat.completions.create(model="enclave", messages=HELLO, stream=True)
        next(iter(stream))  # the reply has begun
        assert engine.holding.wait(WAIT_MS / 1000)  # mid-reply, on the window's model thread
        stream.close()  # the client goes away

    off_the_gui_thread(qtbot, stream_then_leave)
    store = window.store
    [conversation] = store.list_conversations()
    reply = store.active_path(conversation.id)[-1]
    qtbot.waitUntil(lambda: store.get_message(reply.id).status == "cancelled", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.worker.busy, timeout=WAIT_MS)  # the thread is free
    assert len(engine.calls) == 1


def test_switching_off_closes_the_port(qtbot, runtime: Runtime) -> None:
    port = free_port()
    runtime.settings.update(api_enabled=True, api_port=port)
    window = make_window(qtbot, runtime, FakeEngine(), load=False)
    qtbot.waitUntil(lambda: window.api_switch.running, timeout=WAIT_MS)
    url = f"http://127.0.0.1:{port}/v1/models"
    assert httpx.get(url).status_code == 401  # listening, and the token is required
    dialog = settings(qtbot, window)
    qtbot.mouseClick(dialog.fields["api_enabled"], Qt.MouseButton.LeftButton)
    assert "stops when you press OK" in dialog.api.status.text()
    with qtbot.waitSignal(window.api_switch.changed, timeout=WAIT_MS):
        dialog.accept()
    assert not runtime.settings.current.api_enabled and not window.api_switch.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(url)


def test_a_new_port_moves_the_server(qtbot, runtime: Runtime) -> None:
    first, second = free_port(), free_port()
    runtime.settings.update(api_enabled=True, api_port=first)
    window = make_window(qtbot, runtime, FakeEngine(), load=False)
    qtbot.waitUntil(lambda: window.api_switch.running, timeout=WAIT_MS)
    dialog = settings(qtbot, window)
    dialog.fields["api_port"].setValue(second)
    assert dialog.api.address.text() == f"http://127.0.0.1:{second}/v1"
    assert f":{first}/v1; it moves to this port" in dialog.api.status.text()
    dialog.accept()  # stopped, then started on the new port
    qtbot.waitUntil(lambda: window.api_switch.url().endswith(f":{second}/v1"), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.api_switch.running, timeout=WAIT_MS)
    assert httpx.get(f"http://127.0.0.1:{second}/v1/models").status_code == 401
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{first}/v1/models")


def test_a_port_in_use_is_said_in_the_settings(qtbot, runtime: Runtime) -> None:
    import socket

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        port = taken.getsockname()[1]
        runtime.settings.update(api_enabled=True, api_port=port)
        window = make_window(qtbot, runtime, FakeEngine(), load=False)
        qtbot.waitUntil(lambda: bool(window.api_switch.error), timeout=WAIT_MS)
        assert not window.api_switch.running
        status = settings(qtbot, window).api.status.text()
        assert status.startswith(f"Could not start: Cannot listen on 127.0.0.1:{port}")
        assert "choose another port" in status
    finally:
        taken.close()


def test_closing_the_window_stops_the_api(qtbot, runtime: Runtime) -> None:
    port = free_port()
    runtime.settings.update(api_enabled=True, api_port=port)
    window = make_window(qtbot, runtime, FakeEngine(), load=False)
    qtbot.waitUntil(lambda: window.api_switch.running, timeout=WAIT_MS)
    window.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/v1/models")


def test_a_policy_that_forbids_the_api_greys_the_switch_and_opens_no_port(
    qtbot, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[api]\nenabled = false\n", encoding="utf-8")
    runtime = Runtime.create(tmp_path / "data", policy)
    port = free_port()
    runtime.settings.update(api_enabled=True, api_port=port)  # left on before the policy came
    window = make_window(qtbot, runtime, FakeEngine(), load=False)
    dialog = settings(qtbot, window)
    box = dialog.fields["api_enabled"]
    assert not box.isEnabled() and not box.isChecked()
    assert "policy turns the local API off" in box.toolTip()
    assert "policy turns the local API off" in dialog.api.status.text()
    assert not dialog.api.token.isEnabled() and dialog.api.token.text() == ""
    dialog.accept()
    window.api_switch.apply()
    assert not window.api_switch.running and window.api_switch._thread is None
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/v1/models")
    assert not (runtime.paths.data_dir / "api-token").exists()  # no token made either


# -- the loop guard -------------------------------------------------------------------------
def test_the_loop_guard_checkbox_shows_and_saves_the_setting(qtbot, runtime: Runtime) -> None:
    dialog = SettingsDialog(runtime, [])
    qtbot.addWidget(dialog)
    with qtbot.waitExposed(dialog):
        dialog.show()
    box = dialog.fields["stop_on_loops"]
    assert box.text() == "Stop a reply that repeats itself"
    assert box.isChecked() and box.isEnabled()  # on by default
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    dialog.accept()
    assert runtime.settings.current.stop_on_loops is False
    again = SettingsDialog(runtime, [])
    qtbot.addWidget(again)
    assert not again.fields["stop_on_loops"].isChecked()


def test_a_locked_loop_guard_is_greyed_with_the_reason(qtbot, tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[settings]\nlocked = ["stop_on_loops"]\nstop_on_loops = true\n', "utf-8")
    runtime = Runtime.create(tmp_path / "data", policy)
    dialog = SettingsDialog(runtime, [])
    qtbot.addWidget(dialog)
    box = dialog.fields["stop_on_loops"]
    assert box.isChecked() and not box.isEnabled()
    assert "Locked by your administrator's policy" in box.toolTip()
    box.setChecked(False)  # even if it were changed, it is not saved
    dialog.accept()
    assert runtime.settings.current.stop_on_loops is True
