"""The header's model choice asks a company server that the policy lists without `models` for
its own list, in the background: a real OpenAI-compatible server on 127.0.0.1, one that is
down, and one that accepts the connection and never answers.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.core.config.runtime import Runtime
from tests.helpers.fake_engine import FakeEngine
from tests.helpers.openai_server import MODEL_ID, free_port
from tests.helpers.qt import WAIT_MS, make_window


def open_list(qtlog, picker) -> None:
    """Open the list as a click does. The headless platform cannot raise a popup or grab the
    keyboard for it (the list opens all the same): Qt's notes about that are not captured."""
    with qtlog.disabled():
        picker.showPopup()


def items(picker) -> list[tuple[str, str, bool]]:
    model = picker.model()
    return [
        (picker.itemText(i), picker.itemData(i), model.item(i).isEnabled())
        for i in range(picker.count())
    ]


def server_policy(tmp_path: Path, url: str, name: str = "lab") -> Path:
    policy = tmp_path / "policy.toml"
    policy.write_text(f'[[servers]]\nname = "{name}"\nurl = "{url}"\n', encoding="utf-8")
    return policy


@pytest.mark.model
def test_a_server_without_a_models_list_offers_what_it_serves(
    qtbot, qtlog, company_policy: Path, tmp_path: Path
) -> None:
    runtime = Runtime.create(tmp_path / "data", company_policy)
    assert runtime.policy.servers[0].models == ()  # the policy names none: ask the server
    window = make_window(qtbot, runtime, FakeEngine(), load=False)
    picker = window.model_picker
    spec = f"gpu/{MODEL_ID}"
    qtbot.waitUntil(lambda: spec in [data for _t, data, _e in items(picker)], timeout=60_000)
    text, _data, enabled = next(item for item in items(picker) if item[1] == spec)
    assert text == f"{MODEL_ID} · on server gpu" and enabled
    assert not any("asking" in t or "unavailable" in t for t, _d, _e in items(picker))

    # Opening the list asks again, in the background; the entry stays.
    with qtbot.waitSignal(picker.serverListed, timeout=60_000):
        open_list(qtlog, picker)
    picker.hidePopup()
    index = picker.findData(spec)
    with qtbot.waitSignal(picker.modelChosen, timeout=WAIT_MS) as chosen:
        picker.activated.emit(index)
    assert chosen.args == [spec]
    assert window.controller.model_choice == spec


def test_a_server_that_is_down_gets_an_unavailable_entry(qtbot, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    runtime = Runtime.create(tmp_path / "data", server_policy(tmp_path, url))
    window = make_window(qtbot, runtime, FakeEngine(), load=False)
    picker = window.model_picker
    qtbot.waitUntil(lambda: any("unavailable" in t for t, _d, _e in items(picker)), timeout=WAIT_MS)
    [(text, data, enabled)] = [i for i in items(picker) if "lab" in i[0]]
    assert (text, data, enabled) == ("lab: unavailable", "", False)  # not choosable
    index = picker.findText(text)
    tip = picker.itemData(index, Qt.ItemDataRole.ToolTipRole)
    assert "lab" in tip and "127.0.0.1" in tip  # the error names the server and where
    assert picker.isEnabled() and picker.itemData(0)  # the local models are still there


def test_a_silent_server_never_blocks_the_window(qtbot, qtlog, tmp_path: Path) -> None:
    """It accepts the connection and never answers: the list says it is asking, and the
    window goes on (the listing waits on its own thread, not on the GUI's)."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connections complete in the backlog; nobody ever answers them
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/v1"
        runtime = Runtime.create(tmp_path / "data", server_policy(tmp_path, url))
        window = make_window(qtbot, runtime, FakeEngine(), load=False)
        picker = window.model_picker
        started = time.perf_counter()
        open_list(qtlog, picker)
        window._update_header()
        assert time.perf_counter() - started < 0.5  # no wait on the server
        assert ("lab: asking for its models…", "", False) in items(picker)
        picker.hidePopup()
        local = picker.itemData(0)
        with qtbot.waitSignal(picker.modelChosen, timeout=WAIT_MS) as chosen:
            picker.activated.emit(0)
        assert chosen.args == [local]
    finally:
        silent.close()  # the waiting listing fails, on its own thread
