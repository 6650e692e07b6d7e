"""Summaries of documents of any length: one pass when it fits, else map-reduce, no pauses.

Map: each chunk (token-aware, with its page span) is summarised with its position ("part i of
N, pages a–b"). Reduce: the part summaries are merged, in batches that fit the context and
recursively, until one overview remains. Page references in the result come from the chunks'
spans, not from the model, so they are right whatever the model writes; page numbers the model
writes itself are kept only when they fall inside the span it was shown.

Progress goes to a callback (`SummaryProgress`), Cancel is a `CancelToken`: on cancel the parts
summarised so far are returned in a `Summary` marked `cancelled`.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from app.core.backend import Backend
from app.core.documents.chunk import Chunk, chunk_pages
from app.core.documents.generation import (
    Usage,
    clean,
    complete,
    complete_all,
    context_size,
    degenerate,
    lead_sentences,
)
from app.core.documents.language import resolve_language
from app.core.documents.model import ExtractedDocument, PageUnit, Section, Summary, page_label
from app.core.documents.prompts import PromptSet, prompts_for
from app.core.errors import ModelError
from app.core.types import CancelToken, GenerationParams

Stage = Literal["extract", "map", "reduce", "single", "done"]
_MARGIN_TOKENS = 24  # the tokenizer may merge differently at the joins between prompt parts
# "(p. 3)", "(pp. 3-5)", "(page ~3)", and "(p. X)" copied from the prompt by a small model.
_PAGE_CITE = re.compile(r"\((?:p|pp|pages?)\.?\s*~?(\d+|X)(?:\s*[–-]\s*~?(\d+))?\)", re.I)


@dataclass(frozen=True, slots=True)
class SummaryOptions:
    language: str = "auto"  # auto | en | fr
    map_max_tokens: int = 160
    reduce_max_tokens: int = 320
    temperature: float = 0.2
    repeat_penalty: float = 1.15
    seed: int | None = 1
    chunk_tokens: int | None = None  # None: as large as the context allows

    def params(self, max_tokens: int, stops: tuple[str, ...]) -> GenerationParams:
        return GenerationParams(
            max_tokens=max_tokens,
            temperature=self.temperature,
            repeat_penalty=self.repeat_penalty,
            seed=self.seed,
            stop=stops,
        )


@dataclass(frozen=True, slots=True)
class SummaryProgress:
    document: str
    stage: Stage
    completed: int  # steps of this stage finished
    total: int  # steps in this stage
    eta_s: float | None  # estimated seconds left for the whole summary
    text: str = ""  # the step's result, when one just finished


ProgressFn = Callable[[SummaryProgress], None]


def summarise(
    backend: Backend,
    document: ExtractedDocument,
    options: SummaryOptions | None = None,
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
) -> Summary:
    return _Run(backend, document, options or SummaryOptions(), cancel, progress).run()


class _Run:
    def __init__(
        self,
        backend: Backend,
        document: ExtractedDocument,
        options: SummaryOptions,
        cancel: CancelToken | None,
        progress: ProgressFn | None,
    ) -> None:
        self.backend = backend
        self.doc = document
        self.options = options
        self.cancel = cancel or CancelToken()
        self.report = progress or (lambda _event: None)
        self.language = resolve_language(options.language, document.language)
        self.prompts: PromptSet = prompts_for(self.language)
        self.n_ctx = context_size(backend)
        # Answers never take more than a share of a small context, so the text still fits.
        self.map_tokens = min(options.map_max_tokens, self.n_ctx // 4)
        self.reduce_tokens = min(options.reduce_max_tokens, self.n_ctx // 3)
        self.usage = Usage()
        self.started = time.perf_counter()
        self.step_times: list[float] = []
        self.summary = Summary(
            document=document.name,
            language=self.language,
            mode="single",
            unit=document.page_unit,
        )

    # -- the plan ---------------------------------------------------------------------------
    def run(self) -> Summary:
        # Both plans below count the same paragraphs: tokenize each one once.
        count = functools.lru_cache(maxsize=None)(self.backend.count_tokens)
        single_budget = self._budget(self.prompts.single, self.reduce_tokens)
        whole = chunk_pages(self.doc.pages, count, single_budget)
        if len(whole) == 1:
            self._single(whole[0])
        else:
            self.summary.mode = "map-reduce"
            map_budget = self._budget(self.prompts.map, self.map_tokens)
            if self.options.chunk_tokens:
                map_budget = min(map_budget, self.options.chunk_tokens)
            chunks = chunk_pages(self.doc.pages, count, map_budget)
            self._map(chunks)
            if not self.cancel.cancelled:
                self._reduce()
        return self._finish()

    def _budget(self, template: str, answer_tokens: int) -> int:
        """Tokens left for document text once the prompt frame and the answer are counted."""
        frame = template.format(
            name=self.doc.name,
            index=999,
            total=999,
            pages=self._pages(9999, 9999),
            text="",
            items="",
        )
        free = self.n_ctx - self.backend.count_tokens(frame) - answer_tokens - _MARGIN_TOKENS
        if free < 64:
            raise ModelError(
                f"The model's context ({self.n_ctx} tokens) is too small to summarise with; "
                f"choose a larger context size in Settings."
            )
        return free

    # -- one pass ---------------------------------------------------------------------------
    def _single(self, chunk: Chunk) -> None:
        self.summary.chunks_total = 1
        self._emit("single", 0, 1)
        prompt = self.prompts.single.format(name=self.doc.name, text=chunk.text)
        text = self._generate(prompt, self.reduce_tokens, bullets=True)
        span = (chunk.page_start, chunk.page_end)
        self.summary.overview = self._checked(text, chunk.text, *span)
        self.summary.sections = [Section(1, *span, self.summary.overview)]
        self.summary.chunks_done = 0 if self.cancel.cancelled else 1
        self._emit("single", self.summary.chunks_done, 1, self.summary.overview)

    # -- map --------------------------------------------------------------------------------
    def _map(self, chunks: list[Chunk]) -> None:
        """Every chunk summarised once; the backend may run several at once (complete_all),
        results are taken in chunk order, so sections, progress and a cancelled summary look
        as they do one chunk after the other."""
        total = len(chunks)
        self.summary.chunks_total = total
        self._emit("map", 0, total)
        prompts = [
            self.prompts.map.format(
                name=self.doc.name,
                index=chunk.index + 1,
                total=total,
                pages=self._pages(chunk.page_start, chunk.page_end),
                text=chunk.text,
            )
            for chunk in chunks
        ]
        params = self.options.params(self.map_tokens, self.prompts.stops)
        finished: dict[int, tuple[str, bool]] = {}
        last = time.perf_counter()
        for index, text, stats in complete_all(
            self.backend, prompts, params, self.cancel, self.usage
        ):
            now = time.perf_counter()
            self.step_times.append(now - last)  # the ETA: time per chunk, however they overlap
            last = now
            finished[index] = (text, stats.stop_reason == "length")
            while (ready := len(self.summary.sections)) in finished:
                self._mapped(chunks[ready], *finished.pop(ready), total)

    def _mapped(self, chunk: Chunk, text: str, truncated: bool, total: int) -> None:
        index = chunk.index + 1
        text = clean(text, self.prompts.stops, truncated=truncated)
        section = Section(index, chunk.page_start, chunk.page_end)
        section.text = self._checked(text, chunk.text, chunk.page_start, chunk.page_end)
        self.summary.sections.append(section)
        self.summary.chunks_done = index
        self._emit("map", index, total, section.text)

    # -- reduce -----------------------------------------------------------------------------
    def _reduce(self) -> None:
        sections = list(self.summary.sections)
        budget = self._budget(self.prompts.reduce, self.reduce_tokens)
        while not self.cancel.cancelled:
            batches = self._batches(sections, budget)
            if len(batches) == 1:
                self._emit("reduce", 0, 1)
                text = self._merge(batches[0], bullets=True)
                if not self.cancel.cancelled:
                    self.summary.overview = text
                    self._emit("reduce", 1, 1, text)
                return
            merged: list[Section] = []
            for number, batch in enumerate(batches, start=1):
                if self.cancel.cancelled:
                    return
                self._emit("reduce", number - 1, len(batches))
                if len(batch) == 1:
                    merged.append(replace(batch[0], index=number))
                    continue
                merged.append(
                    Section(number, batch[0].page_start, batch[-1].page_end, self._merge(batch))
                )
            sections = merged

    def _batches(self, sections: list[Section], budget: int) -> list[list[Section]]:
        """Consecutive sections grouped so each group's reduce prompt fits the context."""
        batches: list[list[Section]] = [[]]
        used = 0
        for section in sections:
            cost = self.backend.count_tokens(self._item(section)) + 2
            if batches[-1] and used + cost > budget:
                batches.append([])
                used = 0
            batches[-1].append(section)
            used += cost
        return batches

    def _merge(self, batch: list[Section], bullets: bool = False) -> str:
        items = "\n\n".join(self._item(s) for s in batch)
        prompt = self.prompts.reduce.format(name=self.doc.name, items=items)
        text = self._generate(prompt, self.reduce_tokens, bullets=bullets)
        source = " ".join(s.text for s in batch)
        return self._checked(text, source, batch[0].page_start, batch[-1].page_end)

    def _item(self, section: Section) -> str:
        pages = self._pages(section.page_start, section.page_end)
        return self.prompts.reduce_item.format(index=section.index, pages=pages, text=section.text)

    # -- helpers ----------------------------------------------------------------------------
    def _generate(self, prompt: str, max_tokens: int, bullets: bool = False) -> str:
        params = self.options.params(max_tokens, self.prompts.stops)
        started = time.perf_counter()
        text, stats = complete(self.backend, prompt, params, self.cancel, self.usage)
        self.step_times.append(time.perf_counter() - started)
        truncated = stats.stop_reason == "length"
        return clean(text, self.prompts.stops, truncated=truncated, bullets=bullets)

    def _checked(self, text: str, source: str, first: int, last: int) -> str:
        """Keep page citations inside [first, last]; fall back to the source's lead sentences."""
        if degenerate(text):
            text = lead_sentences(source)

        def fix(match: re.Match[str]) -> str:
            if not match.group(1).isdigit():
                return ""
            start = int(match.group(1))
            end = int(match.group(2) or start)
            if first <= start <= end <= last:
                return f"({self._pages(start, end)})"
            return ""

        lines = (" ".join(line.split()) for line in _PAGE_CITE.sub(fix, text).splitlines())
        return "\n".join(re.sub(r"\s+([.,;])", r"\1", line) for line in lines if line)

    def _pages(self, start: int, end: int) -> str:
        return page_label(self.doc.page_unit, start, end, self.language)

    def _emit(self, stage: Stage, completed: int, total: int, text: str = "") -> None:
        self.report(
            SummaryProgress(
                self.doc.name, stage, completed, total, self._eta(stage, completed, total), text
            )
        )

    def _eta(self, stage: Stage, completed: int, total: int) -> float | None:
        """Seconds left: the mean step time so far times the steps left (reduce ≈ 2 steps)."""
        if not self.step_times:
            return None
        mean = sum(self.step_times) / len(self.step_times)
        if stage == "map":
            return mean * (total - completed + 2)
        return mean * 2 * max(total - completed, 0)

    def _finish(self) -> Summary:
        summary = self.summary
        summary.cancelled = self.cancel.cancelled
        summary.prompt_tokens = self.usage.prompt_tokens
        summary.generated_tokens = self.usage.generated_tokens
        summary.generation_s = self.usage.model_s
        summary.wall_s = time.perf_counter() - self.started
        self._emit("done", summary.chunks_done, summary.chunks_total, summary.overview)
        return summary


def render_markdown(summary: Summary, unit: PageUnit | None = None) -> str:
    """The summary as the message a person reads: overview, then each part with its pages."""
    prompts = prompts_for(summary.language)
    unit = unit or summary.unit
    lines = [f"**{prompts.title.format(name=summary.document)}**", ""]
    if summary.overview:
        lines += [summary.overview, ""]
    if summary.mode == "map-reduce" and summary.sections:
        lines += [f"**{prompts.by_part}**", ""]
        for section in summary.sections:
            pages = page_label(unit, section.page_start, section.page_end, summary.language)
            lines.append(f"- **{pages}** — {section.text}")
        lines.append("")
    elif summary.sections:
        first, last = summary.sections[0].page_start, summary.sections[-1].page_end
        lines.append(f"({summary.document}, {page_label(unit, first, last, summary.language)})")
    return "\n".join(lines).strip() + "\n"
