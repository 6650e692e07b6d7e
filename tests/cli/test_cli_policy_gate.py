"""The policy gate from the command line: locked flags exit 3, the allowlist holds on every path.

The allowlist is decided on the file's own sha256 before llama.cpp opens it: under strace the
refused file is opened exactly once (to hash it). Loading it would open it again (the GGUF header
check, then llama.cpp's loader).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.default_model import DEFAULT_MODEL_SHA256
from tests.helpers import strace_net
from tests.helpers.cli import assert_one_clear_line, enclave


def policy_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def conversations(data_dir: Path) -> int:
    db = data_dir / "enclave.sqlite3"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as con:
        return con.execute("SELECT count(*) FROM conversations").fetchone()[0]


@pytest.mark.parametrize(
    ("setting", "flags"),
    [
        ("model", ["-m", "other.gguf"]),
        ("temperature", ["--temperature", "1.5"]),
        ("max_tokens", ["--max-tokens", "5"]),
        ("system_prompt", ["--system", "Be rude."]),
    ],
)
def test_a_flag_that_would_change_a_locked_setting_exits_3_and_writes_nothing(
    tmp_path: Path, setting: str, flags: list[str]
) -> None:
    policy = policy_file(tmp_path, f'[settings]\nlocked = ["{setting}"]\n')
    data = tmp_path / "data"
    result = enclave("chat", *flags, "Hello", data_dir=data, policy=policy)
    line = assert_one_clear_line(result, code=3)
    assert f"locked {setting}" in line
    assert conversations(data) == 0


def test_a_policy_file_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    result = enclave("models", "list", data_dir=tmp_path / "data", policy=tmp_path / "nope.toml")
    line = assert_one_clear_line(result, code=1)
    assert "does not exist" in line and "nope.toml" in line


def _opens(log: Path, target: Path) -> int:
    """How often the process tree opened `target` (by its own name or the file it links to)."""
    names = {str(target), str(target.resolve())}
    pattern = re.compile(r'open(?:at)?\(.*"(' + "|".join(map(re.escape, names)) + ')"')
    return sum(1 for line in log.read_text().splitlines() if pattern.search(line))


def _default_only(tmp_path: Path, data: Path) -> list[str]:
    """Global options for a policy whose allowlist holds only the bundled model."""
    policy = policy_file(tmp_path, f'[models]\nallowlist_sha256 = ["{DEFAULT_MODEL_SHA256}"]\n')
    return ["--data-dir", str(data), "--policy", str(policy)]


def _chat_traced(tmp_path: Path, args: list[str], env: dict[str, str] | None = None):
    log = tmp_path / "open.log"
    argv = [sys.executable, "-m", "app", *args]
    proc = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=open,openat", "-o", str(log), *argv],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, **(env or {})},
    )
    return proc, log


needs_strace = pytest.mark.skipif(not strace_net.available(), reason="strace cannot trace here")


@needs_strace
def test_a_refused_model_given_with_m_is_never_opened_by_llama_cpp(
    tmp_path: Path, variant_model: tuple[Path, str]
) -> None:
    path, _sha = variant_model
    args = _default_only(tmp_path, tmp_path / "data")
    proc, log = _chat_traced(tmp_path, [*args, "chat", "-m", str(path), "Hello"])
    assert proc.returncode == 3, proc.stderr
    assert "does not allow the model" in proc.stderr
    assert _opens(log, path) == 1  # hashed, never parsed or loaded
    assert conversations(tmp_path / "data") == 0


@needs_strace
def test_the_bundled_model_override_cannot_smuggle_in_a_refused_file(
    tmp_path: Path, variant_model: tuple[Path, str]
) -> None:
    path, _sha = variant_model
    args = _default_only(tmp_path, tmp_path / "data")
    proc, log = _chat_traced(
        tmp_path, [*args, "chat", "Hello"], env={"ENCLAVE_BUNDLED_MODEL": str(path)}
    )
    assert proc.returncode == 3, proc.stderr
    assert _opens(log, path) == 1


@needs_strace
def test_an_edited_registry_entry_cannot_claim_an_allowed_sha256(
    tmp_path: Path, variant_model: tuple[Path, str]
) -> None:
    path, sha = variant_model
    data = tmp_path / "data"
    imported = enclave("models", "import", "--link", path, data_dir=data)
    assert imported.code == 0, imported.err
    registry = data / "models" / "registry.json"
    raw = json.loads(registry.read_text())
    (entry,) = [e for e in raw["models"].values() if e["sha256"] == sha]
    entry["sha256"] = DEFAULT_MODEL_SHA256  # the user lies about the file
    registry.write_text(json.dumps(raw))
    installed = Path(entry["path"])
    args = _default_only(tmp_path, data)
    proc, log = _chat_traced(tmp_path, [*args, "chat", "-m", entry["id"], "Hello"])
    assert proc.returncode == 3, proc.stderr
    assert "does not allow the model" in proc.stderr
    assert _opens(log, installed) == 1
