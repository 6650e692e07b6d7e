"""The GGUF header check: the real model reads right, and every kind of bad file is refused
with a clear sentence — never a crash, never a file llama.cpp would open."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFWriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import ModelError
from app.core.models.gguf_check import check_gguf, format_params


def write_gguf(
    path: Path,
    arch: str = "llama",
    tensors: int = 1,
    chat_template: str | None = None,
    extra: dict[str, int] | None = None,
) -> Path:
    """A tiny but well-formed GGUF written by the reference writer."""
    writer = GGUFWriter(path, arch)
    writer.add_name("tiny")
    writer.add_context_length(256)
    writer.add_block_count(1)
    if chat_template:
        writer.add_chat_template(chat_template)
    for key, value in (extra or {}).items():
        writer.add_uint32(key, value)
    for i in range(tensors):
        writer.add_tensor(f"t{i}", np.zeros((4, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def header_bytes(version: int = 3, tensors: int = 0, kvs: int = 0) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", version, tensors, kvs)


def refused(path: Path) -> str:
    with pytest.raises(ModelError) as info:
        check_gguf(path)
    message = str(info.value)
    assert path.name in message or str(path) in message
    assert message.endswith((".", "!")) and "Traceback" not in message
    return message


def test_the_default_model_header(model_path: Path) -> None:
    header = check_gguf(model_path)
    assert header.architecture == "gemma3"
    assert header.name == "Gemma 3 270m"
    assert header.quantization == "Q4_K_M"
    assert header.context_length == 32768
    assert header.license == "gemma"
    assert header.has_chat_template is False  # a base model: Enclave supplies the template
    assert header.file_size == 253_113_024
    assert header.n_params == 268_098_176
    assert header.params_label == "268M"
    assert header.size_label == "270M"
    assert header.n_vocab == 262_144
    assert header.arch_value("block_count") == 18
    assert header.arch_value("attention.head_count_kv") == 1
    assert header.tensor_count == 236
    assert header.version == 3


def test_a_small_valid_file_with_a_chat_template(tmp_path: Path) -> None:
    header = check_gguf(write_gguf(tmp_path / "tiny.gguf", chat_template="{{ messages }}"))
    assert header.architecture == "llama"
    assert header.has_chat_template is True
    assert header.n_params == 32
    assert header.quantization == "unknown"  # no general.file_type in this file


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.gguf"
    path.touch()
    assert "empty (0 bytes)" in refused(path)


def test_truncated_header(tmp_path: Path, model_path: Path) -> None:
    path = tmp_path / "cut.gguf"
    path.write_bytes(model_path.read_bytes()[: 1 << 20])  # inside the tokenizer table
    assert "truncated" in refused(path)


def test_truncated_tensor_data(tmp_path: Path, model_path: Path) -> None:
    """A download that stopped one byte short: the header is whole, the last tensor is not."""
    path = tmp_path / "short.gguf"
    with model_path.open("rb") as src, path.open("wb") as out:
        out.write(src.read(model_path.stat().st_size - 1))
    message = refused(path)
    assert "truncated" in message and "incomplete" in message


def test_wrong_magic(tmp_path: Path) -> None:
    path = tmp_path / "noise.gguf"
    path.write_bytes(bytes([0x00, 0xFF, 0x13, 0x37]) + bytes(range(256)) * 4)
    message = refused(path)
    assert "not a GGUF model" in message and "00 ff 13 37" in message


def test_renamed_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.gguf"
    path.write_text("Meeting notes\nBring the slides.\n", encoding="utf-8")
    message = refused(path)
    assert "text file" in message and "Meeting notes" in message


def test_old_ggml_and_zip_files_are_named(tmp_path: Path) -> None:
    ggml = tmp_path / "old.bin"
    ggml.write_bytes(b"tjgg" + bytes(100))
    assert "old GGML" in refused(ggml)
    archive = tmp_path / "model.gguf"
    archive.write_bytes(b"PK\x03\x04" + bytes(100))
    assert "ZIP or PyTorch" in refused(archive)


@pytest.mark.parametrize(("tensors", "kvs"), [(2**60, 0), (0, 2**63), (10**6, 10**6), (5000, 5000)])
def test_absurd_counts(tmp_path: Path, tensors: int, kvs: int) -> None:
    path = tmp_path / "absurd.gguf"
    path.write_bytes(header_bytes(tensors=tensors, kvs=kvs) + bytes(1000))
    message = refused(path)
    assert f"claims {tensors} tensors and {kvs} metadata entries" in message
    assert "corrupt" in message


def test_absurd_string_length(tmp_path: Path) -> None:
    key = b"general.architecture"
    body = struct.pack("<Q", len(key)) + key + struct.pack("<IQ", 8, 2**62)  # string of 2^62
    path = tmp_path / "long.gguf"
    path.write_bytes(header_bytes(tensors=0, kvs=1) + body + bytes(64))
    assert "truncated" in refused(path)


def test_absurd_array_length(tmp_path: Path) -> None:
    key = b"tokenizer.ggml.scores"
    body = struct.pack("<Q", len(key)) + key + struct.pack("<IIQ", 9, 6, 2**61)
    path = tmp_path / "array.gguf"
    path.write_bytes(header_bytes(tensors=0, kvs=1) + body + bytes(64))
    assert "truncated" in refused(path)


@pytest.mark.parametrize("version", [1, 4, 0x7FFF])
def test_unsupported_versions(tmp_path: Path, version: int) -> None:
    path = tmp_path / "v.gguf"
    path.write_bytes(header_bytes(version=version) + bytes(64))
    assert f"version {version}" in refused(path)


def test_unknown_architecture(tmp_path: Path) -> None:
    message = refused(write_gguf(tmp_path / "alien.gguf", arch="alien9000"))
    assert "'alien9000'" in message and "does not know" in message


def test_vision_projector_is_not_a_language_model(tmp_path: Path) -> None:
    assert "vision projector" in refused(write_gguf(tmp_path / "mmproj.gguf", arch="clip"))


def test_vocabulary_only_file(tmp_path: Path) -> None:
    assert "no weights" in refused(write_gguf(tmp_path / "vocab.gguf", tensors=0))


def test_tensor_past_the_end(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "tiny.gguf")
    data = path.read_bytes()
    path.write_bytes(data[:-16])
    assert "truncated" in refused(path)


def test_folder_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="is a folder"):
        check_gguf(tmp_path)
    with pytest.raises(ModelError, match="There is no file"):
        check_gguf(tmp_path / "nowhere.gguf")


@settings(
    max_examples=200,
    deadline=None,
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(junk=st.binary(min_size=0, max_size=600), version=st.sampled_from([2, 3]))
def test_random_headers_never_crash(tmp_path: Path, junk: bytes, version: int) -> None:
    path = tmp_path / "fuzz.gguf"
    path.write_bytes(b"GGUF" + struct.pack("<I", version) + junk)
    with pytest.raises(ModelError):
        check_gguf(path)


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(cut=st.integers(min_value=1, max_value=4096))
def test_every_cut_of_a_valid_file_is_refused(tmp_path: Path, cut: int) -> None:
    source = tmp_path / "whole.gguf"
    if not source.exists():
        write_gguf(source, chat_template="{{ x }}")
    data = source.read_bytes()
    path = tmp_path / "cut.gguf"
    path.write_bytes(data[: max(0, len(data) - cut)])
    with pytest.raises(ModelError):
        check_gguf(path)


def test_format_params() -> None:
    assert format_params(268_098_176) == "268M"
    assert format_params(1_543_714_304) == "1.5B"
    assert format_params(7_615_616_512) == "7.6B"
    assert format_params(70_553_706_496) == "71B"
