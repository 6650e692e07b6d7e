"""Importing local GGUF files: copy or link, sha256, allowlist — and bad files refused with
nothing registered and nothing left behind."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from app.core.config.runtime import Runtime
from app.core.default_model import DEFAULT_MODEL_SHA256
from app.core.errors import Cancelled, ModelError, PolicyRefused
from app.core.models.manager import ModelManager
from app.core.types import CancelToken


@pytest.fixture(autouse=True)
def bundled(model_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENCLAVE_BUNDLED_MODEL", str(model_path))


def make_manager(tmp_path: Path, policy: str = "") -> ModelManager:
    (tmp_path / "policy.toml").write_text(policy, encoding="utf-8")
    return ModelManager(Runtime.create(tmp_path / "data", tmp_path / "policy.toml"))


def user_models(manager: ModelManager) -> list:
    return [m for m in manager.installed() if m.source in ("import", "download")]


def models_dir_files(manager: ModelManager) -> list[str]:
    return sorted(
        p.name
        for p in manager.models_dir.iterdir()
        if p.name != "registry.json" and not p.name.endswith(".lock")  # the locks stay
    )


def test_import_copies_hashes_and_registers(
    tmp_path: Path,
    variant_model: tuple[Path, str],
) -> None:
    source, sha = variant_model
    manager = make_manager(tmp_path)
    seen = []
    added = manager.import_file(source, progress=seen.append)
    model = added.model
    assert not added.already_installed
    assert model.sha256 == sha and model.id == sha[:12]
    assert model.path == manager.models_dir / source.name and not model.path.is_symlink()
    assert model.placement == "copy" and model.source == "import"
    assert model.summary.architecture == "gemma3" and model.name == "Gemma 3 Test"
    assert seen and seen[-1].done == source.stat().st_size and seen[-1].phase == "copying"
    assert [m.id for m in user_models(manager)] == [model.id]
    assert models_dir_files(manager) == [source.name]  # no temporary file left
    again = manager.import_file(source)
    assert again.already_installed and again.model.id == model.id


@pytest.mark.parametrize("placement", ["symlink", "hardlink"])
def test_import_as_a_link(
    tmp_path: Path,
    variant_model: tuple[Path, str],
    placement: str,
) -> None:
    source, sha = variant_model
    manager = make_manager(tmp_path)
    model = manager.import_file(source, placement).model
    assert model.sha256 == sha and model.placement == placement
    assert model.path.is_symlink() == (placement == "symlink")
    assert (
        model.path.resolve() == source.resolve() or model.path.stat().st_ino == source.stat().st_ino
    )
    manager.remove(model)
    assert source.is_file(), "removing a linked model must never delete the original"
    assert user_models(manager) == []


def zero_byte(tmp_path: Path, _model: Path) -> Path:
    path = tmp_path / "empty.gguf"
    path.touch()
    return path


def truncated(tmp_path: Path, model: Path) -> Path:
    path = tmp_path / "truncated.gguf"
    with model.open("rb") as src:
        path.write_bytes(src.read(50 << 20))  # header whole, most tensor data missing
    return path


def wrong_magic(tmp_path: Path, _model: Path) -> Path:
    path = tmp_path / "magic.gguf"
    path.write_bytes(b"GGUX" + bytes(4096))
    return path


def renamed_text(tmp_path: Path, _model: Path) -> Path:
    path = tmp_path / "readme.gguf"
    path.write_text("# Read me\nThis is not a model.\n" * 20, encoding="utf-8")
    return path


def absurd_counts(tmp_path: Path, _model: Path) -> Path:
    path = tmp_path / "absurd.gguf"
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 2**62, 2**62) + bytes(4096))
    return path


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (zero_byte, "empty (0 bytes)"),
        (truncated, "truncated"),
        (wrong_magic, "not a GGUF model"),
        (renamed_text, "text file"),
        (absurd_counts, "claims 4611686018427387904 tensors"),
    ],
)
@pytest.mark.parametrize("placement", ["copy", "symlink"])
def test_bad_files_are_refused_and_nothing_is_registered(
    tmp_path: Path, model_path: Path, make, expected: str, placement: str
) -> None:
    bad = make(tmp_path, model_path)
    manager = make_manager(tmp_path)
    with pytest.raises(ModelError) as info:
        manager.import_file(bad, placement)
    assert expected in str(info.value) and bad.name in str(info.value)
    assert user_models(manager) == []
    assert models_dir_files(manager) == []
    assert bad.exists()  # the user's file is left alone


def test_allowlist_refuses_an_import_and_leaves_nothing(
    tmp_path: Path,
    variant_model: tuple[Path, str],
) -> None:
    manager = make_manager(tmp_path, f'[models]\nallowlist_sha256 = ["{DEFAULT_MODEL_SHA256}"]\n')
    with pytest.raises(PolicyRefused, match=r"does not allow the model gemma-3-test\.gguf"):
        manager.import_file(variant_model[0])
    assert user_models(manager) == []
    assert models_dir_files(manager) == []


def test_cancelled_import_leaves_nothing(
    tmp_path: Path,
    variant_model: tuple[Path, str],
) -> None:
    manager = make_manager(tmp_path)
    cancel = CancelToken()

    def stop_midway(progress) -> None:
        if progress.done > 20 << 20:
            cancel.cancel()

    with pytest.raises(Cancelled):
        manager.import_file(variant_model[0], progress=stop_midway, cancel=cancel)
    assert models_dir_files(manager) == []
    assert user_models(manager) == []


def test_import_of_the_bundled_file_is_already_installed(tmp_path: Path, model_path: Path) -> None:
    manager = make_manager(tmp_path)
    added = manager.import_file(model_path)
    assert added.already_installed and added.model.source == "bundled"
    assert models_dir_files(manager) == []


def test_remove_and_verify(tmp_path: Path, variant_model: tuple[Path, str]) -> None:
    manager = make_manager(tmp_path)
    model = manager.import_file(variant_model[0]).model
    (result,) = manager.verify([model])
    assert result.ok and result.actual_sha256 == variant_model[1]
    with model.path.open("r+b") as fh:  # flip one byte of tensor data
        fh.seek(200 << 20)
        byte = fh.read(1)
        fh.seek(200 << 20)
        fh.write(bytes([byte[0] ^ 0xFF]))
    (result,) = manager.verify([model])
    assert not result.ok and "MISMATCH" in result.message
    manager.runtime.settings.update(model=model.id)
    manager.remove(model)
    assert not model.path.exists() and user_models(manager) == []
    assert manager.runtime.settings.current.model == ""  # the choice fell back to the default


def test_bundled_and_pinned_defaults_cannot_be_removed(
    tmp_path: Path,
    variant_model: tuple[Path, str],
) -> None:
    manager = make_manager(tmp_path, '[models]\ndefault = "gemma-3-test.gguf"\n')
    bundled = manager.installed()[0]
    with pytest.raises(ModelError, match="bundled default model; it cannot be removed"):
        manager.remove(bundled)
    pinned = manager.import_file(variant_model[0]).model
    with pytest.raises(PolicyRefused, match="default model set by your administrator"):
        manager.remove(pinned)
    assert pinned.path.is_file()
