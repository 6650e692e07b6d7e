"""Start several real `enclave` commands so that their work overlaps, not their start-up.

Each runner imports the command line, says it is ready, waits for the shared "go" file, then
runs `app.cli.main(argv)` in its own process, exactly as `python -m app ARGV` would. Python's
start-up (hundreds of milliseconds, varying) would otherwise keep two processes apart.

    python -m tests.helpers.race GO_FILE READY_FILE -- ARGV...
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def run_together(
    commands: list[list[str]], folder: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> list[Outcome]:
    """Run each argv (arguments of `enclave`) in its own process, released at the same instant."""
    folder.mkdir(parents=True, exist_ok=True)
    go = folder / "go"
    go.unlink(missing_ok=True)
    procs = []
    for i, argv in enumerate(commands):
        ready = folder / f"ready{i}"
        ready.unlink(missing_ok=True)
        procs.append(
            (
                ready,
                subprocess.Popen(
                    [sys.executable, "-m", "tests.helpers.race", str(go), str(ready), "--", *argv],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env={**os.environ, **(env or {})},
                ),
            )
        )
    deadline = time.monotonic() + 60
    while not all(r.exists() or p.poll() is not None for r, p in procs):
        if time.monotonic() > deadline:
            break
        time.sleep(0.005)
    go.touch()
    outcomes = []
    for _ready, proc in procs:
        out, err = proc.communicate(timeout=timeout)
        outcomes.append(Outcome(proc.returncode, out, err))
    return outcomes


def _main() -> int:
    go, ready = Path(sys.argv[1]), Path(sys.argv[2])
    argv = sys.argv[sys.argv.index("--") + 1 :]
    import app.cli
    import app.core.models.manager

    ready.touch()
    while not go.exists():
        time.sleep(0.001)
    return app.cli.main(argv)


if __name__ == "__main__":
    sys.exit(_main())
