"""The catalog: verified values match the real file; unverified ones are null, never invented."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

import pytest

from app.core.default_model import DEFAULT_MODEL_SHA256, DEFAULT_MODEL_SIZE, sha256_file
from app.core.errors import ModelError
from app.core.models.catalog import catalog_path, find_entry, load_catalog
from app.core.models.fit import estimate_memory
from app.core.models.gguf_check import check_gguf
from app.core.templates import FAMILIES

WANTED = {
    "qwen2.5-1.5b-instruct",
    "qwen2.5-3b-instruct",
    "qwen2.5-7b-instruct",
    "llama-3.2-1b-instruct",
    "llama-3.2-3b-instruct",
    "gemma-3-1b-it",
    "gemma-3-4b-it",
    "phi-4-mini-instruct",
    "mistral-7b-instruct-v0.3",
}


def test_the_catalog_lists_the_recommended_models() -> None:
    entries = load_catalog()
    ids = [e.id for e in entries]
    assert len(ids) == len(set(ids))
    assert set(ids) >= WANTED
    for entry in entries:
        assert entry.name and entry.note and entry.source
        assert entry.template_family in FAMILIES, entry.id  # Enclave has that template built in


def test_the_bundled_entry_is_verified_against_the_real_file(model_path: Path) -> None:
    entry = find_entry("gemma-3-270m")
    assert entry is not None and entry.verified and entry.bundled and not entry.downloadable
    header = check_gguf(model_path)
    assert entry.size_bytes == DEFAULT_MODEL_SIZE == model_path.stat().st_size
    assert entry.sha256 == DEFAULT_MODEL_SHA256 == sha256_file(model_path)
    assert entry.license == header.license
    assert entry.context_length == header.context_length
    assert entry.quantization == header.quantization
    assert entry.file_name == model_path.name
    assert entry.ram_estimate_bytes == estimate_memory(header, 4096).total_bytes


def test_unverified_entries_carry_no_invented_checksums() -> None:
    for entry in load_catalog():
        if entry.bundled:
            continue
        assert entry.verified is False, entry.id
        assert entry.sha256 is None and entry.size_bytes is None, entry.id
        assert entry.ram_estimate_bytes is None, entry.id
        url = urlparse(entry.url or "")
        assert url.scheme == "https" and url.hostname == "huggingface.co", entry.id
        assert "/resolve/main/" in url.path and url.path.endswith("/" + entry.file_name)
        assert entry.file_name.endswith("Q4_K_M.gguf")


def test_lookup_by_id_name_or_file_name() -> None:
    assert find_entry("Qwen2.5 7B Instruct").id == "qwen2.5-7b-instruct"
    assert find_entry("google_gemma-3-4b-it-Q4_K_M.gguf").id == "gemma-3-4b-it"
    assert find_entry("no such model") is None


def test_a_broken_catalog_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "catalog.json"
    data = json.loads(catalog_path().read_text())
    data["models"][1]["sha256"] = "not-a-sha"
    bad.write_text(json.dumps(data))
    with pytest.raises(ModelError, match=r"catalog .* cannot be read"):
        load_catalog(bad)
