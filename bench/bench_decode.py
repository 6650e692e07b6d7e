"""Decode benchmark: Enclave's engine against raw llama.cpp, side by side, on the default model.

    .venv/bin/python -m bench.bench_decode [--threads 2] [--runs 3]

RAW is llama.cpp driven directly through llama-cpp-python's C bindings: llama_decode on the
prompt in n_batch chunks, then one llama_sampler_sample + llama_decode per token with a native
sampler chain (no Python sampling). ENGINE is LocalEngine.generate() on a chat message whose
rendered prompt is the same tokens. Both use the same model file, context size, batch size,
thread count and sampler chain; both start each run from an empty KV cache and generate
exactly --gen-tokens tokens (end-of-generation ignored).

The two paths run interleaved in one process: both prompts are evaluated back to back, then
the two generations advance in lockstep, one token of each in turn, and every call is timed
on its own. Whatever else the machine is doing hits both paths alike. Each run swaps which
path goes first.

Definitions (identical for both): pp = prompt tokens / time spent evaluating the prompt;
tg = tokens after the first / time of the calls that made them (one decode + one sample each);
e2e = prompt + generated tokens / the path's own time from the request to the last token.
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


class Runner:
    """One path's request, advanced a step at a time so the two paths can be interleaved."""

    path = ""

    def __init__(self) -> None:
        self.busy_s = 0.0  # this path's own time, all calls included
        self.decode_s = 0.0  # time of the steps after the first token
        self.decode_tokens = 0
        self.done = False

    def begin(self) -> None:
        started = perf_counter()
        self._begin()
        self.busy_s += perf_counter() - started

    def step(self) -> None:
        started = perf_counter()
        made = self._step()
        elapsed = perf_counter() - started
        self.busy_s += elapsed
        if made:
            self.decode_s += elapsed
            self.decode_tokens += made

    def _begin(self) -> None:
        raise NotImplementedError

    def _step(self) -> int:
        raise NotImplementedError

    def result(self, prompt_tps: float, prompt_tokens: int, generated: int) -> Run:
        return Run(
            self.path,
            prompt_tps,
            self.decode_tokens / self.decode_s,
            (prompt_tokens + generated) / self.busy_s,
            generated,
        )


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

    def close(self) -> None:
        llama.llama_free(self.ctx)
        llama.llama_model_free(self.model)


class RawRunner(Runner):
    path = "raw"

    def __init__(self, raw: RawLlama, text: str, params: GenerationParams) -> None:
        super().__init__()
        self.raw, self.text, self.params = raw, text, params
        self.prompt_tokens = 0
        self.eval_s = 0.0
        self.generated = 0
        self._one = (llama.llama_token * 1)()

    def _begin(self) -> None:
        raw = self.raw
        llama.llama_memory_clear(raw.memory, True)  # cold cache
        tokens = raw.tokenize(self.text)
        self.prompt_tokens = len(tokens)
        t_eval = perf_counter()
        for start in range(0, len(tokens), N_BATCH):
            chunk = tokens[start : start + N_BATCH]
            array = (llama.llama_token * len(chunk))(*chunk)
            if llama.llama_decode(raw.ctx, llama.llama_batch_get_one(array, len(chunk))) != 0:
                raise SystemExit("raw: llama_decode failed on the prompt")
        self.eval_s = perf_counter() - t_eval
        self.chain = raw.chain(self.params)
        self._one[0] = llama.llama_sampler_sample(self.chain, raw.ctx, -1)
        self.generated = 1

    def _step(self) -> int:
        if self.generated >= self.params.max_tokens:
            self.done = True
            llama.llama_sampler_free(self.chain)
            return 0
        if llama.llama_decode(self.raw.ctx, llama.llama_batch_get_one(self._one, 1)) != 0:
            raise SystemExit("raw: llama_decode failed while generating")
        self._one[0] = llama.llama_sampler_sample(self.chain, self.raw.ctx, -1)
        self.generated += 1
        return 1

    def finish(self) -> Run:
        return self.result(self.prompt_tokens / self.eval_s, self.prompt_tokens, self.generated)


class EngineRunner(Runner):
    path = "engine"

    def __init__(
        self, engine: LocalEngine, messages: list[ChatMessage], params: GenerationParams
    ) -> None:
        super().__init__()
        self.engine, self.messages, self.params = engine, messages, params

    def _begin(self) -> None:
        self.engine.clear_cache()  # cold cache, like the raw path
        self.stream = self.engine.generate(self.messages, self.params)
        self.pieces = iter(self.stream)
        next(self.pieces)  # prompt evaluation and the first token

    def _step(self) -> int:
        before = self.stream.stats.generated_tokens
        try:
            next(self.pieces)
        except StopIteration:
            self.done = True
        return self.stream.stats.generated_tokens - before

    def finish(self) -> Run:
        stats = self.stream.stats
        if stats.prompt_tokens_evaluated != stats.prompt_tokens:
            raise SystemExit("engine: the prompt was not evaluated from a cold cache")
        return self.result(stats.prompt_tokens_per_s, stats.prompt_tokens, stats.generated_tokens)


def run_pair(first: Runner, second: Runner) -> None:
    """Both prompts back to back, then both generations one token each in turn."""
    first.begin()
    second.begin()
    while not (first.done and second.done):
        for runner in (first, second):
            if not runner.done:
                runner.step()


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
        raw_runner = RawRunner(raw, text, params)
        engine_runner = EngineRunner(engine, messages, params)
        pair = (raw_runner, engine_runner) if i % 2 == 0 else (engine_runner, raw_runner)
        run_pair(*pair)
        for result in (raw_runner.finish(), engine_runner.finish()):
            if result.generated != args.gen_tokens:
                raise SystemExit(f"{result.path} generated {result.generated} tokens")
            runs.append(result)
            print(
                f"run {i + 1} {result.path:6s} pp {result.prompt_tps:8.1f} tok/s   "
                f"tg {result.decode_tps:7.2f} tok/s   e2e {result.end_to_end_tps:7.1f} tok/s",
                file=sys.stderr,
            )
        if raw_runner.prompt_tokens != args.prompt_tokens:
            raise SystemExit(f"the prompt has {raw_runner.prompt_tokens} tokens")
    raw.close()
    engine.unload()

    fields = {"pp": "prompt_tps", "tg": "decode_tps", "end_to_end": "end_to_end_tps"}
    medians = {
        name: {p: median_of(runs, p, f) for p in ("raw", "engine")} for name, f in fields.items()
    }
    # Each run pairs the two paths under the same conditions, so the headline ratio is the
    # median of the per-run ratios (not a ratio of medians taken from different runs).
    pairs = list(zip(runs[0::2], runs[1::2], strict=True))  # (raw, engine) of each run
    per_run = {
        name: [getattr(e, f) / getattr(r, f) for r, e in pairs] for name, f in fields.items()
    }
    ratios = {name: statistics.median(values) for name, values in per_run.items()}
    label = {"pp": f"pp{args.prompt_tokens}", "tg": f"tg{args.gen_tokens}", "end_to_end": "e2e"}
    lines = [
        f"model {info.name} ({model_path.name}), threads {args.threads}, n_ctx {N_CTX}, "
        f"n_batch {N_BATCH}, runs {args.runs} (tokens/s: medians; engine/raw: median of runs)",
        f"{'test':8s} {'raw':>10s} {'engine':>10s} {'engine/raw':>11s}   per-run ratios",
    ]
    for name in fields:
        m = medians[name]
        spread = " ".join(f"{r:.3f}" for r in per_run[name])
        lines.append(
            f"{label[name]:8s} {m['raw']:10.2f} {m['engine']:10.2f} {ratios[name]:11.3f}   {spread}"
        )
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
        "ratio_per_run": per_run,
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
