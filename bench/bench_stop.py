"""Stop latency while a long prompt is evaluated: inside a batch vs between batches only.

    .venv/bin/python -m bench.bench_stop [--threads 2] [--runs 3] [--prompt-tokens 3000]

A ~3,000-token prompt is evaluated from an empty cache and Stop is pressed part-way through
the first 512-token batch. `abort` is the engine as it is (llama.cpp's abort callback asks the
cancel flag between the steps of a decode); `batches` is the same engine with that callback
off, so Stop is seen only between batches (the old behaviour). Latency = time from cancel() to
the generator returning. Both paths run in one process, alternating, on the same prompt.
"""

from __future__ import annotations

import argparse
import statistics
import threading
from time import perf_counter

from app.core.engine import LocalEngine
from app.core.llama_native import NativeContext
from app.core.types import CancelToken, ChatMessage, GenerationParams, LoadOptions
from bench.common import model_path, write_result

FILLER = "Lighthouses were once kept by families who lived beside the lamp, trimming wicks. "


def stop_latency(engine: LocalEngine, messages: list[ChatMessage], delay_s: float) -> float:
    engine.clear_cache()
    cancel = CancelToken()
    stream = engine.generate(messages, GenerationParams(max_tokens=4), cancel)
    asked: list[float] = []

    def stop() -> None:
        asked.append(perf_counter())
        cancel.cancel()

    timer = threading.Timer(delay_s, stop)
    timer.start()
    stream.text()
    timer.cancel()
    return perf_counter() - asked[0] if asked else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.bench_stop", description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--prompt-tokens", type=int, default=3000)
    parser.add_argument("--delay", type=float, default=0.2, help="seconds before Stop")
    args = parser.parse_args(argv)

    engine = LocalEngine()
    engine.load(model_path(), LoadOptions(context_size=4096, threads=args.threads))
    words = FILLER * (args.prompt_tokens // 16)
    messages = [ChatMessage("user", words)]
    tokens = len(engine.tokenize_prompt(engine.render_prompt(messages)))
    with_abort = NativeContext.set_abort_check
    results: dict[str, list[float]] = {"abort": [], "batches": []}
    for _ in range(args.runs):
        results["abort"].append(stop_latency(engine, messages, args.delay))
        NativeContext.set_abort_check = lambda self, check: None  # type: ignore[method-assign]
        try:
            results["batches"].append(stop_latency(engine, messages, args.delay))
        finally:
            NativeContext.set_abort_check = with_abort  # type: ignore[method-assign]
    engine.unload()

    summary = {path: statistics.median(values) for path, values in results.items()}
    print(f"prompt {tokens} tokens, Stop after {args.delay:.2f} s, {args.runs} runs")
    for path, values in results.items():
        runs = " ".join(f"{v:.3f}" for v in values)
        print(f"  {path:8s} median {summary[path]:.3f} s   runs {runs}")
    print(f"  abort / batches = {summary['abort'] / summary['batches']:.3f}")
    out = write_result(None, "stop", {"prompt_tokens": tokens, "runs": results, **summary})
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
