"""A reply through Enclave's local API (`enclave serve`, read with the official `openai` client)
against the same reply from the in-process engine, side by side in one run.

    .venv/bin/python -m bench.bench_serve [--runs 5] [--tokens 64] [--threads 1]

`enclave serve` runs as a user starts it (its own process, a data dir holding the bundled
model, a policy imposing the same context and threads as the engine here). Each run sends the
same conversation (greedy, same seed, same sampler settings) to the API, streamed, and to a
`LocalEngine` in this process at the same time, so that whatever else the machine does slows
both alike (one after the other on a shared machine, two replies differ by far more than the
API's own cost), after one warm-up of each (both keep their model loaded and reuse the common
prompt prefix).
The API path includes everything a client pays for: HTTP, the token check, the policy gate,
the conversation service storing the question and the streamed reply, and the model thread.

- **tokens/s**: pieces after the first ÷ time from the first piece to the last, as received;
  the ratio API ÷ engine is the median of the per-run ratios. Target ≥ 0.95.
- **first piece**: time from the call to the first piece, each path (median).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.bench_remote import timed_pieces
from bench.common import model_path, write_result

TARGET = 0.95
PROMPT = "Write a long story about a lighthouse keeper and the sea, in many short sentences."


def start_serve(folder: Path, threads: int) -> tuple[subprocess.Popen[str], str, str]:
    data = folder / "data"
    (data / "models").mkdir(parents=True)
    model = model_path()
    target = data / "models" / model.name
    try:
        os.link(model, target)
    except OSError:  # another file system: a copy
        import shutil

        shutil.copyfile(model, target)
    policy = folder / "policy.toml"
    policy.write_text(f"[settings]\ncontext_size = 2048\nthreads = {threads}\n", "utf-8")
    argv = [sys.executable, "-m", "app", "--data-dir", str(data), "--policy", str(policy),
            "serve", "--port", "0"]  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    url = process.stdout.readline().partition(": ")[2].strip()
    token_file = process.stdout.readline().partition(": ")[2].split(" (")[0]
    if not url:
        raise SystemExit("bench_serve: enclave serve did not start")
    return process, url, Path(token_file).read_text(encoding="utf-8").strip()


def together(jobs: dict[str, Callable[[], dict[str, Any]]]) -> dict[str, Any]:
    """Start every job at the same instant, each in its own thread; their results by name."""
    start = threading.Barrier(len(jobs))

    def run(job: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        start.wait()
        return job()

    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = {name: pool.submit(run, job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.bench_serve", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=64, help="max_tokens of each reply")
    parser.add_argument("--threads", type=int, default=1, help="threads of each path")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)

    import openai

    from app.core.engine import LocalEngine
    from app.core.types import ChatMessage, GenerationParams, LoadOptions

    params = GenerationParams(max_tokens=args.tokens, temperature=0.0, seed=1)
    engine = LocalEngine()
    engine.load(model_path(), LoadOptions(context_size=2048, threads=args.threads))

    def through_engine() -> dict[str, Any]:
        started, cpu = time.perf_counter(), time.thread_time()
        stream = engine.generate([ChatMessage("user", PROMPT)], params)
        return timed_pieces(stream, started, cpu)

    with tempfile.TemporaryDirectory(prefix="enclave-bench-serve-") as name:
        process, url, token = start_serve(Path(name), args.threads)
        client = openai.OpenAI(base_url=url, api_key=token, max_retries=0, timeout=600)

        def through_api() -> dict[str, Any]:
            started, cpu = time.perf_counter(), time.thread_time()
            stream = client.chat.completions.create(
                model="enclave", messages=[{"role": "user", "content": PROMPT}], stream=True,
                max_tokens=params.max_tokens, temperature=params.temperature,
                top_p=params.top_p, seed=params.seed,
                extra_body={"top_k": params.top_k, "min_p": params.min_p,
                            "repeat_penalty": params.repeat_penalty},
            )  # fmt: skip
            pieces = (c.choices[0].delta.content for c in stream
                      if c.choices and c.choices[0].delta.content)  # fmt: skip
            return timed_pieces(pieces, started, cpu)

        try:
            through_api(), through_engine()  # warm-up: model load in the server, caches
            runs = []
            for i in range(args.runs):
                run = together({"api": through_api, "engine": through_engine})
                run["same_text"] = run["api"].pop("text") == run["engine"].pop("text")
                run["ratio"] = run["api"]["tokens_per_s"] / run["engine"]["tokens_per_s"]
                runs.append(run)
                print(f"run {i + 1}: api {run['api']['tokens_per_s']:.1f} vs engine "
                      f"{run['engine']['tokens_per_s']:.1f} tokens/s (ratio {run['ratio']:.3f})",
                      file=sys.stderr)  # fmt: skip
        finally:
            process.terminate()
            process.wait(timeout=30)
            engine.unload()

    result = {
        "runs": runs,
        "tokens": args.tokens,
        "threads": args.threads,
        "pieces": runs[0]["api"]["pieces"],
        "api_tokens_per_s": statistics.median(r["api"]["tokens_per_s"] for r in runs),
        "engine_tokens_per_s": statistics.median(r["engine"]["tokens_per_s"] for r in runs),
        "api_ttft_ms": statistics.median(r["api"]["ttft_ms"] for r in runs),
        "engine_ttft_ms": statistics.median(r["engine"]["ttft_ms"] for r in runs),
        "ratio": statistics.median(r["ratio"] for r in runs),
        "same_text": all(r["same_text"] for r in runs),
        "target": TARGET,
    }
    write_result(args.output, "serve", result)
    print(
        f"api {result['api_tokens_per_s']:.1f} vs engine {result['engine_tokens_per_s']:.1f} "
        f"tokens/s: ratio {result['ratio']:.3f} (target ≥ {TARGET}); first piece "
        f"{result['api_ttft_ms']:.0f} vs {result['engine_ttft_ms']:.0f} ms; same reply: "
        f"{result['same_text']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
