"""The core never imports Qt or a front end: checked on the source and by import-linter's
layers contract, which is shown to fail when the core imports one."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "app" / "core"
FORBIDDEN = ("PySide6", "shiboken6")
FRONT_ENDS = ("app.ui", "app.cli", "app.api")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_no_core_module_imports_qt() -> None:
    sources = sorted(CORE.rglob("*.py"))
    assert sources, "app/core has no Python files"
    offenders = [
        f"{src.relative_to(CORE.parent.parent)} imports {name}"
        for src in sources
        for name in _imports(src)
        if name.split(".")[0] in FORBIDDEN or name.startswith(FRONT_ENDS)
    ]
    assert offenders == []


def test_import_linter_contract_holds() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("import-linter is part of the test extra; install with pip install -e .[test]")
    result = subprocess.run([exe], capture_output=True, text=True, cwd=CORE.parent.parent)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "planted", ["app.ui.main_window", "app.cli.chat_cmd", "app.api", "PySide6.QtCore"]
)
def test_the_contracts_fail_when_the_core_imports_a_front_end_or_qt(
    tmp_path: Path, planted: str
) -> None:
    """A copy of the package with one core module importing `planted` breaks a contract."""
    import shutil

    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe is not None
    root = CORE.parent.parent
    copy = tmp_path / "tree"
    shutil.copytree(root / "app", copy / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(root / "pyproject.toml", copy / "pyproject.toml")
    api = copy / "app" / "api"
    api.mkdir(exist_ok=True)
    (api / "__init__.py").touch()
    (copy / "app" / "core" / "_planted.py").write_text(f"import {planted}\n", encoding="utf-8")
    result = subprocess.run(
        [exe, "--no-cache"],
        capture_output=True,
        text=True,
        cwd=copy,
        env={"PYTHONPATH": str(copy), "PATH": str(Path(sys.executable).parent)},
    )
    assert result.returncode != 0, result.stdout
    external = planted.split(".")[0] if planted.startswith("PySide6") else planted
    assert f"app.core._planted -> {external}" in result.stdout
