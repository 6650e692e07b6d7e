"""Measure the longest event-loop stall of the window while a reply streams.

    .venv/bin/python tools/measure_stall.py                # scripted engine, as fast as it goes
    .venv/bin/python tools/measure_stall.py --real MODEL   # the real model too

A 5 ms QTimer heartbeat runs on the GUI thread; the longest gap between two beats, minus the
interval, is the longest time the window could not react (budget: 50 ms). The scripted engine
streams a long Markdown answer (headings, tables, code) as fast as it can, the worst case
for rendering; the real model streams at its own pace.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
BEAT_MS = 5

SECTION = """## Part {n}: a worked example

Some explanation with **bold**, *italics* and `inline code`, long enough to wrap over more
than one line in the chat column so the layout has real work to do on every render.

```python
def step_{n}(values: list[int]) -> list[int]:
    \"\"\"Keep the even values, doubled.\"\"\"
    return [v * 2 for v in values if v % 2 == 0]
```

| input | output |
|---|---|
| `[1, 2, 3, 4]` | `[4, 8]` |
| `[]` | `[]` |

- first point of part {n}
- second point of part {n}

"""


def long_answer(sections: int) -> str:
    return "".join(SECTION.format(n=n) for n in range(1, sections + 1))


class Heartbeat:
    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.gaps: list[tuple[float, float]] = []  # (when the gap ended, its length in ms)
        self._last = 0.0
        self.timer = QTimer()
        self.timer.setInterval(BEAT_MS)
        self.timer.timeout.connect(self._beat)

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _beat(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now, (now - self._last) * 1000))
        self._last = now

    def stalls(self, start: float, end: float) -> tuple[float, float]:
        """The longest stall and the 99th percentile between two moments, in ms."""
        gaps = [gap for when, gap in self.gaps if start < when <= end]
        if not gaps:
            return 0.0, 0.0
        p99 = statistics.quantiles(gaps, n=100)[98] if len(gaps) > 100 else max(gaps)
        return max(gaps) - BEAT_MS, max(0.0, p99 - BEAT_MS)


def run(label: str, backend, runtime, prompt: str) -> float:
    from PySide6.QtWidgets import QApplication

    from app.ui.application import create_qapp, open_window
    from app.ui.theme import apply_theme

    app = create_qapp()
    apply_theme(app, "light")
    window = open_window(runtime, backend=backend)
    window.show()
    _wait(app, lambda: False, 1.0)  # a user reads the window before typing
    done: list[object] = []
    window.worker.modelLoaded.connect(done.append)
    window.worker.modelFailed.connect(done.append)
    window.load_model()
    _wait(app, lambda: bool(done), 120)
    finished: list[float] = []
    first_piece: list[float] = []
    window.controller.replyFinished.connect(lambda *a: finished.append(time.perf_counter()))
    window.controller.replyUpdated.connect(
        lambda *a: first_piece.append(time.perf_counter()) if not first_piece else None
    )
    beat = Heartbeat()
    beat.start()
    start = time.perf_counter()
    window.send(prompt)
    _wait(app, lambda: bool(finished), 600)
    _wait(app, lambda: False, 0.5)  # the final renders and layout count too
    end = time.perf_counter()
    text = window.chat_view.message_widgets[-1].text()
    streaming = beat.stalls(first_piece[0], end) if first_piece else (0.0, 0.0)
    sending = beat.stalls(start, first_piece[0] if first_piece else end)
    finished_at = finished[0]
    finished.clear()
    again = time.perf_counter()
    window.send("Thanks. Now a shorter one, please.")  # a follow-up: the steady state
    _wait(app, lambda: bool(finished), 600)
    follow_up = beat.stalls(again, again + 0.25)
    beat.stop()
    print(f"{label}: {len(text)} characters in {finished_at - start:.2f} s")
    print(
        f"  while streaming (first piece to last render): longest stall {streaming[0]:.1f} ms, "
        f"99th percentile {streaming[1]:.1f} ms"
    )
    print(
        f"  pressing Enter, first message of the process (creates the conversation): "
        f"longest stall {sending[0]:.1f} ms"
    )
    print(f"  pressing Enter on a follow-up: longest stall {follow_up[0]:.1f} ms")
    longest = streaming[0]
    window.shutdown()
    window.deleteLater()
    QApplication.processEvents()
    return longest


def _wait(app, condition, seconds: float) -> None:
    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.001)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", metavar="MODEL", help="also stream from this .gguf")
    parser.add_argument("--sections", type=int, default=24, help="length of the fake answer")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument(
        "--rate",
        type=float,
        default=500.0,
        help="tokens per second of the scripted engine (0: as fast as it can)",
    )
    args = parser.parse_args()
    from app.core.config.runtime import Runtime
    from bench.common import empty_policy
    from tests.helpers.fake_engine import FakeEngine

    data = Path(tempfile.mkdtemp(prefix="enclave-stall-"))
    runtime = Runtime.create(data / "fake", empty_policy(data))
    runtime.settings.update(max_tokens=1_000_000)
    answer = long_answer(args.sections)
    delay = 1.0 / args.rate if args.rate else 0.0
    pace = f"{args.rate:.0f} tokens/s" if args.rate else "full speed"
    worst = run(
        f"scripted engine at {pace}",
        FakeEngine([answer], piece_size=4, delay_s=delay),
        runtime,
        "Explain with examples",
    )
    if args.real:
        runtime = Runtime.create(data / "real", empty_policy(data))
        runtime.settings.update(
            model=args.real, max_tokens=args.max_tokens, threads=2, context_size=2048
        )
        worst = max(
            worst,
            run(
                "real model",
                None,
                runtime,
                "Write a short Python function that sorts a list, with an explanation.",
            ),
        )
    return 0 if worst <= 50 else 1


if __name__ == "__main__":
    sys.exit(main())
