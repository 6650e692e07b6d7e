"""A model's display name from its GGUF header, and the user's own name kept by the registry."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFWriter

from app.core.engine import LocalEngine
from app.core.errors import ModelError
from app.core.models.gguf_check import check_gguf
from app.core.models.naming import display_name
from app.core.models.registry import NAMING, Registry
from app.core.types import LoadOptions
from tests.helpers.gguf_build import write_smol
from tests.helpers.gguf_edit import copy_with_metadata

SMOL_RUN = {  # what SmolLM2 135M Instruct's converter wrote: a training-run slug
    "name": "Smollm2 135M 8k Lc100K Mix1 Ep2",
    "basename": "smollm2",
    "size_label": "135M",
    "finetune": "8k-lc100k-mix1-ep2",
}


def header_file(path: Path, file_type: int | None = None, **general: str) -> Path:
    """A small llama GGUF written by the gguf package with the given general.* strings."""
    writer = GGUFWriter(path, "llama")
    for key, value in general.items():
        writer.add_string(f"general.{key}", value)
    if file_type is not None:
        writer.add_file_type(file_type)
    writer.add_context_length(256)
    writer.add_embedding_length(8)
    writer.add_block_count(1)
    writer.add_head_count(2)
    writer.add_feed_forward_length(16)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(["<unk>", "<s>", "</s>", "a"])
    writer.add_tensor("token_embd.weight", np.zeros((4, 8), np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def name_of(path: Path) -> str:
    return display_name(check_gguf(path))


def test_a_training_slug_gives_way_to_the_parts_and_the_file_name(tmp_path: Path) -> None:
    path = header_file(tmp_path / "smollm2-135m-instruct-q8_0.gguf", 7, **SMOL_RUN)
    assert check_gguf(path).name == "Smollm2 135M 8k Lc100K Mix1 Ep2"  # the raw header
    assert name_of(path) == "SmolLM2 135M Instruct · Q8_0"


def test_basename_size_and_finetune_make_the_name(tmp_path: Path) -> None:
    path = header_file(
        tmp_path / "model.gguf",
        15,
        name="Qwen2.5 0.5B Instruct",
        basename="Qwen2.5",
        size_label="0.5B",
        finetune="Instruct",
    )
    assert name_of(path) == "Qwen2.5 0.5B Instruct · Q4_K_M"


def test_a_lower_case_family_gets_its_usual_spelling(tmp_path: Path) -> None:
    path = header_file(
        tmp_path / "g.gguf",
        1,
        name="Gemma 3 1b It",
        basename="gemma-3",
        size_label="1B",
        finetune="it",
    )
    assert name_of(path) == "Gemma 3 1B IT · F16"


def test_without_a_basename_the_file_name_is_the_name(tmp_path: Path) -> None:
    path = header_file(tmp_path / "Mistral-7B-Instruct-v0.3.Q4_K_M.gguf", name="models")
    assert check_gguf(path).quantization == "unknown"  # no general.file_type: from the name
    assert name_of(path) == "Mistral-7B-Instruct-v0.3 · Q4_K_M"


def test_a_name_written_on_purpose_is_kept(tmp_path: Path) -> None:
    path = header_file(
        tmp_path / "office.gguf",
        15,
        name="Office assistant",
        basename="gemma-3",
        size_label="270M",
    )
    assert name_of(path) == "Office assistant"


def test_the_bundled_model_header_names_itself(model_path: Path) -> None:
    assert name_of(model_path) == "Gemma 3 270M · Q4_K_M"  # general.name "Gemma 3 270m"


def test_the_engine_reports_the_display_name(tmp_path: Path) -> None:
    smol = write_smol(tmp_path / "smol.gguf")
    path = copy_with_metadata(
        smol,
        tmp_path / "smollm2-135m-instruct-f32.gguf",
        {f"general.{k}": v for k, v in SMOL_RUN.items()},
    )
    engine = LocalEngine()
    try:
        info = engine.load(path, LoadOptions(context_size=256, threads=1, gpu_layers=0))
    finally:
        engine.unload()
    assert info.name == "SmolLM2 135M Instruct · F32"


# -- the registry: generated names and the user's own ------------------------------------------
@pytest.fixture
def registry(tmp_path: Path, model_path: Path, monkeypatch: pytest.MonkeyPatch) -> Registry:
    monkeypatch.setenv("ENCLAVE_BUNDLED_MODEL", str(model_path))
    models = tmp_path / "models"
    models.mkdir()
    header_file(models / "smollm2-135m-instruct-q8_0.gguf", 7, **SMOL_RUN)
    return Registry(models)


def smol(registry: Registry):
    return next(m for m in registry.installed() if m.path.name.startswith("smollm2"))


def test_the_registry_lists_the_display_name(registry: Registry) -> None:
    assert smol(registry).name == "SmolLM2 135M Instruct · Q8_0"


def test_a_rename_is_kept_across_rescans_and_can_be_undone(registry: Registry) -> None:
    model = smol(registry)
    assert registry.rename(model.id, "  My  tiny\nmodel ") == "My tiny model"
    assert smol(registry).name == "My tiny model"
    (registry.models_dir / "smollm2-135m-instruct-q8_0.gguf").touch()  # rescanned, rehashed
    assert smol(registry).name == "My tiny model"
    assert Registry(registry.models_dir).get(model.id).name == "My tiny model"  # on disk
    assert registry.rename(model.id, "   ") == "SmolLM2 135M Instruct · Q8_0"
    assert smol(registry).name == "SmolLM2 135M Instruct · Q8_0"


def test_renaming_an_unknown_model_names_the_cause(registry: Registry) -> None:
    registry.installed()
    with pytest.raises(ModelError, match="No installed model has the id 000000000000"):
        registry.rename("000000000000", "x")


def test_a_forgotten_model_forgets_its_name(registry: Registry) -> None:
    model = smol(registry)
    registry.rename(model.id, "Mine")
    registry.forget(model.id)
    assert "names" in registry._read() and model.id not in registry._read()["names"]


def test_models_named_by_the_old_rule_are_named_again_once(registry: Registry) -> None:
    model = smol(registry)
    data = json.loads(registry.file.read_text(encoding="utf-8"))
    for entry in [data["models"][model.id], *(c["entry"] for c in data["scan_cache"].values())]:
        entry["name"] = SMOL_RUN["name"]  # what earlier versions stored: general.name
        entry.pop("naming", None)
    registry.file.write_text(json.dumps(data), encoding="utf-8")
    assert registry.get(model.id).name == SMOL_RUN["name"]  # read as it was stored

    assert smol(registry).name == "SmolLM2 135M Instruct · Q8_0"  # a refresh names it anew
    raw = json.loads(registry.file.read_text(encoding="utf-8"))["models"][model.id]
    assert raw["naming"] == NAMING
    registry.rename(model.id, "Mine")
    assert smol(registry).name == "Mine"  # the user's name still wins
