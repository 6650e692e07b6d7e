"""Document benchmark: extraction speed, and summarisation time against the model's own speed.

    .venv/bin/python -m bench.bench_summarize [--threads 2] [--pages 12] [--context 2048]

1. Extraction: a 100-page PDF (about 250 words a page, made with fpdf2) is read with
   `extract()` three times; the best run gives pages/s.
2. Summarisation overhead: the first `--pages` pages are summarised with `summarise()` on the
   bundled model (map-reduce when they do not fit the context). In the same run, on the same
   engine, one map-sized prompt measures prompt speed (tokens/s) and generation speed
   (tokens/s, at that context depth), before and after the summary (averaged, so drifting load
   counts on both sides). The ideal time is prompt tokens evaluated ÷ prompt speed + generated
   tokens ÷ generation speed; the ratio wall time ÷ ideal is the overhead of everything that is
   not the model (chunking, token counting, prompt building, cleaning). Target: ≤ 1.15.

Prints a table and writes JSON to bench/results/summarize.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
from pathlib import Path
from time import perf_counter

from app.core.backend import TokenStream
from app.core.default_model import ensure_default_model
from app.core.documents.chunk import chunk_pages
from app.core.documents.extract import extract
from app.core.documents.model import ExtractedDocument
from app.core.documents.prompts import prompts_for
from app.core.documents.summarise import SummaryOptions, summarise
from app.core.engine import LocalEngine
from app.core.types import CancelToken, GenerationParams, GenerationStats, LoadOptions, ModelInfo

RESULTS = Path(__file__).resolve().parent / "results" / "summarize.json"
TOPICS = ("budget", "roads", "schools", "water", "housing", "parks", "transport", "health")
SENTENCES = (
    "The council reviewed the {t} plan and compared this year's figures with last year's.",
    "Residents asked how the {t} work would be scheduled and who would pay for it.",
    "The committee agreed to publish a detailed {t} report before the next session.",
    "Several members noted that {t} costs had risen faster than expected in the spring.",
    "A working group will meet the suppliers and return with options for the {t} programme.",
)


def make_pdf(path: Path, pages: int) -> Path:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    for number in range(1, pages + 1):
        topic = TOPICS[number % len(TOPICS)]
        paragraphs = [
            " ".join(SENTENCES[(number + k + i) % len(SENTENCES)].format(t=topic) for i in range(5))
            for k in range(4)
        ]
        pdf.add_page()
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(0, 4.5, f"Page {number}\n\n" + "\n\n".join(paragraphs))
    pdf.output(str(path))
    return path


def extraction_speed(path: Path, runs: int = 3) -> tuple[float, ExtractedDocument]:
    best = float("inf")
    document = None
    for _ in range(runs):
        started = perf_counter()
        document = extract(path)
        best = min(best, perf_counter() - started)
    assert document is not None
    return len(document.pages) / best, document


def model_speed(engine: LocalEngine, prompt: str, gen_tokens: int = 64) -> tuple[float, float]:
    """(prompt tokens/s, generated tokens/s) for one prompt from an empty cache."""
    engine.clear_cache()
    params = GenerationParams(max_tokens=gen_tokens, temperature=0.2, seed=1, ignore_eos=True)
    stream = engine.complete(prompt, params)
    for _piece in stream:
        pass
    return stream.stats.prompt_tokens_per_s, stream.stats.decode_tokens_per_s


class StatsRecorder:
    """Passes completions through to the engine and keeps each call's statistics."""

    def __init__(self, engine: LocalEngine) -> None:
        self.engine = engine
        self.stats: list[GenerationStats] = []

    @property
    def info(self) -> ModelInfo | None:
        return self.engine.info

    def count_tokens(self, text: str) -> int:
        return self.engine.count_tokens(text)

    def complete(
        self, prompt: str, params: GenerationParams, cancel: CancelToken | None = None
    ) -> TokenStream:
        stream = self.engine.complete(prompt, params, cancel)
        self.stats.append(stream.stats)
        return stream

    def in_model_s(self) -> float:
        """Time the calls spent evaluating prompts and generating, by their own speeds."""
        total = 0.0
        for s in self.stats:
            if s.prompt_tokens_per_s:
                total += s.prompt_tokens_evaluated / s.prompt_tokens_per_s
            if s.decode_tokens_per_s and s.generated_tokens > 1:
                total += (s.generated_tokens - 1) / s.decode_tokens_per_s
        return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench.bench_summarize", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--context", type=int, default=2048)
    parser.add_argument("--pages", type=int, default=12, help="pages to summarise (of 100)")
    parser.add_argument("--models-dir", type=Path, default=Path.home() / ".cache" / "enclave-bench")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        pdf = make_pdf(Path(folder) / "bench-100.pdf", 100)
        pages_per_s, document = extraction_speed(pdf)
    print(f"extraction: {len(document.pages)} pages, {pages_per_s:.0f} pages/s", file=sys.stderr)

    engine = LocalEngine()
    engine.load(
        ensure_default_model(args.models_dir),
        LoadOptions(context_size=args.context, threads=args.threads),
    )
    part = ExtractedDocument(
        name="bench.pdf",
        path=document.path,
        sha256=document.sha256,
        size_bytes=0,
        format="pdf",
        pages=document.pages[: args.pages],
        language="en",
        page_unit="page",
    )
    options = SummaryOptions()
    # A prompt the size of a map step, to measure the model's speed where the summary runs.
    budget = args.context - options.map_max_tokens - 80
    first = chunk_pages(part.pages, engine.count_tokens, budget)[0]
    probe = prompts_for("en").map.format(
        name=part.name, index=1, total=2, pages="pp. 1–2", text=first.text
    )
    before = model_speed(engine, probe)
    engine.clear_cache()
    started = perf_counter()
    recorder = StatsRecorder(engine)
    summary = summarise(recorder, part, options)
    wall = perf_counter() - started
    in_model = recorder.in_model_s()
    after = model_speed(engine, probe)
    engine.unload()

    prompt_tps = (before[0] + after[0]) / 2
    decode_tps = (before[1] + after[1]) / 2
    ideal = summary.prompt_tokens / prompt_tps + summary.generated_tokens / decode_tps
    ratio = wall / ideal
    result = {
        "machine": platform.platform(),
        "threads": args.threads,
        "context": args.context,
        "extraction_pages": len(document.pages),
        "extraction_pages_per_s": round(pages_per_s, 1),
        "summary_pages": len(part.pages),
        "summary_mode": summary.mode,
        "summary_chunks": summary.chunks_total,
        "model_calls_s": round(summary.generation_s, 2),
        "prompt_tokens": summary.prompt_tokens,
        "generated_tokens": summary.generated_tokens,
        "prompt_tokens_per_s": round(prompt_tps, 1),
        "decode_tokens_per_s": round(decode_tps, 1),
        "speeds_before_after": [before, after],
        "wall_s": round(wall, 2),
        "ideal_s": round(ideal, 2),
        "overhead_ratio": round(ratio, 3),
        "in_run_model_s": round(in_model, 2),
        "wall_vs_in_run_model": round(wall / in_model, 3),
        "target": 1.15,
    }
    rows = [
        ("extraction (100-page PDF)", f"{pages_per_s:.0f} pages/s"),
        (f"summary of {len(part.pages)} pages", f"{summary.mode}, {summary.chunks_total} parts"),
        ("prompt tokens evaluated", str(summary.prompt_tokens)),
        ("generated tokens", str(summary.generated_tokens)),
        ("prompt speed", f"{prompt_tps:.0f} tokens/s"),
        ("generation speed", f"{decode_tps:.1f} tokens/s"),
        ("ideal time", f"{ideal:.1f} s"),
        ("wall time", f"{wall:.1f} s"),
        ("overhead ratio (target ≤ 1.15)", f"{ratio:.3f}"),
        ("wall ÷ in-run model time (per-call speeds)", f"{wall / in_model:.3f}"),
    ]
    print("| figure | value |\n|---|---|")
    print("\n".join(f"| {name} | {value} |" for name, value in rows))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2))
    print(f"written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
