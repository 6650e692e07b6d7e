"""After a full session every file in the data dir and every export is 0600, every folder 0700.

The session runs the real command line with the umask at 000, so a file created without an
explicit mode would come out world-writable (0666) and fail here: chat (the default model is
assembled into the data dir), import, pull from a local HTTP server, export, summarise, and a
crash report in the log. `logs/enclave.log`, imported and downloaded models, `.part` files and
exports were once 0644.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.cli import enclave
from tests.helpers.gguf_build import write_smol


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def loose(root: Path) -> list[str]:
    """Everything under `root` that another user could read, write or enter."""
    found = []
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            mode = stat.S_IMODE(os.lstat(Path(folder, name)).st_mode)
            if mode & 0o077:
                found.append(f"{Path(folder, name).relative_to(root)}/ {mode:o}")
        for name in files:
            path = Path(folder, name)
            mode = os.lstat(path).st_mode
            if stat.S_ISREG(mode) and stat.S_IMODE(mode) & 0o077:
                found.append(f"{path.relative_to(root)} {stat.S_IMODE(mode):o}")
    return found


def run(*args: object, data: Path) -> str:
    result = enclave(*[str(a) for a in args], data_dir=data)
    assert result.code == 0, (args, result.err)
    return result.out


@pytest.mark.model
def test_a_full_session_leaves_only_private_files(tmp_path: Path, server, open_umask: None) -> None:
    data = tmp_path / "data"
    exports = data / "exports"
    run("chat", "--max-tokens", "4", "--seed", "1", "Hello", data=data)
    smol = write_smol(tmp_path / "smol.gguf")
    run("models", "import", smol, data=data)
    served = write_smol(tmp_path / "served.gguf", seed=3)
    sha = hashlib.sha256(served.read_bytes()).hexdigest()
    server.faults.drop_at = [served.stat().st_size // 2]  # a dropped connection: a .part, resumed
    url = server.serve("/org/repo/resolve/main/served.gguf", served, sha256=sha)
    run("models", "pull", url, data=data)
    [conversation] = json.loads(run("history", "list", "--json", data=data))
    os.mkdir(exports, 0o700)
    for fmt in ("md", "html", "json"):
        run("export", conversation["id"], "--format", fmt, "-o", exports / f"chat.{fmt}", data=data)
    document = tmp_path / "notes.txt"
    document.write_text("Enclave keeps every file private.\n" * 40, encoding="utf-8")
    run("summarize", document, "--max-tokens", "16", "-o", exports / "summary.md", data=data)
    crash_report(data)

    assert (data / "models" / "gemma-3-270m-q4_k_m.gguf").is_file()
    assert (data / "logs" / "enclave.log").stat().st_size > 0
    assert sorted(p.name for p in exports.iterdir()) == [
        "chat.html", "chat.json", "chat.md", "summary.md",
    ]  # fmt: skip
    assert loose(data) == []


def crash_report(data: Path) -> None:
    """An unexpected error: the command line writes its traceback to logs/enclave.log."""
    from app.cli import _log_crash
    from app.core.config.runtime import Runtime

    runtime = Runtime.create(data)
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        assert "enclave.log" in _log_crash(runtime)


def test_an_older_loose_log_is_tightened(tmp_path: Path) -> None:
    from app.core.config.paths import make_private_file

    log = tmp_path / "enclave.log"
    log.write_text("old\n", encoding="utf-8")
    log.chmod(0o644)
    make_private_file(log)
    assert stat.S_IMODE(log.stat().st_mode) == 0o600 and log.read_text() == "old\n"
