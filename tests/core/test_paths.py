"""Paths: the option beats the environment beats the platform default; directories are private."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from app.core.config.paths import resolve_paths
from app.core.errors import EnclaveError


def test_option_beats_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENCLAVE_DATA_DIR", str(tmp_path / "env"))
    assert resolve_paths(tmp_path / "opt").data_dir == (tmp_path / "opt").resolve()
    assert resolve_paths().data_dir == (tmp_path / "env").resolve()


def test_platform_default_is_under_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENCLAVE_DATA_DIR")
    assert str(resolve_paths().data_dir).startswith(os.environ["HOME"])


def test_directories_are_created_private(tmp_path: Path) -> None:
    paths = resolve_paths(tmp_path / "d").ensure()
    for directory in (paths.data_dir, paths.models_dir, paths.logs_dir):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_data_dir_on_a_read_only_filesystem_is_a_clear_error() -> None:
    # /proc refuses new directories even to root, so this holds in CI too.
    with pytest.raises(EnclaveError, match="Cannot use the data directory"):
        resolve_paths("/proc/enclave-data").ensure()


def test_data_dir_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(EnclaveError, match="--data-dir"):
        resolve_paths(blocker / "data").ensure()
