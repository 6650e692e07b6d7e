"""Fuzzing the GGUF header check: any damaged or hostile header is a ModelError, nothing else.

The seeds are well-formed files written by the `gguf` package's reference writer, carrying
every metadata type (scalars, strings, arrays, nested arrays) so mutations land on each kind
of count and length field. A mutated file may still pass (the damage can fall on a value), but
then every tensor it names must lie inside the file.
"""

from __future__ import annotations

import functools
import itertools
import tempfile
from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFValueType, GGUFWriter
from hypothesis import given
from hypothesis import strategies as st

from app.core.errors import EnclaveError
from app.core.models.gguf_check import GgufHeader, check_gguf
from tests.helpers.fuzz import assert_clear, fuzz_settings, keep_finding, mutated

_counter = itertools.count()


def write_seed(path: Path, arch: str, chat_template: str | None) -> Path:
    writer = GGUFWriter(path, arch)
    writer.add_name("fuzz seed")
    writer.add_context_length(512)
    writer.add_block_count(2)
    writer.add_uint8("seed.u8", 7)
    writer.add_int16("seed.i16", -3)
    writer.add_float32("seed.f32", 0.5)
    writer.add_float64("seed.f64", -1.25)
    writer.add_bool("seed.flag", True)
    writer.add_uint64("seed.u64", 1 << 40)
    writer.add_array("seed.heads", [4, 4, 8])
    writer.add_array("seed.words", ["alpha", "beta", "γάμμα"])
    writer.add_key_value("seed.nested", [[1, 2], [3]], GGUFValueType.ARRAY)
    writer.add_token_list(["<pad>", "<bos>", "<eos>", "hello", "world"])
    if chat_template:
        writer.add_chat_template(chat_template)
    writer.add_tensor("token_embd.weight", np.zeros((5, 32), dtype=np.float32))
    writer.add_tensor("output_norm.weight", np.ones((32,), dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@functools.cache
def seed(kind: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "seed.gguf"
        if kind == "llama":
            return write_seed(path, "llama", "{{ messages[0].content }}").read_bytes()
        return write_seed(path, "gemma3", None).read_bytes()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gguf-fuzz")


def check_only_clear_errors(folder: Path, data: bytes) -> GgufHeader | None:
    path = folder / f"model{next(_counter)}.gguf"
    path.write_bytes(data)
    try:
        header = check_gguf(path)
    except EnclaveError as exc:
        assert_clear(exc)
        path.unlink()
        return None
    except Exception as exc:
        kept = keep_finding(path, data)
        raise AssertionError(f"{type(exc).__name__}: {exc} (input kept as {kept})") from exc
    path.unlink()
    assert header.file_size == len(data)
    assert header.tensor_count >= 1 and header.n_params >= 0
    return header


def test_the_seeds_pass(workdir: Path) -> None:
    for kind, arch in (("llama", "llama"), ("gemma", "gemma3")):
        header = check_only_clear_errors(workdir, seed(kind))
        assert header is not None and header.architecture == arch
        assert header.n_vocab == 5 and header.tensor_count == 2


@fuzz_settings(examples=400)
@given(data=st.data())
def test_mutated_headers_give_clear_errors(workdir: Path, data: st.DataObject) -> None:
    original = seed(data.draw(st.sampled_from(("llama", "gemma")), label="seed"))
    check_only_clear_errors(workdir, data.draw(mutated(original, max_ops=6), label="bytes"))


@fuzz_settings(examples=150)
@given(
    version=st.sampled_from((1, 2, 3, 4, 0x03000000)),
    counts=st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1)),
    body=st.binary(max_size=512),
)
def test_random_bodies_after_a_valid_magic_give_clear_errors(
    workdir: Path, version: int, counts: tuple[int, int], body: bytes
) -> None:
    head = b"GGUF" + version.to_bytes(4, "little")
    head += counts[0].to_bytes(8, "little") + counts[1].to_bytes(8, "little")
    check_only_clear_errors(workdir, head + body)
