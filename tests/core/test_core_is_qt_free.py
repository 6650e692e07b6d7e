"""The core never imports Qt: checked on the source and by import-linter's contract."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "app" / "core"
FORBIDDEN = ("PySide6", "shiboken6", "app.ui")


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
        if name.split(".")[0] in FORBIDDEN or name.startswith("app.ui")
    ]
    assert offenders == []


def test_import_linter_contract_holds() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("import-linter is part of the test extra; install with pip install -e .[test]")
    result = subprocess.run([exe], capture_output=True, text=True, cwd=CORE.parent.parent)
    assert result.returncode == 0, result.stdout + result.stderr
