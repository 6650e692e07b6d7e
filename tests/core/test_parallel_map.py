"""The map stage as parallel sequences of one llama.cpp context, with the real model.

A 62-page PDF is summarised twice on one engine (512-token context, so it needs many chunks):
one chunk after the other (the backend offers only `complete`) and through `complete_many`.
Both must cut the same chunks with the same page spans, summarise each chunk exactly once,
and report progress one chunk at a time, in order. Stop during the map ends it promptly.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from app.core import parallel_decode
from app.core.completions import Completions
from app.core.documents.extract import extract
from app.core.documents.model import ExtractedDocument
from app.core.documents.summarise import SummaryOptions, SummaryProgress, summarise
from app.core.parallel_decode import (
    MAX_WIDTH_CPU,
    cell_bytes,
    choose_width,
    run_parallel,
    sequence_size,
)
from app.core.reply_end import reply_end
from app.core.types import CancelToken, GenerationParams
from tests.helpers import make_documents as make
from tests.helpers.fake_summary_engine import RecordingBackend

PAGES = 62
OPTIONS = SummaryOptions(map_max_tokens=24, reduce_max_tokens=32)
_MAP = re.compile(r"^Part (\d+) of \d+", re.M)


class ManySpy(RecordingBackend):
    """RecordingBackend with `complete_many`: records each prompt as its result comes."""

    def __init__(self, backend: object) -> None:
        super().__init__(backend)
        self.widths: list[int] = []

    def complete_many(
        self, prompts: Sequence[str], params: GenerationParams, cancel: CancelToken | None = None
    ) -> Completions:
        results = self._backend.complete_many(prompts, params, cancel)  # type: ignore[attr-defined]
        self.widths.append(results.width)

        def recorded() -> Iterator[tuple[int, str, object]]:
            for index, text, stats in results:
                self.prompts.append(prompts[index])
                yield index, text, stats

        return Completions(results.width, recorded())


@pytest.fixture(scope="module")
def small_engine(model_path: Path) -> Iterator[object]:
    from app.core.engine import LocalEngine
    from app.core.types import LoadOptions

    engine = LocalEngine()
    engine.load(model_path, LoadOptions(context_size=512, threads=2))
    yield engine
    engine.unload()


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> ExtractedDocument:
    pages = [
        f"Page {n} marker. The council discussed item {n} of the budget and asked for a report "
        f"on the roads, the schools and the water supply before the next session."
        for n in range(1, PAGES + 1)
    ]
    return extract(make.make_pdf(tmp_path_factory.mktemp("par") / "council.pdf", pages))


def _run(backend: object, document: ExtractedDocument) -> tuple[object, list[SummaryProgress]]:
    events: list[SummaryProgress] = []
    summary = summarise(backend, document, OPTIONS, progress=events.append)  # type: ignore[arg-type]
    return summary, events


@pytest.fixture(scope="module")
def both(small_engine, document):
    sequential = RecordingBackend(small_engine)
    parallel = ManySpy(small_engine)
    return (sequential, *_run(sequential, document)), (parallel, *_run(parallel, document))


def _mapped(prompts: list[str]) -> list[int]:
    return [int(m.group(1)) for p in prompts if (m := _MAP.search(p))]


def test_width_rule() -> None:
    cell, budget = 18_432, 1 << 30  # the bundled model's KV bytes per cell; 1 GiB
    assert sequence_size([100, 300], 24, 512) == 512  # 324 cells, rounded up to 256s
    assert sequence_size([500], 160, 512) == 512  # never more than the sequential context
    assert choose_width(2, 512, False, cell, budget) == 1  # two at once gain little on a CPU
    assert choose_width(2, 512, True, cell, budget) == 2
    assert choose_width(30, 512, False, cell, budget) == MAX_WIDTH_CPU
    assert choose_width(5, 512, False, cell, budget) == 5
    assert choose_width(30, 32768, False, cell, budget) == 1  # only two 32k sequences fit
    # An 8B model (128 KiB a cell) at 4k: two sequences fill 1 GiB, eight fit in 4 GiB.
    assert choose_width(30, 4096, False, 128 << 10, budget) == 1
    assert choose_width(30, 4096, False, 128 << 10, 4 << 30) == MAX_WIDTH_CPU
    # Long prompts, short answers: prompt evaluation dominates, no gain on a CPU; a GPU gains.
    assert choose_width(30, 2048, False, cell, budget, prompt_per_answer=50.0) == 1
    assert choose_width(30, 2048, True, cell, budget, prompt_per_answer=50.0) == 16
    assert choose_width(30, 2048, False, cell, budget, prompt_per_answer=11.0) == MAX_WIDTH_CPU


def test_cell_bytes_follow_the_gguf_header(small_engine, model_path: Path) -> None:
    from app.core.models.gguf_check import check_gguf

    meta = check_gguf(model_path).metadata
    arch = meta["general.architecture"]
    expected = 2 * meta[f"{arch}.block_count"] * meta[f"{arch}.attention.head_count_kv"] * 2
    expected *= meta[f"{arch}.attention.key_length"]
    assert cell_bytes(small_engine._model) == expected


def test_parallel_map_cuts_and_cites_as_sequential(both) -> None:
    (_seq, seq_summary, _seq_events), (par, par_summary, _par_events) = both
    assert par.widths and par.widths[0] > 1  # the parallel path was taken
    assert seq_summary.mode == par_summary.mode == "map-reduce"
    total = par_summary.chunks_total
    assert total == seq_summary.chunks_total >= 6
    assert par_summary.chunks_done == total and not par_summary.cancelled
    spans = [(s.page_start, s.page_end) for s in par_summary.sections]
    assert spans == [(s.page_start, s.page_end) for s in seq_summary.sections]
    assert [s.index for s in par_summary.sections] == list(range(1, total + 1))
    assert all(s.text for s in par_summary.sections) and par_summary.overview


def test_every_chunk_is_summarised_exactly_once(both) -> None:
    (seq, _s, _e), (par, summary, _events) = both
    total = summary.chunks_total
    parts = _mapped(par.prompts)
    assert sorted(parts) == list(range(1, total + 1))  # once each (in the order they ended)
    assert Counter(p for p in par.prompts if _MAP.search(p)) == Counter(
        p for p in seq.prompts if _MAP.search(p)
    )  # the very same prompts
    for number in range(1, PAGES + 1):
        assert sum(f"Page {number} marker." in p for p in par.prompts if _MAP.search(p)) == 1


def test_progress_counts_each_chunk_in_order(both) -> None:
    _seq, (_par, summary, events) = both
    total = summary.chunks_total
    map_events = [e for e in events if e.stage == "map"]
    assert [e.completed for e in map_events] == list(range(0, total + 1))
    assert all(e.total == total for e in map_events)
    texts = [e.text for e in map_events[1:]]
    assert texts == [s.text for s in summary.sections]
    assert any(e.eta_s is not None and e.eta_s > 0 for e in map_events[1:-1])
    assert events[-1].stage == "done"


def test_cancel_during_the_parallel_map_stops_promptly(
    small_engine, document, monkeypatch: pytest.MonkeyPatch
) -> None:
    # fewer sequences than chunks: the ones started together may well end in the same step
    monkeypatch.setattr(parallel_decode, "MAX_WIDTH_CPU", 3)
    cancel = CancelToken()
    backend = ManySpy(small_engine)
    cancelled_at: list[float] = []

    def on_progress(event: SummaryProgress) -> None:
        if event.stage == "map" and event.completed == 1:
            cancelled_at.append(time.perf_counter())
            cancel.cancel()

    summary = summarise(backend, document, OPTIONS, cancel, on_progress)  # type: ignore[arg-type]
    stopped = time.perf_counter() - cancelled_at[0]
    assert summary.cancelled and 1 <= summary.chunks_done < summary.chunks_total
    assert [s.index for s in summary.sections] == list(range(1, summary.chunks_done + 1))
    assert stopped < 3.0  # at most a step of the batch, not the rest of the map
    assert not summary.overview  # no reduce after Stop


def test_cancel_inside_a_prompt_piece(small_engine) -> None:
    """Stop while prompts are evaluated: llama.cpp's abort callback ends the batch."""
    model = small_engine._model
    params = GenerationParams(max_tokens=16, temperature=0.0)
    prompts = [small_engine.tokenize("The council met. " * 100)] * 4
    cancel = CancelToken()
    timer = threading.Timer(0.3, cancel.cancel)
    timer.start()
    started = time.perf_counter()
    end = reply_end(params, small_engine.turn_signs, (), model.special_token)
    results = list(
        run_parallel(
            model, prompts, params, end, cancel, width=4, n_ctx=512, threads=2, n_batch=512
        )
    )
    timer.join()
    assert len(results) < 4
    assert time.perf_counter() - started < 3.0


def test_one_wide_parallel_run_equals_the_sequential_decoder(small_engine) -> None:
    """The same ending rules and sampling as Decoder.run: width 1 gives the same text."""
    params = GenerationParams(max_tokens=24, temperature=0.2, seed=1, stop=("\n\n",))
    prompts = [f"Minutes of meeting {n}: the council discussed the {w}." for n, w in
               enumerate(("roads", "library", "harbour"), 1)]  # fmt: skip
    expected = [small_engine.complete(p, params).text() for p in prompts]
    model = small_engine._model
    end = reply_end(params, small_engine.turn_signs, params.stop, model.special_token)
    tokens = [small_engine.tokenize_prompt(p) for p in prompts]
    got = run_parallel(
        model, tokens, params, end, CancelToken(), width=1, n_ctx=512, threads=2, n_batch=512
    )
    assert {i: text for i, text, _stats in got} == dict(enumerate(expected))


def test_few_prompts_take_the_sequential_path(small_engine) -> None:
    params = GenerationParams(max_tokens=4, temperature=0.0)
    prompts = ["The first minutes.", "The second minutes."]
    results = small_engine.complete_many(prompts, params)
    assert results.width == 1
    done = list(results)
    assert [i for i, _t, _s in done] == [0, 1]
    last = small_engine.tokenize_prompt(prompts[1])
    assert small_engine.cached_tokens[: len(last)] == tuple(last)  # the engine's own context


def test_backend_without_complete_many_is_sequential(document) -> None:
    from tests.helpers.fake_summary_engine import FakeSummaryEngine

    backend = FakeSummaryEngine(n_ctx=512)
    summary, _events = _run(backend, document)
    assert summary.chunks_done == summary.chunks_total > 1
    assert _mapped(backend.prompts) == list(range(1, summary.chunks_total + 1))


def test_complete_many_through_the_engine_process(model_path: Path, small_engine) -> None:
    from app.core.backends.local_process import ProcessEngine
    from app.core.types import LoadOptions

    params = GenerationParams(max_tokens=8, temperature=0.0)
    prompts = [f"Minutes of meeting {n}: the council" for n in range(1, 6)]
    engine = ProcessEngine()
    try:
        engine.load(model_path, LoadOptions(context_size=512, threads=2))
        abandoned = engine.complete_many(prompts, params)
        assert abandoned.width == 5
        next(iter(abandoned))
        abandoned.close()  # the child stops; what it already sent is read off the pipe
        assert engine.count_tokens(prompts[0]) == small_engine.count_tokens(prompts[0])
        results = {i: text for i, text, _stats in engine.complete_many(prompts, params)}
        in_process = small_engine.complete_many(prompts, params)
        assert results == {i: text for i, text, _stats in in_process}
        cancel = CancelToken()
        cancel.cancel()
        assert list(engine.complete_many(prompts, params, cancel)) == []
        reply = engine.complete(prompts[0], params)  # the pipe is clean for the next request
        assert reply.text() and reply.stats.generated_tokens > 0
    finally:
        engine.unload()


@pytest.mark.parametrize("mixed", [False, True])
def test_on_a_cpu_a_prompt_piece_has_a_step_of_its_own(
    small_engine, monkeypatch: pytest.MonkeyPatch, mixed: bool
) -> None:
    """Mixed with other sequences' tokens, llama.cpp evaluates a prompt in smaller passes."""
    steps: list[tuple[set[int], int]] = []  # the sequences in each step, and its size
    original = parallel_decode._Context.decode

    def recording(self, n_tokens: int, cancel):
        steps.append(({self.batch.seq_id[i][0] for i in range(n_tokens)}, n_tokens))
        return original(self, n_tokens, cancel)

    monkeypatch.setattr(parallel_decode._Context, "decode", recording)
    model = small_engine._model
    params = GenerationParams(max_tokens=12, temperature=0.0, ignore_eos=True)
    end = reply_end(params, small_engine.turn_signs, (), model.special_token)
    prompts = [
        small_engine.tokenize(f"Item {i}: the council met. " * (10 + 8 * i)) for i in range(5)
    ]
    results = list(run_parallel(model, prompts, params, end, CancelToken(), width=3, n_ctx=512,
                                threads=2, n_batch=128, mixed_steps=mixed))  # fmt: skip
    assert sorted(index for index, _text, _stats in results) == list(range(5))
    prompt_steps = [seqs for seqs, size in steps if size > len(seqs)]  # more tokens than rows
    shared = [seqs for seqs in prompt_steps if len(seqs) > 1]
    assert bool(shared) == mixed
    decode_steps = [seqs for seqs, size in steps if size == len(seqs) and len(seqs) > 1]
    assert decode_steps  # the decoding sequences still share their steps
