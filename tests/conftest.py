"""Shared fixtures: every test runs in fresh temp dirs and never touches the real user dirs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The real OpenAI-compatible server fixtures (`openai_server`, `company_policy`).
pytest_plugins = ["tests.helpers.openai_server"]

# Fixtures that assemble or load the real 253 MB model; every fixture built on them
# (`openai_server`, a data dir holding the model, ...) has them in its closure too.
REAL_MODEL_FIXTURES = frozenset({"model_path", "engine", "variant_model"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `model` every test that needs the real model, and `slow` every fuzz test (hundreds
    of examples each), so `-m "not model and not slow"` is the fast loop."""
    for item in items:
        if REAL_MODEL_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)
        if item.path.name.startswith("test_fuzz_"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True, scope="session")
def no_network() -> Iterator[None]:
    """Suite-wide: any socket to something other than loopback fails the test."""
    from app.core import netguard

    netguard.install()
    yield
    netguard.uninstall()


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME, XDG dirs, the data dir and the policy at the test's own temp dir."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "etc-xdg"))
    monkeypatch.setenv("ENCLAVE_DATA_DIR", str(tmp_path / "data"))
    empty_policy = tmp_path / "no-policy.toml"  # an empty policy: no machine policy applies
    empty_policy.write_text("", encoding="utf-8")
    monkeypatch.setenv("ENCLAVE_POLICY", str(empty_policy))
    monkeypatch.delenv("ENCLAVE_BUNDLED_MODEL", raising=False)
    return tmp_path


@pytest.fixture(scope="session")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real default model, assembled once per test session."""
    from app.core.default_model import ensure_default_model

    return ensure_default_model(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def engine(model_path: Path) -> Iterator[object]:
    """One loaded LocalEngine shared by the tests that need real generation."""
    from app.core.engine import LocalEngine
    from app.core.types import LoadOptions

    eng = LocalEngine()
    eng.load(model_path, LoadOptions(context_size=2048, threads=2))
    yield eng
    eng.unload()


@pytest.fixture(scope="session")
def variant_model(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A second real model (the default one renamed): it is not the bundled model."""
    from tests.helpers.http_server import make_variant

    return make_variant(model_path, tmp_path_factory.mktemp("variant") / "gemma-3-test.gguf")


@pytest.fixture
def server() -> Iterator[object]:
    """A real HTTP server on 127.0.0.1 serving model files, with Range and fault injection."""
    from tests.helpers.http_server import ModelServer

    with ModelServer() as running:
        yield running
