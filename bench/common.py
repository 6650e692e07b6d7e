"""What the benchmarks share: the cache folder, the default model, timing, and JSON results."""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CACHE = Path(os.environ.get("ENCLAVE_BENCH_CACHE", Path.home() / ".cache" / "enclave-bench"))
RESULTS = Path(__file__).resolve().parent / "results"


def model_path() -> Path:
    """The bundled model, assembled once into the cache (shared with bench_decode)."""
    from app.core.default_model import ensure_default_model

    return ensure_default_model(CACHE)


def empty_policy(folder: Path) -> Path:
    """An empty admin policy file in `folder`: no machine policy applies to the benchmark (a
    policy file named explicitly must exist)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "no-policy.toml"
    path.write_text("", encoding="utf-8")
    return path


def timed(fn: Callable[[], Any], runs: int, warmup: int = 1) -> dict[str, float]:
    """Milliseconds per call: median, best and worst over `runs` (after `warmup` calls)."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return {
        "median_ms": statistics.median(samples),
        "min_ms": min(samples),
        "max_ms": max(samples),
        "runs": runs,
    }


def write_result(path: Path | None, name: str, data: dict[str, Any]) -> Path:
    target = path or RESULTS / f"{name}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return target
