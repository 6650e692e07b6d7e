"""Decode speed of the engine in its own process, against raw llama.cpp and the in-process engine.

    .venv/bin/python -m bench.bench_process [--threads 2] [--runs 3]

The same setup as bench_decode (model, context, batch, threads, sampler chain, prompt of
exactly --prompt-tokens tokens, --gen-tokens generated with end-of-generation ignored, a cold
cache each run). The engine process decodes on its own while the caller reads, so the paths
cannot advance in lockstep as in bench_decode: each run does one whole request per path, one
after the other, and the order rotates from run to run.

pp and tg come from each path's own timing of llama.cpp's calls (raw: timed here; engines:
GenerationStats, measured in the process that decodes); e2e is measured by the caller, from
the request to the last piece received, so it includes the pipe between the processes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from time import perf_counter

from app.core.backends.local_process import ProcessEngine
from app.core.default_model import ensure_default_model
from app.core.engine import LocalEngine
from app.core.types import ChatMessage, GenerationParams, LoadOptions
from bench.bench_decode import N_CTX, RawLlama, RawRunner, prompt_of_length
from bench.common import write_result

PATHS = ("raw", "engine", "process")


def run_raw(raw: RawLlama, text: str, params: GenerationParams) -> dict[str, float]:
    runner = RawRunner(raw, text, params)
    started = perf_counter()
    runner.begin()
    while not runner.done:
        runner.step()
    result = runner.finish()
    e2e = (runner.prompt_tokens + result.generated) / (perf_counter() - started)
    return {"pp": result.prompt_tps, "tg": result.decode_tps, "e2e": e2e}


def run_engine(
    engine: LocalEngine | ProcessEngine, messages: list[ChatMessage], params: GenerationParams
) -> dict[str, float]:
    engine.clear_cache()  # cold cache, like the raw path
    started = perf_counter()
    stream = engine.generate(messages, params)
    for _piece in stream:
        pass
    elapsed = perf_counter() - started
    stats = stream.stats
    if (
        stats.generated_tokens != params.max_tokens
        or stats.prompt_tokens_evaluated != stats.prompt_tokens
    ):
        raise SystemExit(f"{type(engine).__name__}: not a cold, full run ({stats})")
    e2e = (stats.prompt_tokens + stats.generated_tokens) / elapsed
    return {"pp": stats.prompt_tokens_per_s, "tg": stats.decode_tokens_per_s, "e2e": e2e}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.bench_process", description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--prompt-tokens", type=int, default=512)
    parser.add_argument("--gen-tokens", type=int, default=128)
    parser.add_argument("--models-dir", type=Path, default=Path.home() / ".cache" / "enclave-bench")
    args = parser.parse_args(argv)

    model_path = ensure_default_model(args.models_dir)
    options = LoadOptions(context_size=N_CTX, threads=args.threads)
    engine = LocalEngine()
    engine.load(model_path, options)
    process = ProcessEngine()
    process.load(model_path, options)
    raw = RawLlama(model_path, args.threads)
    messages = prompt_of_length(engine, raw, args.prompt_tokens)
    text = engine.render_prompt(messages)
    params = GenerationParams(max_tokens=args.gen_tokens, seed=42, ignore_eos=True)

    runs: list[dict[str, dict[str, float]]] = []
    for i in range(args.runs):
        order = PATHS[i % 3 :] + PATHS[: i % 3]
        result: dict[str, dict[str, float]] = {}
        for path in order:
            if path == "raw":
                result[path] = run_raw(raw, text, params)
            else:
                result[path] = run_engine(engine if path == "engine" else process, messages, params)
        runs.append(result)
        line = "   ".join(
            f"{p} pp {result[p]['pp']:7.1f} tg {result[p]['tg']:6.2f} e2e {result[p]['e2e']:6.1f}"
            for p in PATHS
        )
        print(f"run {i + 1}: {line}", file=sys.stderr)
    raw.close()
    engine.unload()
    process.unload()

    # Median of per-run ratios, and the ratio of each path's best run: on a busy machine the
    # fastest run of a path is the one least disturbed by the rest of the machine.
    ratios = {
        f"{path}/raw": {
            fig: statistics.median(r[path][fig] / r["raw"][fig] for r in runs)
            for fig in ("pp", "tg", "e2e")
        }
        for path in ("engine", "process")
    }
    best = {
        f"{path}/raw": {
            fig: max(r[path][fig] for r in runs) / max(r["raw"][fig] for r in runs)
            for fig in ("pp", "tg", "e2e")
        }
        for path in ("engine", "process")
    }
    print(
        f"threads {args.threads}, n_ctx {N_CTX}, pp{args.prompt_tokens} tg{args.gen_tokens}, "
        f"runs {args.runs}"
    )
    heads = f"{'pp':>7s} {'tg':>7s} {'e2e':>7s}"
    print(f"{'ratio':14s} {heads}   best runs: {heads}")
    for name, values in ratios.items():
        b = best[name]
        print(
            f"{name:14s} {values['pp']:7.3f} {values['tg']:7.3f} {values['e2e']:7.3f}"
            f"              {b['pp']:7.3f} {b['tg']:7.3f} {b['e2e']:7.3f}"
        )
    report = {"runs": runs, "ratios": ratios, "best_ratios": best, "threads": args.threads}
    out = write_result(None, "process", report)
    print(f"written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
