"""The map stage with parallel sequences vs one chunk after the other, side by side in one run.

    .venv/bin/python -m bench.bench_parallel_map [--threads 2] [--pages 64] [--context 2048]
                                                  [--runs 1]

A generated PDF (`--pages` pages, ~250 words each, made with fpdf2 as in bench_summarize) is
summarised with `summarise()` on the bundled model twice per run, on the same loaded engine:
`sequential` (the backend offers only `complete`, so each chunk is one completion, as before)
and `parallel` (the engine's `complete_many`: the chunks as parallel sequences of one
llama.cpp context, the width chosen by app.core.parallel_decode). The order alternates from run
to run. Reported: wall time of each whole summary (map and reduce) and of its map stage, the
ratios parallel ÷ sequential (target ≤ 0.7 for the whole summary), the width, and checks that
both summarised every chunk exactly once with identical page spans.

Prints a table and writes JSON to bench/results/parallel_map.json.
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from time import perf_counter
from typing import Any

from app.core.backend import TokenStream
from app.core.completions import Completions
from app.core.documents.extract import extract
from app.core.documents.model import ExtractedDocument
from app.core.documents.summarise import SummaryOptions, SummaryProgress, summarise
from app.core.engine import LocalEngine
from app.core.parallel_decode import run_parallel
from app.core.reply_end import reply_end
from app.core.types import CancelToken, GenerationParams, LoadOptions
from bench.bench_summarize import StatsRecorder, make_pdf
from bench.common import model_path, write_result


class Sequential(StatsRecorder):
    """The engine seen through `complete` only: every chunk is one completion."""

    def __init__(self, engine: LocalEngine) -> None:
        super().__init__(engine)
        self.prompts: list[str] = []
        self.width = 1

    def complete(
        self, prompt: str, params: GenerationParams, cancel: CancelToken | None = None
    ) -> TokenStream:
        self.prompts.append(prompt)
        return super().complete(prompt, params, cancel)

    def split_s(self) -> tuple[float, float]:
        """(prompt evaluation, decoding) seconds of the completions, by their own speeds."""
        prompt = sum(
            s.prompt_tokens_evaluated / s.prompt_tokens_per_s
            for s in self.stats
            if s.prompt_tokens_per_s
        )
        decode = sum(
            (s.generated_tokens - 1) / s.decode_tokens_per_s
            for s in self.stats
            if s.decode_tokens_per_s
        )
        return prompt, decode  # fmt: skip


class Parallel(Sequential):
    """The engine with `complete_many` too (what the app's summaries use)."""

    force_width = 0  # --width: parallel sequences even where the rule would run one by one

    def complete_many(
        self, prompts: Sequence[str], params: GenerationParams, cancel: CancelToken | None = None
    ) -> Completions:
        results = self.engine.complete_many(prompts, params, cancel)
        if self.force_width > 1:
            results.close()
            results = self._forced(prompts, params, cancel or CancelToken())
        self.width = results.width

        def counted() -> Any:  # a prompt counts once it is completed
            for index, text, stats in results:
                self.prompts.append(prompts[index])
                yield index, text, stats

        return Completions(results.width, counted())

    def _forced(
        self, prompts: Sequence[str], params: GenerationParams, cancel: CancelToken
    ) -> Completions:
        engine = self.engine
        model = engine._model  # the bench measures the engine's own parts
        assert model is not None and engine.info is not None
        width = min(self.force_width, len(prompts))
        end = reply_end(params, engine.turn_signs, params.stop, model.special_token)
        tokens = [engine.tokenize_prompt(p) for p in prompts]
        run = run_parallel(
            model, tokens, params, end, cancel,
            width=width, n_ctx=engine.n_ctx, threads=engine.info.threads, n_batch=512,
        )  # fmt: skip
        return Completions(width, run)


def _one(
    engine: LocalEngine, document: ExtractedDocument, parallel: bool, width: int
) -> dict[str, Any]:
    backend = Parallel(engine) if parallel else Sequential(engine)
    if isinstance(backend, Parallel):
        backend.force_width = width
    events: list[tuple[float, SummaryProgress]] = []
    engine.clear_cache()
    started = perf_counter()
    summary = summarise(
        backend, document, SummaryOptions(), progress=lambda e: events.append((perf_counter(), e))
    )
    wall = perf_counter() - started
    maps = [t for t, e in events if e.stage == "map"]
    mapped = Counter(p for p in backend.prompts if re.search(r"^Part \d+ of \d+", p, re.M))
    return {
        "wall_s": wall,
        "map_s": maps[-1] - maps[0],
        "width": backend.width,
        "chunks": summary.chunks_total,
        "chunks_done": summary.chunks_done,
        "map_calls": sum(mapped.values()),
        "each_chunk_once": len(mapped) == summary.chunks_total and set(mapped.values()) == {1},
        "spans": [(s.page_start, s.page_end) for s in summary.sections],
        "prompt_tokens": summary.prompt_tokens,
        "generated_tokens": summary.generated_tokens,
        "mode": summary.mode,
        "prompt_s": backend.split_s()[0],  # sequential only: one completion at a time
        "decode_s": backend.split_s()[1],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench.bench_parallel_map", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--context", type=int, default=2048)
    parser.add_argument("--pages", type=int, default=64)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--width", type=int, default=0, help="force this many sequences")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        document = extract(make_pdf(Path(folder) / "bench.pdf", args.pages))
    engine = LocalEngine()
    engine.load(model_path(), LoadOptions(context_size=args.context, threads=args.threads))
    runs = []
    for number in range(args.runs):
        order = (False, True) if number % 2 == 0 else (True, False)
        result = {
            ("parallel" if p else "sequential"): _one(engine, document, p, args.width)
            for p in order
        }
        seq, par = result["sequential"], result["parallel"]
        result["ratio"] = par["wall_s"] / seq["wall_s"]
        result["map_ratio"] = par["map_s"] / seq["map_s"]
        result["same_spans"] = seq["spans"] == par["spans"]
        runs.append(result)
        print(
            f"run {number + 1}: sequential {seq['wall_s']:.1f} s, parallel {par['wall_s']:.1f} s"
            f" (width {par['width']}), ratio {result['ratio']:.3f}",
            file=sys.stderr,
        )
    engine.unload()

    last = runs[-1]
    seq, par = last["sequential"], last["parallel"]
    ratio = statistics.median(r["ratio"] for r in runs)
    map_ratio = statistics.median(r["map_ratio"] for r in runs)
    checks = all(
        r["same_spans"] and r[k]["each_chunk_once"] and r[k]["chunks_done"] == r[k]["chunks"]
        for r in runs
        for k in ("sequential", "parallel")
    )
    data = {
        "machine": platform.platform(),
        "threads": args.threads,
        "context": args.context,
        "pages": len(document.pages),
        "chunks": par["chunks"],
        "width": par["width"],
        "runs": [{k: v for k, v in r.items()} for r in runs],
        "ratio": round(ratio, 3),
        "map_ratio": round(map_ratio, 3),
        "checks_ok": checks,
        "target": 0.7,
    }
    rows = [
        ("document", f"{len(document.pages)} pages, {par['chunks']} chunks ({par['mode']})"),
        ("width (parallel sequences)", str(par["width"])),
        ("sequential wall (whole summary / map)", f"{seq['wall_s']:.1f} s / {seq['map_s']:.1f} s"),
        ("parallel wall (whole summary / map)", f"{par['wall_s']:.1f} s / {par['map_s']:.1f} s"),
        ("sequential summary: prompt evaluation / decoding (own speeds)",
         f"{seq['prompt_s']:.1f} s / {seq['decode_s']:.1f} s"),
        ("generated tokens (sequential / parallel)",
         f"{seq['generated_tokens']} / {par['generated_tokens']}"),
        (f"parallel ÷ sequential, whole summary (target ≤ 0.7; median of {len(runs)})",
         f"{ratio:.3f}"),
        ("parallel ÷ sequential, map stage", f"{map_ratio:.3f}"),
        ("every chunk once, same page spans", "yes" if checks else "NO"),
    ]  # fmt: skip
    print("| figure | value |\n|---|---|")
    print("\n".join(f"| {name} | {value} |" for name, value in rows))
    path = write_result(args.output, "parallel_map", data)
    print(f"written to {path}", file=sys.stderr)
    return 0 if checks else 1


if __name__ == "__main__":
    raise SystemExit(main())
