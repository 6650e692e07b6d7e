"""Loading a model in the engine process: the cost of the progress figure, and Stop's speed.

    .venv/bin/python -m bench.bench_load [--threads 2] [--runs 5]

Two pairs, each run alternating its two paths in one engine process on the bundled model:

- `plain` vs `progress`: a whole load without and with `on_progress` and a cancel token
  (llama.cpp's report per tensor, throttled in the child, sent over the pipe). Target: ratio
  progress/plain ≤ 1.05.
- `finish` vs `stop`: from llama.cpp's first report, the time until the load has finished (what
  Stop used to cost: the load ran to its end), against the time until Stop, given at that
  report, has ended it (Cancelled, nothing loaded, the engine process kept).
"""

from __future__ import annotations

import argparse
import statistics
from time import perf_counter

from app.core.backends.local_process import ProcessEngine
from app.core.errors import Cancelled
from app.core.types import CancelToken, LoadOptions
from bench.common import model_path, write_result


def timed_load(engine: ProcessEngine, options: LoadOptions, *, report: bool) -> float:
    engine.unload()
    engine._running("bench")  # the engine process is started apart: only the load is timed
    started = perf_counter()
    if report:
        engine.load(model_path(), options, on_progress=lambda _f: None, cancel=CancelToken())
    else:
        engine.load(model_path(), options)
    return perf_counter() - started


def from_first_report(engine: ProcessEngine, options: LoadOptions, *, stop: bool) -> float:
    engine.unload()
    engine._running("bench")
    cancel = CancelToken()
    first: list[float] = []

    def on_progress(_fraction: float) -> None:
        if not first:
            first.append(perf_counter())
            if stop:
                cancel.cancel()

    try:
        engine.load(model_path(), options, on_progress=on_progress, cancel=cancel)
    except Cancelled:
        assert engine.info is None and engine.pid is not None  # ended cleanly, process kept
    return perf_counter() - first[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.bench_load", description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    options = LoadOptions(context_size=2048, threads=args.threads)
    engine = ProcessEngine()
    results: dict[str, list[float]] = {"plain": [], "progress": [], "finish": [], "stop": []}
    try:
        timed_load(engine, options, report=False)  # warm: page cache, sha256 cache
        for run in range(args.runs):
            for report in (run % 2 == 0, run % 2 != 0):  # which goes first rotates
                results["progress" if report else "plain"].append(
                    timed_load(engine, options, report=report)
                )
            for stop in (run % 2 == 0, run % 2 != 0):
                results["stop" if stop else "finish"].append(
                    from_first_report(engine, options, stop=stop)
                )
    finally:
        engine.unload()

    median = {path: statistics.median(values) for path, values in results.items()}
    print(f"bundled model, context 2048, {args.threads} threads, {args.runs} runs")
    for path, values in results.items():
        runs = " ".join(f"{v:.3f}" for v in values)
        print(f"  {path:9s} median {median[path]:.3f} s   runs {runs}")
    print(f"  progress / plain = {median['progress'] / median['plain']:.3f}")
    print(f"  stop / finish    = {median['stop'] / median['finish']:.3f}")
    out = write_result(None, "load", {"runs": results, **median})
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
