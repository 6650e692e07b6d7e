"""Atomic writes: the old file or the new one, never half; no temporary file left behind."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from app.core.atomic_write import SHARED, write_text_atomic


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "out").mkdir()
    return tmp_path / "out"


def test_replaces_content_privately_by_default(folder: Path) -> None:
    target = folder / "settings.json"
    target.write_text("old")
    write_text_atomic(target, "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in folder.iterdir()] == ["settings.json"]


def test_exports_are_private_too(tmp_path: Path) -> None:
    target = tmp_path / "chat.md"
    write_text_atomic(target, "# hi", mode=SHARED)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # a conversation: the owner's only


def test_failure_keeps_the_old_file_and_leaves_no_temporary(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = folder / "registry.json"
    target.write_text("old")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("app.core.atomic_write.os.fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        write_text_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in folder.iterdir()] == ["registry.json"]
