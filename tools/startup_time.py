"""Time from launching `enclave` to a usable window, under Xvfb.

    .venv/bin/python tools/startup_time.py [--runs 5] [--model PATH]

Each run starts `python -m app` on a fresh data directory under xvfb-run (QT_QPA_PLATFORM=xcb)
with ENCLAVE_STARTUP_REPORT set: the app writes the time its window was shown and the event
loop turned (history usable; the model keeps loading in the background), then quits.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_run(model: str | None, data: Path | None = None) -> float:
    data = data or Path(tempfile.mkdtemp(prefix="enclave-start-"))
    report = data / "startup.txt"
    report.unlink(missing_ok=True)
    if model:
        (data / "settings.json").write_text(json.dumps({"model": model}), encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "ENCLAVE_STARTUP_REPORT": str(report)}
    command = [
        "xvfb-run",
        "-a",
        "-s",
        "-screen 0 1280x800x24",
        sys.executable,
        "-m",
        "app",
        "--data-dir",
        str(data),
    ]
    # xvfb-run itself needs a moment to start the X server: time it apart and subtract it.
    started = time.time()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    if result.returncode != 0 or not report.exists():
        sys.exit(f"enclave failed to start ({result.returncode}): {result.stderr.strip()}")
    shown_at, visible = report.read_text(encoding="utf-8").split()
    if visible != "1":
        sys.exit("the window was not visible")
    return float(shown_at) - started


def xvfb_overhead() -> float:
    started = time.time()
    subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", "true"], check=True)
    return time.time() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--model", help="a .gguf to load in the background (default: none set)")
    args = parser.parse_args()
    overhead = statistics.median(xvfb_overhead() for _ in range(3))
    print(f"Xvfb start-up (subtracted): {overhead:.2f} s")
    fresh = [one_run(args.model) - overhead for _ in range(args.runs)]
    home = Path(tempfile.mkdtemp(prefix="enclave-start-"))
    one_run(args.model, home)  # creates the database: the runs below find it there
    usual = [one_run(args.model, home) - overhead for _ in range(args.runs)]
    for label, usable in (
        ("first start (creates the database)", fresh),
        ("usual start (existing history)", usual),
    ):
        print(
            f"{label}: process start to usable window: median "
            f"{statistics.median(usable):.2f} s, best {min(usable):.2f} s, "
            f"worst {max(usable):.2f} s ({args.runs} runs)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
