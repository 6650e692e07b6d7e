"""Progress of long file work (download, copy, hashing): bytes, speed and time left."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

REPORT_INTERVAL_S = 0.1
SPEED_WINDOW_S = 3.0


@dataclass(frozen=True)
class Progress:
    phase: str  # "checking", "downloading", "copying", "hashing"
    done: int
    total: int | None
    speed_bps: float
    eta_s: float | None

    @property
    def fraction(self) -> float | None:
        return min(1.0, self.done / self.total) if self.total else None


ProgressFn = Callable[[Progress], None]


class ProgressMeter:
    """Speed over the last few seconds; reports at most ten times a second (plus forced ones)."""

    def __init__(self, report: ProgressFn | None, total: int | None, phase: str) -> None:
        self.report, self.total, self.phase = report, total, phase
        self.samples: deque[tuple[float, int]] = deque()
        self.last = 0.0

    def __call__(self, done: int, force: bool = False) -> None:
        now = time.monotonic()
        self.samples.append((now, done))
        while len(self.samples) > 2 and now - self.samples[0][0] > SPEED_WINDOW_S:
            self.samples.popleft()
        if self.report is None or (not force and now - self.last < REPORT_INTERVAL_S):
            return
        self.last = now
        (t0, d0), (t1, d1) = self.samples[0], self.samples[-1]
        speed = (d1 - d0) / (t1 - t0) if t1 > t0 else 0.0
        eta = (self.total - done) / speed if self.total and speed > 0 else None
        self.report(Progress(self.phase, done, self.total, speed, eta))
