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

        self.gaps: list[float] = []
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
        self.gaps.append((now - self._last) * 1000)
        self._last = now

    def report(self, label: str, chars: int, seconds: float) -> float:
        longest = max(self.gaps) - BEAT_MS if self.gaps else 0.0
        p99 = statistics.quantiles(self.gaps, n=100)[98] - BEAT_MS if len(self.gaps) > 100 else 0
        print(f"{label}: {chars} characters in {seconds:.2f} s; longest stall "
              f"{longest:.1f} ms, 99th percentile {p99:.1f} ms, {len(self.gaps)} beats")
        return longest


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
    finished: list[object] = []
    window.controller.replyFinished.connect(lambda *a: finished.append(a))
    beat = Heartbeat()
    beat.start()
    start = time.perf_counter()
    window.send(prompt)
    _wait(app, lambda: bool(finished), 600)
    seconds = time.perf_counter() - start
    _wait(app, lambda: False, 0.3)  # the final render and layout count too
    beat.stop()
    text = window.chat_view.message_widgets[-1].text()
    longest = beat.report(label, len(text), seconds)
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
    args = parser.parse_args()
    from app.runtime import Runtime
    from tests.helpers.fake_engine import FakeEngine

    data = Path(tempfile.mkdtemp(prefix="enclave-stall-"))
    runtime = Runtime.create(data / "fake", data / "no-policy.toml")
    runtime.settings.update(max_tokens=1_000_000)
    answer = long_answer(args.sections)
    worst = run("scripted engine", FakeEngine([answer], piece_size=4), runtime,
                "Explain with examples")
    if args.real:
        runtime = Runtime.create(data / "real", data / "no-policy.toml")
        runtime.settings.update(model=args.real, max_tokens=args.max_tokens, threads=2,
                                context_size=2048)
        worst = max(worst, run("real model", None, runtime,
                               "Write a short Python function that sorts a list, with an "
                               "explanation."))
    return 0 if worst <= 50 else 1


if __name__ == "__main__":
    sys.exit(main())
