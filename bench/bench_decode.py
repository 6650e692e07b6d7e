"""Decode benchmark: Enclave's engine against raw llama.cpp, side by side, on the default model.

    .venv/bin/python -m bench.bench_decode [--threads 2] [--runs 3]

RAW is llama.cpp driven directly through llama-cpp-python's C bindings: llama_decode on the
prompt in n_batch chunks, then one llama_sampler_sample + llama_decode per token with a native
sampler chain (no Python sampling). ENGINE is LocalEngine.generate() on a chat message whose
rendered prompt is the same tokens. Both use the same model file, context size, batch size,
thread count and sampler chain; both start each run from an empty KV cache and generate
exactly --gen-tokens tokens (end-of-generation ignored). Runs alternate RAW/ENGINE order.

Definitions (identical for both): prompt tokens/s = prompt tokens / time in llama_decode for
the prompt; decode tokens/s = (tokens - 1) / (time of last sample - time of first sample);
end-to-end = prompt + tokens over wall time from the request to the last token.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

import llama_cpp as llama

from app.core.default_model import ensure_default_model
from app.core.engine import LocalEngine
from app.core.llama_native import PENALTY_LAST_N, init_backend
from app.core.types import ChatMessage, GenerationParams, LoadOptions

N_CTX = 2048
N_BATCH = 512
RESULTS = Path(__file__).resolve().parent / "results" / "decode.json"
FILLER = (
    "Lighthouses were once kept by families who lived beside the lamp, trimming wicks and "
    "polishing lenses through long winter nights. Ships counted on the rhythm of each light, "
    "a signature of flashes that told a navigator exactly which headland lay ahead. "
)


@dataclass
class Run:
    path: str  # "raw" or "engine"
    prompt_tps: float
    decode_tps: float
    end_to_end_tps: float
    generated: int


class RawLlama:
    """The reference: llama.cpp's C API with no Enclave code in the loop."""

    def __init__(self, model_path: Path, threads: int) -> None:
        init_backend()  # only routes llama.cpp's log lines away from the terminal
        mparams = llama.llama_model_default_params()
        mparams.n_gpu_layers = 0
        self.model = llama.llama_model_load_from_file(os.fsencode(model_path), mparams)
        if not self.model:
            raise SystemExit(f"raw: could not load {model_path}")
        self.vocab = llama.llama_model_get_vocab(self.model)
        self.n_vocab = llama.llama_vocab_n_tokens(self.vocab)
        cparams = llama.llama_context_default_params()
        cparams.n_ctx = N_CTX
        cparams.n_batch = cparams.n_ubatch = N_BATCH
        cparams.n_threads = cparams.n_threads_batch = threads
        cparams.n_seq_max = 1
        cparams.swa_full = True
        cparams.no_perf = True
        self.ctx = llama.llama_init_from_model(self.model, cparams)
        self.memory = llama.llama_get_memory(self.ctx)

    def tokenize(self, text: str) -> list[int]:
        data = text.encode("utf-8")
        out = (llama.llama_token * (len(data) + 8))()
        n = llama.llama_tokenize(self.vocab, data, len(data), out, len(out), True, True)
        return list(out[:n])

    def chain(self, params: GenerationParams) -> object:
        """The same native chain as the engine: top-k, penalties, top-p, min-p, temp, dist."""
        chain_params = llama.llama_sampler_chain_default_params()
        chain_params.no_perf = True
        chain = llama.llama_sampler_chain_init(chain_params)
        for sampler in (
            llama.llama_sampler_init_top_k(params.top_k),
            llama.llama_sampler_init_penalties(
                self.n_vocab, PENALTY_LAST_N, params.repeat_penalty, 0.0, 0.0
            ),
            llama.llama_sampler_init_top_p(params.top_p, 1),
            llama.llama_sampler_init_min_p(params.min_p, 1),
            llama.llama_sampler_init_temp(params.temperature),
            llama.llama_sampler_init_dist(params.seed or 0),
        ):
            llama.llama_sampler_chain_add(chain, sampler)
        return chain

    def run(self, text: str, params: GenerationParams) -> tuple[Run, int]:
        llama.llama_memory_clear(self.memory, True)  # cold cache
        started = perf_counter()
        tokens = self.tokenize(text)
        t_eval = perf_counter()
        for start in range(0, len(tokens), N_BATCH):
            chunk = tokens[start : start + N_BATCH]
            array = (llama.llama_token * len(chunk))(*chunk)
            if llama.llama_decode(self.ctx, llama.llama_batch_get_one(array, len(chunk))) != 0:
                raise SystemExit("raw: llama_decode failed on the prompt")
        eval_s = perf_counter() - t_eval
        chain = self.chain(params)
        one = (llama.llama_token * 1)()
        t_first = t_last = 0.0
        for i in range(params.max_tokens):
            token = llama.llama_sampler_sample(chain, self.ctx, -1)
            t_last = perf_counter()
            t_first = t_first or t_last
            if i + 1 < params.max_tokens:
                one[0] = token
                if llama.llama_decode(self.ctx, llama.llama_batch_get_one(one, 1)) != 0:
                    raise SystemExit("raw: llama_decode failed while generating")
        llama.llama_sampler_free(chain)
        n = params.max_tokens
        total = perf_counter() - started
        result = Run(
            "raw", len(tokens) / eval_s, (n - 1) / (t_last - t_first), (len(tokens) + n) / total, n
        )
        return result, len(tokens)

    def close(self) -> None:
        llama.llama_free(self.ctx)
        llama.llama_model_free(self.model)


def engine_run(engine: LocalEngine, messages: list[ChatMessage], params: GenerationParams) -> Run:
    engine.clear_cache()  # cold cache, like the raw path
    started = perf_counter()
    stream = engine.generate(messages, params)
    for _piece in stream:
        pass
    total = perf_counter() - started
    stats = stream.stats
    if stats.prompt_tokens_evaluated != stats.prompt_tokens:
        raise SystemExit("engine: the prompt was not evaluated from a cold cache")
    return Run(
        "engine",
        stats.prompt_tokens_per_s,
        stats.decode_tokens_per_s,
        (stats.prompt_tokens + stats.generated_tokens) / total,
        stats.generated_tokens,
    )


def prompt_of_length(engine: LocalEngine, raw: RawLlama, target: int) -> list[ChatMessage]:
    """A user message whose rendered chat prompt is exactly `target` tokens."""
    ids = engine.tokenize(FILLER * (target // 20 + 4))
    take = target
    for _ in range(30):
        messages = [ChatMessage("user", engine.detokenize(ids[:take]).strip())]
        got = len(raw.tokenize(engine.render_prompt(messages)))
        if got == target:
            return messages
        take += target - got if abs(target - got) > 1 else (1 if got < target else -1)
    raise SystemExit(f"could not build a {target}-token prompt")


def median_of(runs: list[Run], path: str, field: str) -> float:
    return statistics.median(getattr(r, field) for r in runs if r.path == path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.bench_decode", description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--prompt-tokens", type=int, default=512)
    parser.add_argument("--gen-tokens", type=int, default=128)
    parser.add_argument("--models-dir", type=Path, default=Path.home() / ".cache" / "enclave-bench")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    model_path = ensure_default_model(args.models_dir)
    engine = LocalEngine()
    info = engine.load(model_path, LoadOptions(context_size=N_CTX, threads=args.threads))
    raw = RawLlama(model_path, args.threads)
    messages = prompt_of_length(engine, raw, args.prompt_tokens)
    text = engine.render_prompt(messages)
    params = GenerationParams(max_tokens=args.gen_tokens, seed=42, ignore_eos=True)

    runs: list[Run] = []
    for i in range(args.runs):
        order = ("raw", "engine") if i % 2 == 0 else ("engine", "raw")
        for path in order:
            if path == "raw":
                result, n_prompt = raw.run(text, params)
                assert n_prompt == args.prompt_tokens, n_prompt
            else:
                result = engine_run(engine, messages, params)
            runs.append(result)
            print(
                f"run {i + 1} {path:6s} pp {result.prompt_tps:8.1f} tok/s   "
                f"tg {result.decode_tps:7.2f} tok/s   e2e {result.end_to_end_tps:7.1f} tok/s",
                file=sys.stderr,
            )
    raw.close()
    engine.unload()

    fields = {"pp": "prompt_tps", "tg": "decode_tps", "end_to_end": "end_to_end_tps"}
    medians = {
        name: {p: median_of(runs, p, f) for p in ("raw", "engine")} for name, f in fields.items()
    }
    ratios = {name: m["engine"] / m["raw"] for name, m in medians.items()}
    label = {"pp": f"pp{args.prompt_tokens}", "tg": f"tg{args.gen_tokens}", "end_to_end": "e2e"}
    lines = [
        f"model {info.name} ({model_path.name}), threads {args.threads}, n_ctx {N_CTX}, "
        f"n_batch {N_BATCH}, runs {args.runs} (medians, tokens/s)",
        f"{'test':8s} {'raw':>10s} {'engine':>10s} {'engine/raw':>11s}",
    ]
    for name in fields:
        m = medians[name]
        lines.append(f"{label[name]:8s} {m['raw']:10.2f} {m['engine']:10.2f} {ratios[name]:11.3f}")
    print("\n".join(lines))

    args.output.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "model": {"file": model_path.name, "sha256": info.sha256, "name": info.name},
        "threads": args.threads,
        "n_ctx": N_CTX,
        "n_batch": N_BATCH,
        "prompt_tokens": args.prompt_tokens,
        "gen_tokens": args.gen_tokens,
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform()},
        "llama_cpp_python": llama.__version__,
        "runs": [r.__dict__ for r in runs],
        "median": medians,
        "ratio_engine_over_raw": ratios,
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
