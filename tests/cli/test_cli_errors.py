"""Bad input on the command line: one clear line on stderr, exit 1, no traceback, nothing lost."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers.cli import assert_one_clear_line, enclave


@pytest.mark.model  # the first `chat` in a fresh data dir assembles the default model
def test_missing_model_file(tmp_path: Path) -> None:
    line = assert_one_clear_line(
        enclave("chat", "-m", str(tmp_path / "nowhere.gguf"), "hi", data_dir=tmp_path / "d")
    )
    assert "nowhere.gguf" in line


def test_text_file_named_gguf(tmp_path: Path) -> None:
    fake = tmp_path / "notes.gguf"
    fake.write_text("these are my notes, not a model\n" * 100)
    line = assert_one_clear_line(enclave("chat", "-m", fake, "hi", data_dir=tmp_path / "d"))
    assert "GGUF" in line or "model" in line.lower()
    assert fake.read_text().startswith("these are my notes")


def test_truncated_gguf(tmp_path: Path, model_path: Path) -> None:
    cut = tmp_path / "cut.gguf"
    with model_path.open("rb") as src:
        cut.write_bytes(src.read(3_000_000))
    assert_one_clear_line(enclave("chat", "-m", cut, "hi", data_dir=tmp_path / "d"))


def test_unwritable_data_dir(tmp_path: Path) -> None:
    line = assert_one_clear_line(enclave("chat", "hi", data_dir=Path("/proc/enclave-data")))
    assert "/proc/enclave-data" in line


def test_invalid_policy(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[network]\nallow_model_downloads = maybe\n")
    line = assert_one_clear_line(enclave("chat", "hi", data_dir=tmp_path / "d", policy=policy))
    assert str(policy) in line


def test_unknown_conversation(tmp_path: Path, model_path: Path) -> None:
    data = tmp_path / "d"
    (data / "models").mkdir(parents=True)
    shutil.copyfile(model_path, data / "models" / model_path.name)
    line = assert_one_clear_line(enclave("chat", "--continue", "42", "hi", data_dir=data))
    assert "42" in line


def test_usage_error_exits_2(tmp_path: Path) -> None:
    result = enclave("chat", data_dir=tmp_path / "d")
    assert result.code == 2
    assert "Traceback" not in result.err


def test_errors_lose_nothing(tmp_path: Path, model_path: Path) -> None:
    """A failed turn after a good one leaves the earlier conversation intact."""
    data = tmp_path / "d"
    (data / "models").mkdir(parents=True)
    shutil.copyfile(model_path, data / "models" / model_path.name)
    assert enclave("chat", "--max-tokens", "4", "first", data_dir=data).code == 0
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 10)
    assert_one_clear_line(enclave("chat", "-m", bad, "second", data_dir=data))
    out = enclave("export", "1", "--format", "json", data_dir=data)
    assert out.code == 0, out.err
    assert "first" in out.out
