"""Start-up, memory and responsiveness of the real app, each in a fresh process.

    .venv/bin/python -m bench.bench_startup [--runs 5]

* usable window: from launching `python -m app` (a fresh data dir, the bundled model used in
  place, Qt offscreen) to the first event-loop turn after the main window is shown, as the app
  itself reports it (ENCLAVE_STARTUP_REPORT) — target 1.0 s;
* first token: from launching to the first reply text, for `enclave chat` (first byte on
  stdout) and for the window (tests/helpers/window_driver.py sends a prompt once the model is
  loaded; first text reaching the chat view);
* memory: resident set size of the window idle (no model), with the model loaded, and after
  a reply; and the peak of `enclave chat`;
* stalls: in one process, the real window and engine with a 5 ms QTimer heartbeat on the GUI
  thread; the longest gap minus 5 ms while a reply streams and while a document is
  summarised (dropped on the window) is the longest time the window could not react —
  target 50 ms. The user's action that starts each (Enter, the drop) is timed on its own:
  its GUI-thread time is reported apart, with the same target.

Runs are sequential; medians are reported. The usable-window figure is the median of launches
that find their history already there; the very first launch (which creates it) is listed too.
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

from bench.common import empty_policy, model_path, write_result

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"usable_window_s": 1.0, "stall_ms": 50.0}
PROMPT = "Write a short Python function that sorts a list, with an explanation."


def child_env(data: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ENCLAVE_BUNDLED_MODEL": str(model_path()),
        "ENCLAVE_POLICY": str(empty_policy(data)),
        "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        "PYTHONIOENCODING": "utf-8",
    }


def write_settings(data: Path, **values: object) -> None:
    data.mkdir(parents=True, exist_ok=True)
    (data / "settings.json").write_text(json.dumps({"threads": 2, "context_size": 2048, **values}))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def usable_window(folder: Path, run: int) -> float:
    """Run 0 is a first launch (the history is created); the others find it there."""
    data = folder / "usable"
    if run == 0:
        write_settings(data)
    report = folder / f"usable-{run}.txt"
    env = {**child_env(folder), "ENCLAVE_STARTUP_REPORT": str(report)}
    launched = time.time()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--data-dir", str(data)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        while not report.exists() or not report.read_text().strip():
            if proc.poll() is not None or time.time() - launched > 60:
                raise SystemExit("the window did not report it was usable")
            time.sleep(0.005)
        stamp, visible = report.read_text().split()
        if visible not in ("1", "True"):
            raise SystemExit("the window was not visible when it reported")
        return float(stamp) - launched
    finally:
        if proc.poll() is None:  # the app closes itself after reporting; make sure
            proc.terminate()
        proc.wait(timeout=30)


def cli_first_token(folder: Path) -> tuple[float, float]:
    """Seconds from launch to the first reply byte, and the process's peak RSS in MB."""
    data = folder / "cli"
    write_settings(data)
    launched = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--data-dir", str(data), "chat", "--max-tokens", "8",
         "--seed", "1", "Hello, who are you?"],
        env=child_env(folder), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdout is not None
    first = proc.stdout.read(1)
    elapsed = time.monotonic() - launched
    proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)  # this child's own peak, not all children's
    proc.returncode = os.waitstatus_to_exitcode(status)
    if not first or proc.returncode:
        raise SystemExit("enclave chat failed")
    return elapsed, usage.ru_maxrss / 1024


class Driver:
    """tests/helpers/window_driver.py in a child process, read event by event."""

    def __init__(self, folder: Path, *args: str) -> None:
        data = folder / f"window-{time.monotonic_ns()}"
        write_settings(data)
        self.launched = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.window_driver", "--data-dir", str(data), *args],
            env=child_env(folder), cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip

    def until(self, event: str, timeout: float = 300) -> float:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        for line in self.proc.stdout:
            if line.startswith("{") and json.loads(line).get("event") == event:
                return time.monotonic() - self.launched
            if time.monotonic() > deadline:
                break
        raise SystemExit(f"the window driver never reported {event!r}")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def window_first_token_and_memory(folder: Path) -> dict[str, float]:
    idle = Driver(folder, "--no-load")
    idle.until("shown")
    time.sleep(1.5)  # let the first paints and deferred imports settle
    idle_mb = rss_mb(idle.proc.pid)
    idle.stop()
    run = Driver(folder, "--prompt", PROMPT, "--max-tokens", "48")
    loaded_s = run.until("loaded")
    loaded_mb = rss_mb(run.proc.pid)
    first_s = run.until("text")
    run.until("finished")
    after_mb = rss_mb(run.proc.pid)
    run.stop()
    return {
        "window_model_loaded_s": loaded_s,
        "window_first_token_s": first_s,
        "rss_idle_mb": idle_mb,
        "rss_loaded_mb": loaded_mb,
        "rss_after_reply_mb": after_mb,
    }


# -- stalls: one process, the real window and engine ----------------------------------------
def stall_probe(output: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer

    from app.core.config.runtime import Runtime
    from app.ui.application import create_qapp, open_window
    from tests.helpers.make_documents import LOREM, make_docx

    folder = Path(tempfile.mkdtemp(prefix="enclave-stall-"))
    os.environ["ENCLAVE_BUNDLED_MODEL"] = str(model_path())
    runtime = Runtime.create(folder / "data", empty_policy(folder))
    runtime.settings.update(threads=2, context_size=2048, max_tokens=200)
    app = create_qapp()
    window = open_window(runtime)
    window.show()
    gaps: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(beat)

    def wait(condition, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not condition() and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.001)

    loaded: list[object] = []
    window.worker.modelLoaded.connect(loaded.append)
    window.load_model()
    wait(lambda: bool(loaded), 300)

    def measure(start, done) -> dict[str, float]:
        started = time.perf_counter()
        start()  # the user's action, on the GUI thread: timed apart from what follows
        action_ms = (time.perf_counter() - started) * 1000
        gaps.clear()
        last[0] = time.perf_counter()
        timer.start()
        wait(done, 900)
        wait(lambda: False, 0.3)  # the last render counts too
        timer.stop()
        ordered = sorted(gaps)
        return {
            "longest_ms": max(gaps) - 5,
            "p99_ms": ordered[int(len(ordered) * 0.99)] - 5,
            "beats": len(gaps),
            "action_ms": action_ms,
            "seconds": time.perf_counter() - started,
        }

    finished: list[object] = []
    window.controller.replyFinished.connect(lambda *a: finished.append(a))
    streaming = measure(lambda: window.send(PROMPT), lambda: bool(finished))
    document = make_docx(folder / "minutes.docx", [LOREM] * 12, page_break_every=4)
    summaries: list[object] = []
    drops = window.drop_controller
    drops.summaryFinished.connect(summaries.append)
    drops.summaryFailed.connect(lambda *a: summaries.append(a))
    summarising = measure(lambda: window.documents_dropped([document]), lambda: bool(summaries))
    window.shutdown()
    output.write_text(json.dumps({"streaming": streaming, "summarising": summarising}))


def stalls(folder: Path) -> dict:
    out = folder / "stalls.json"
    subprocess.run(
        [sys.executable, "-m", "bench.bench_startup", "--stall-probe", str(out)],
        env=child_env(folder), cwd=ROOT, check=True, timeout=1800,
    )  # fmt: skip
    return json.loads(out.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.bench_startup", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--output", type=Path)
    parser.add_argument("--stall-probe", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stall_probe:
        stall_probe(args.stall_probe)
        return 0
    model_path()  # assembled before any timing
    with tempfile.TemporaryDirectory(prefix="enclave-startup-") as name:
        folder = Path(name)
        usable = [usable_window(folder, run) for run in range(args.runs + 1)]
        print(f"usable window: {', '.join(f'{s:.2f}' for s in usable)} s", file=sys.stderr)
        cli = [cli_first_token(folder) for _ in range(max(1, args.runs // 2))]
        print(f"cli first token: {', '.join(f'{s:.2f}' for s, _ in cli)} s", file=sys.stderr)
        window = window_first_token_and_memory(folder)
        print(f"window: {window}", file=sys.stderr)
        stall = stalls(folder)
        print(f"stalls: {stall}", file=sys.stderr)
    figures = {
        "usable_window_s": statistics.median(usable[1:]),
        "usable_window_first_launch_s": usable[0],
        "cli_first_token_s": statistics.median(s for s, _ in cli),
        "cli_peak_rss_mb": max(m for _, m in cli),
        **window,
        "stall_streaming_ms": stall["streaming"]["longest_ms"],
        "stall_summarising_ms": stall["summarising"]["longest_ms"],
        "send_ms": stall["streaming"]["action_ms"],
        "drop_ms": stall["summarising"]["action_ms"],
    }
    report = {"targets": TARGETS, "figures": figures, "usable_runs_s": usable,
              "cli_runs": cli, "stalls": stall}  # fmt: skip
    for name, value in figures.items():
        print(f"{name:28s} {value:10.3f}")
    print(f"written to {write_result(args.output, 'startup', report)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
