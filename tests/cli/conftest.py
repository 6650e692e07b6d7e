"""Fixtures of the command-line tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def data_dir(tmp_path: Path, model_path: Path) -> Path:
    """A data dir whose models folder already holds the default model (saves a re-assembly)."""
    data = tmp_path / "data"
    (data / "models").mkdir(parents=True)
    shutil.copyfile(model_path, data / "models" / model_path.name)
    return data
