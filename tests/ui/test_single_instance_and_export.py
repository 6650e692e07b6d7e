"""One instance per data directory, and export/import through the window's file actions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from app.ui.export_actions import export_to, import_from
from app.ui.single_instance import SingleInstance
from tests.helpers.fake_engine import DEFAULT_REPLY, FakeEngine
from tests.helpers.qt import make_window, send

ROOT = Path(__file__).resolve().parents[2]


def test_a_second_instance_asks_the_first_to_show_itself(qtbot, tmp_path: Path):
    first = SingleInstance(tmp_path / "data")
    assert first.claim()
    second = SingleInstance(tmp_path / "data")
    with qtbot.waitSignal(first.activationRequested, timeout=5000):
        assert not second.claim()
    elsewhere = SingleInstance(tmp_path / "other-data")
    assert elsewhere.claim()  # another data directory is another instance
    for instance in (first, elsewhere):
        instance.release()


def test_a_second_launch_exits_without_opening_the_database(qtbot, tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    running = SingleInstance(data)
    assert running.claim()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    with qtbot.waitSignal(running.activationRequested, timeout=30_000):
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "--data-dir", str(data)],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
        )
    assert process.wait(timeout=30) == 0, process.stderr.read().decode()
    process.stderr.close()
    assert not (data / "enclave.sqlite3").exists()
    running.release()


def test_a_stale_socket_from_a_crash_does_not_block_the_start(qtbot, tmp_path: Path):
    from PySide6.QtNetwork import QLocalServer

    crashed = QLocalServer()
    name = SingleInstance(tmp_path / "data").name
    assert crashed.listen(name)
    crashed.close()  # gone, as after a crash
    fresh = SingleInstance(tmp_path / "data")
    assert fresh.claim()
    fresh.release()


def test_export_writes_every_format_and_json_imports_back(qtbot, runtime, tmp_path: Path):
    window = make_window(qtbot, runtime, FakeEngine())
    send(qtbot, window, "How do I sort a list?")
    conv_id = window.controller.conversation_id
    out = {fmt: tmp_path / f"chat.{fmt}" for fmt in ("md", "html", "pdf", "json")}
    for fmt, path in out.items():
        export_to(window.store, conv_id, fmt, path)
    assert "How do I sort a list?" in out["md"].read_text(encoding="utf-8")
    assert "print(sorted(numbers))" in out["md"].read_text(encoding="utf-8")
    assert "<html" in out["html"].read_text(encoding="utf-8").lower()
    pdf = out["pdf"].read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    exported = json.loads(out["json"].read_text(encoding="utf-8"))
    assert DEFAULT_REPLY in _strings(exported)

    imported = import_from(window.store, out["json"])
    assert imported.id != conv_id
    contents = [m.content for m in window.store.active_path(imported.id)]
    assert contents == ["How do I sort a list?", DEFAULT_REPLY]


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def test_enclave_opens_its_window_and_closes_cleanly(tmp_path: Path):
    """The real entry point (`python -m app`), as a desktop launcher runs it."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "settings.json").write_text(
        json.dumps({"model": str(tmp_path / "none.gguf")}), encoding="utf-8"
    )
    report = tmp_path / "usable.txt"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ENCLAVE_STARTUP_REPORT": str(report)}
    result = subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(data)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert report.read_text(encoding="utf-8").split()[1] == "1"  # the window was visible
    assert (data / "enclave.sqlite3").exists()  # the history was opened
    assert "Traceback" not in result.stderr
