"""Header values llama.cpp aborts on are refused before it opens the file, and never installed.

A SmolLM2 GGUF with `llama.block_count` 0 or 2^30 once passed `models import`; every load then
died on llama.cpp's `GGML_ASSERT` (exit 134) and `models info` hung in the memory estimate,
which looped and allocated once per declared layer.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from app.core.errors import ModelError
from app.core.models.admission import check_model_file
from app.core.models.fit import estimate_memory
from app.core.models.gguf_check import check_gguf
from app.core.models.gguf_limits import LLAMA_MAX_LAYERS
from tests.helpers.cli import enclave
from tests.helpers.gguf_build import GgufParts, Value, u32, with_values, write_smol

BAD_BLOCK_COUNTS = (0, LLAMA_MAX_LAYERS + 1, 1 << 30)


@pytest.fixture(autouse=True)
def bundled(model_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENCLAVE_BUNDLED_MODEL", str(model_path))


@pytest.fixture
def smol(tmp_path: Path) -> Path:
    return write_smol(tmp_path / "SmolLM2-test.gguf")


def one_error_line(result) -> str:
    assert result.code == 1, (result.code, result.out, result.err)
    assert "Traceback" not in result.err
    lines = [line for line in result.err.splitlines() if line.startswith("enclave: ")]
    assert len(lines) == 1, result.err
    return lines[0]


@pytest.mark.parametrize("blocks", BAD_BLOCK_COUNTS)
def test_bad_block_counts_are_refused_at_import_with_one_line(
    tmp_path: Path, smol: Path, model_path: Path, blocks: int
) -> None:
    data = tmp_path / "data"
    smol_bad = tmp_path / f"bad-smol-{blocks}.gguf"
    gemma_bad = tmp_path / f"bad-gemma-{blocks}.gguf"
    with_values(smol, smol_bad, {"llama.block_count": u32(blocks)}, copy_weights=True)
    with_values(model_path, gemma_bad, {"gemma3.block_count": u32(blocks)}, copy_weights=False)
    for source in (smol_bad, gemma_bad):
        started = time.monotonic()
        line = one_error_line(enclave("models", "import", source, data_dir=data))
        assert f"block_count is {blocks}" in line and source.name in line, line
        assert "1–512" in line
        info = one_error_line(enclave("models", "info", source, data_dir=data))
        assert f"block_count is {blocks}" in info
        assert time.monotonic() - started < 60
    listed = enclave("models", "list", "--json", data_dir=data)
    assert listed.code == 0 and "bad-" not in listed.out
    assert not list((data / "models").glob("*bad-*"))


def test_the_good_smol_model_imports(tmp_path: Path, smol: Path) -> None:
    result = enclave("models", "import", smol, data_dir=tmp_path / "data")
    assert result.code == 0, result.err
    assert "SmolLM2" in enclave("models", "list", data_dir=tmp_path / "data").out


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("llama.context_length", u32(0), "context_length is 0"),
        ("llama.embedding_length", Value(10, 1 << 40), "embedding_length is 1099511627776"),
        ("llama.attention.head_count_kv", u32(3), "4 attention heads cannot share 3"),
        ("llama.attention.head_count_kv", u32(8), "4 attention heads cannot share 8"),
        ("llama.attention.head_count", Value(9, [4] * 7, 4), "7 values for 2 layers"),
        ("llama.expert_count", u32(1025), "expert_count is 1025"),
        ("llama.expert_used_count", u32(2), "uses 2 of 0 experts"),
        ("llama.block_count", Value(8, "two"), "not a whole number"),
        ("tokenizer.ggml.scores", Value(9, [0.0] * 10, 6), "10 entries for 267 tokens"),
        ("llama.attention.layer_norm_rms_epsilon", Value(6, -1.0), "not a number of 0 or more"),
        ("llama.attention.layer_norm_rms_epsilon", Value(6, float("nan")), "nan, not a number"),
        ("tokenizer.ggml.model", Value(8, "bert"), "BERT"),
        ("llama.rope.dimension_count", u32(0), "dimension_count is 0"),
        ("llama.rope.dimension_count", u32(17), "more than the 16 of an attention head"),
        ("llama.attention.sliding_window", Value(10, 1 << 31), "sliding_window is 2147483648"),
    ],
)
def test_other_sizes_llama_cpp_cannot_take(
    tmp_path: Path, smol: Path, key: str, value: Value, words: str
) -> None:
    bad = with_values(smol, tmp_path / "bad.gguf", {key: value}, copy_weights=True)
    with pytest.raises(ModelError, match=words):
        check_gguf(bad)


def test_tensor_shapes_must_match_the_header(tmp_path: Path, smol: Path) -> None:
    parts = GgufParts.read(smol)
    parts.tensors[2].name = "blk.7.attn_norm.weight"
    with pytest.raises(ModelError, match="layer past the 2 declared"):
        check_gguf(parts.write(tmp_path / "layer.gguf"))
    parts = GgufParts.read(smol)
    embd = next(t for t in parts.tensors if t.name == "token_embd.weight")
    embd.dims = [embd.dims[1], embd.dims[0]]
    with pytest.raises(ModelError, match=r"token_embd\.weight"):
        check_gguf(parts.write(tmp_path / "embd.gguf"))


def test_hostile_chat_template_is_refused_at_import(tmp_path: Path, smol: Path) -> None:
    hostile = "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"
    template = {"tokenizer.chat_template": Value(8, hostile)}
    bad = with_values(smol, tmp_path / "hostile-template.gguf", template, copy_weights=True)
    with pytest.raises(ModelError, match="was not installed"):
        check_model_file(bad)
    line = one_error_line(enclave("models", "import", bad, data_dir=tmp_path / "data"))
    assert "hostile-template.gguf was not installed" in line and "chat template" in line
    assert not list((tmp_path / "data" / "models").glob("hostile*"))


def test_the_memory_estimate_is_bounded_whatever_the_header(smol: Path) -> None:
    """Even a header that slipped past the check cannot make the estimate loop 2^30 times."""
    header = check_gguf(smol)
    metadata = {**header.metadata, "llama.block_count": 1 << 30}
    huge = dataclasses.replace(header, metadata=metadata)
    started = time.monotonic()
    estimate = estimate_memory(huge, 4096)
    assert time.monotonic() - started < 1
    assert estimate.kv_cache_bytes > 0
