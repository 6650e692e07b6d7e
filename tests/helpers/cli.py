"""Run the real `enclave` command line in a subprocess, as a user or an admin would."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Result:
    code: int
    out: str
    err: str


def enclave(
    *args: str | Path,
    data_dir: Path | None = None,
    policy: Path | None = None,
    stdin: str | None = None,
    timeout: float = 240,
    env: dict[str, str] | None = None,
) -> Result:
    argv = [sys.executable, "-m", "app"]
    if data_dir is not None:
        argv += ["--data-dir", str(data_dir)]
    if policy is not None:
        argv += ["--policy", str(policy)]
    argv += [str(a) for a in args]
    proc = subprocess.run(
        argv,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def assert_one_clear_line(result: Result, code: int = 1) -> str:
    """An error for the user: the expected exit code, one line on stderr, no traceback."""
    assert result.code == code, (result.code, result.out, result.err)
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    assert lines[0].startswith("enclave: ")
    return lines[0]
