"""Fixtures for widget tests: a fresh runtime and store per test, a worker on a fake engine.

`no_leaked_qthreads` (autouse) fails a test that leaves a QThread running, the way napari's
test suite does: every worker must be shut down (joined), never left behind or terminated.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QThread
from shiboken6 import Shiboken

from app.core.config.runtime import Runtime
from tests.helpers.fake_engine import FakeEngine

# Noise from the headless "offscreen" platform plugin, not from Enclave: it cannot pass a
# window's minimum size to a window system because it has none.
OFFSCREEN_NOISE = r"This plugin does not support propagateSizeHints\(\)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/ui/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture(autouse=True)
def no_leaked_qthreads(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "qapp" not in request.fixturenames and "qtbot" not in request.fixturenames:
        return
    # Qt's own list of live wrappers: what gc.get_objects() would find, without walking the
    # whole heap after every widget test.
    wrappers = Shiboken.getAllValidWrappers()
    running = [t for t in wrappers if isinstance(t, QThread) and _running(t)]
    if running:
        names = ", ".join(t.objectName() or type(t).__name__ for t in running)
        pytest.fail(f"test left QThreads running: {names}; shut its ModelWorker down")


def _running(thread: QThread) -> bool:
    try:
        return thread.isRunning()
    except RuntimeError:  # the C++ object is already gone
        return False


@pytest.fixture(autouse=True)
def english_afterwards(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that switches the language must not leave the next one in French."""
    yield
    if "qtbot" in request.fixturenames:
        from PySide6.QtWidgets import QApplication

        from app.ui.i18n import Translations

        Translations(QApplication.instance()).apply("en")


@pytest.fixture(autouse=True)
def placeholder_default_model(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scripted engines load nothing: the default model is a placeholder file (so no test
    assembles the 253 MB model), except in tests that use the real one."""
    if "model_path" in request.fixturenames:
        return
    placeholder = tmp_path / "placeholder.gguf"
    placeholder.write_bytes(b"GGUF")
    monkeypatch.setenv("ENCLAVE_BUNDLED_MODEL", str(placeholder))


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    return Runtime.create(tmp_path / "data", tmp_path / "no-policy.toml")


@pytest.fixture
def fake_engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def worker(qtbot, runtime: Runtime, fake_engine: FakeEngine):
    from app.ui.model_worker import ModelWorker

    w = ModelWorker(runtime, backend=fake_engine)
    yield w
    assert w.shutdown(), "the model thread did not finish"
