"""Conversation services over a fresh data dir, for the core's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.chat import ConversationService
from app.core.config.runtime import Runtime


def _service(data: Path, bundled: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ENCLAVE_BUNDLED_MODEL", str(bundled))
    runtime = Runtime.create(data)
    store = runtime.open_store()
    yield ConversationService(runtime, store)
    store.close()


@pytest.fixture
def model_service(
    tmp_path: Path, model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ConversationService]:
    """The service with the real bundled model as the default one."""
    yield from _service(tmp_path / "data", model_path, monkeypatch)


@pytest.fixture
def placeholder_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ConversationService]:
    """The service with a placeholder default model: for tests that load nothing (a scripted
    engine, or only preparing turns)."""
    placeholder = tmp_path / "placeholder.gguf"
    placeholder.write_bytes(b"GGUF")
    yield from _service(tmp_path / "data", placeholder, monkeypatch)
