"""The registry of installed models and how a model choice resolves to a file."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from app.core.config.runtime import Runtime
from app.core.default_model import DEFAULT_MODEL_SHA256
from app.core.errors import ModelError, PolicyRefused
from app.core.models.manager import ModelManager
from app.core.models.registry import InstalledModel, ModelSettings, Registry
from app.core.models.resolve import (
    apply_settings,
    find_installed,
    resolve,
    resolve_model,
    settings_for,
)
from app.core.types import LoadOptions

BUNDLED_ID = DEFAULT_MODEL_SHA256[:12]


@pytest.fixture(autouse=True)
def bundled(model_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Use the session's assembled default model instead of assembling one per test."""
    monkeypatch.setenv("ENCLAVE_BUNDLED_MODEL", str(model_path))
    return model_path


def make_runtime(tmp_path: Path, policy: str = "") -> Runtime:
    tmp_path.mkdir(parents=True, exist_ok=True)
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(policy, encoding="utf-8")
    return Runtime.create(tmp_path / "data", policy_file)


def test_the_bundled_model_is_listed_as_installed(tmp_path: Path, model_path: Path) -> None:
    runtime = make_runtime(tmp_path)
    models = ModelManager(runtime).installed()
    assert [m.id for m in models] == [BUNDLED_ID]
    bundled = models[0]
    assert bundled.source == "bundled" and bundled.path == model_path
    assert bundled.summary.architecture == "gemma3" and bundled.summary.quantization == "Q4_K_M"
    assert not bundled.removable
    raw = json.loads((runtime.paths.models_dir / "registry.json").read_text())
    assert BUNDLED_ID in raw["models"]
    assert (runtime.paths.models_dir / "registry.json").stat().st_mode & 0o777 == 0o600


def test_shared_directory_is_listed_and_used_in_place(
    tmp_path: Path,
    variant_model: tuple[Path, str],
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    path, sha = variant_model
    os.link(path, shared / "team-model.gguf")
    (shared / "broken.gguf").write_text("not a model")
    shared.chmod(0o555)  # read-only for the user
    runtime = make_runtime(tmp_path, f'[models]\ndirectory = "{shared}"\n')
    manager = ModelManager(runtime)
    models = {m.id: m for m in manager.installed()}
    assert set(models) == {BUNDLED_ID, sha[:12]}
    team = models[sha[:12]]
    assert team.source == "shared" and team.path == shared / "team-model.gguf"
    assert not team.removable and manager.removal_refusal(team)
    assert any("broken.gguf" in p and "text file" in p for p in manager.problems)
    assert list(runtime.paths.models_dir.glob("*.gguf")) == []  # nothing copied
    assert resolve_model("team-model.gguf", runtime.paths, runtime.policy) == team.path
    assert resolve_model(sha[:6], runtime.paths, runtime.policy) == team.path
    # A second listing reuses the cached hash (same size and mtime).
    cache = json.loads((runtime.paths.models_dir / "registry.json").read_text())["scan_cache"]
    assert cache[str(team.path)]["entry"]["sha256"] == sha
    assert {m.id for m in manager.installed()} == set(models)
    shared.chmod(0o755)


def test_a_shared_file_that_disappears_is_no_longer_listed(
    tmp_path: Path,
    variant_model: tuple[Path, str],
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.link(variant_model[0], shared / "m.gguf")
    runtime = make_runtime(tmp_path, f'[models]\ndirectory = "{shared}"\n')
    manager = ModelManager(runtime)
    assert len(manager.installed()) == 2
    (shared / "m.gguf").unlink()
    assert [m.id for m in manager.installed()] == [BUNDLED_ID]


def test_a_gguf_dropped_into_the_models_folder_is_adopted(
    tmp_path: Path,
    variant_model: tuple[Path, str],
) -> None:
    runtime = make_runtime(tmp_path)
    os.link(variant_model[0], runtime.paths.models_dir / "dropped.gguf")
    ids = {m.id: m.source for m in ModelManager(runtime).installed()}
    assert ids == {BUNDLED_ID: "bundled", variant_model[1][:12]: "import"}


def test_corrupt_registry_is_set_aside_and_rebuilt(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path)
    registry_file = runtime.paths.models_dir / "registry.json"
    registry_file.write_text("{ not json", encoding="utf-8")
    models = ModelManager(runtime).installed()
    assert [m.id for m in models] == [BUNDLED_ID]
    assert (runtime.paths.models_dir / "registry.json.corrupt").read_text() == "{ not json"
    assert json.loads(registry_file.read_text())["version"] == 1
    assert not list(runtime.paths.models_dir.glob(".*.tmp"))


def test_per_model_settings_persist_and_apply(tmp_path: Path, model_path: Path) -> None:
    runtime = make_runtime(tmp_path)
    manager = ModelManager(runtime)
    model = manager.installed()[0]
    manager.set_settings(
        model, ModelSettings(context_size=2048, gpu_layers=0, template_override="gemma")
    )
    again = Registry(runtime.paths.models_dir).installed(refresh=False)[0]
    assert again.settings == ModelSettings(2048, 0, "gemma")
    found = settings_for(model_path, runtime.paths, runtime.policy)
    options = apply_settings(LoadOptions(context_size=4096, gpu_layers=-1), found)
    assert (options.context_size, options.gpu_layers, options.template_override) == (
        2048,
        0,
        "gemma",
    )
    with pytest.raises(ModelError, match="No installed model"):
        Registry(runtime.paths.models_dir).set_settings("000000000000", ModelSettings())


def test_resolve_by_id_prefix_name_file_name_path_and_sha(tmp_path: Path, model_path: Path) -> None:
    runtime = make_runtime(tmp_path)
    ModelManager(runtime).installed()
    paths, policy = runtime.paths, runtime.policy
    for spec in (
        BUNDLED_ID,
        "a5fd3b",
        "gemma 3 270m (demo)",
        model_path.name,
        str(model_path),
        f"sha256:{DEFAULT_MODEL_SHA256}",
        "",
    ):
        assert resolve_model(spec, paths, policy) == model_path, spec
    assert resolve(BUNDLED_ID, paths, policy).model is not None
    with pytest.raises(ModelError, match="No model named 'nothing-like-it'"):
        resolve_model("nothing-like-it", paths, policy)


def test_an_unregistered_path_resolves_to_itself(tmp_path: Path, model_path: Path) -> None:
    runtime = make_runtime(tmp_path)
    copy = tmp_path / "elsewhere.gguf"
    os.link(model_path, copy)
    found = resolve(str(copy), runtime.paths, runtime.policy)
    assert found.path == copy and found.model is None


def test_policy_default_by_file_name_and_sha(
    tmp_path: Path,
    variant_model: tuple[Path, str],
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.link(variant_model[0], shared / "pinned.gguf")
    for default in ("pinned.gguf", f"sha256:{variant_model[1]}"):
        shutil.rmtree(tmp_path / "data", ignore_errors=True)
        runtime = make_runtime(
            tmp_path, f'[models]\ndirectory = "{shared}"\ndefault = "{default}"\n'
        )
        assert runtime.models.choose().path == shared / "pinned.gguf"
        manager = ModelManager(runtime)
        assert manager.default_model() is not None
        assert manager.default_model().path == shared / "pinned.gguf"


def test_policy_default_not_installed_is_a_clear_error(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path, '[models]\ndefault = "missing-model.gguf"\n')
    with pytest.raises(ModelError, match="set by the administrator's policy is not installed"):
        runtime.models.choose()


def test_allowlist_is_enforced_when_loading(tmp_path: Path, model_path: Path) -> None:
    other = "0" * 64
    runtime = make_runtime(tmp_path, f'[models]\nallowlist_sha256 = ["{other}"]\n')
    with pytest.raises(PolicyRefused, match="does not allow the model"):
        runtime.models.choose()
    with pytest.raises(PolicyRefused):  # decided on the file itself, whatever names it
        runtime.models.choose(str(model_path))
    allowed = make_runtime(
        tmp_path / "b", f'[models]\nallowlist_sha256 = ["{DEFAULT_MODEL_SHA256}"]\n'
    )
    allowed.settings.update(model=str(model_path))
    assert allowed.models.choose().path == model_path


def test_ambiguous_prefix_names_the_candidates(tmp_path: Path) -> None:
    def entry(sha: str, name: str) -> InstalledModel:
        return InstalledModel(
            sha[:12],
            name,
            tmp_path / f"{name}.gguf",
            sha,
            1,
            "import",
            "copy",
            "2025-01-01T00:00:00+00:00",
        )

    models = [entry("abcd1" + "0" * 59, "one"), entry("abcd2" + "0" * 59, "two")]
    with pytest.raises(ModelError, match="matches several models: abcd10000000 \\(one\\)"):
        find_installed("abcd", models)
    assert find_installed("abcd2", models) is models[1]
    assert find_installed("TWO", models) is models[1]
    assert find_installed("two.gguf", models) is models[1]
    assert find_installed("abc", models) is None  # too short to be an id prefix
