"""GPU offload: the same model on the CPU and fully offloaded, side by side in one run.

    python -m bench.bench_gpu --model PATH [--threads N] [--runs 3]

Loads the model twice through `LocalEngine` — `gpu_layers=0` (CPU) and `gpu_layers=-1` (auto:
every layer when llama.cpp has a GPU backend) — and reports, for each, the layers offloaded,
prompt processing of a ~512-token prompt and generation of 128 tokens (tokens/s), the
GPU ÷ CPU ratios, and whether greedy output agrees on the first tokens. Needs llama-cpp-python
built with a GPU backend; on a CPU-only build it says so and exits 1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import llama_cpp

from app.core.engine import LocalEngine
from app.core.types import ChatMessage, GenerationParams, LoadOptions

PROMPT = (
    "Lighthouses were once kept by families who lived beside the lamp, trimming wicks and "
    "polishing lenses through long winter nights. "
) * 24


def measure(model: Path, gpu_layers: int, threads: int, runs: int) -> dict[str, object]:
    engine = LocalEngine()
    info = engine.load(
        model, LoadOptions(context_size=2048, threads=threads, gpu_layers=gpu_layers)
    )
    pp, tg = [], []
    for _ in range(runs):
        engine.unload()
        engine.load(model, LoadOptions(context_size=2048, threads=threads, gpu_layers=gpu_layers))
        stream = engine.generate(
            [ChatMessage("user", PROMPT)],
            GenerationParams(max_tokens=128, temperature=0.0, ignore_eos=True),
        )
        for _piece in stream:
            pass
        pp.append(stream.stats.prompt_tokens_per_s)
        tg.append(stream.stats.decode_tokens_per_s)
    greedy = engine.generate(
        [ChatMessage("user", "Name three colours.")],
        GenerationParams(max_tokens=16, temperature=0.0),
    )
    text = "".join(greedy)
    engine.unload()
    return {
        "gpu_layers": info.gpu_layers,
        "prompt_tokens": stream.stats.prompt_tokens,
        "pp_tps": statistics.median(pp),
        "tg_tps": statistics.median(tg),
        "greedy": text,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    if not llama_cpp.llama_supports_gpu_offload():
        print("this llama-cpp-python has no GPU backend: nothing to compare", file=sys.stderr)
        return 1
    cpu = measure(args.model, 0, args.threads, args.runs)
    gpu = measure(args.model, -1, args.threads, args.runs)
    result = {
        "cpu": cpu,
        "gpu": gpu,
        "pp_ratio": gpu["pp_tps"] / cpu["pp_tps"],
        "tg_ratio": gpu["tg_tps"] / cpu["tg_tps"],
        "greedy_agrees": cpu["greedy"] == gpu["greedy"],
    }
    print(f"{'':8}{'layers':>8}{'pp tok/s':>12}{'tg tok/s':>12}")
    for name, r in (("cpu", cpu), ("gpu", gpu)):
        print(f"{name:8}{r['gpu_layers']:>8}{r['pp_tps']:>12.1f}{r['tg_tps']:>12.1f}")
    print(
        f"gpu/cpu: pp {result['pp_ratio']:.2f}×, tg {result['tg_ratio']:.2f}×; "
        f"greedy output {'agrees' if result['greedy_agrees'] else 'differs'}"
    )
    print(f"cpu greedy: {cpu['greedy']!r}\ngpu greedy: {gpu['greedy']!r}")
    if args.output:
        args.output.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
