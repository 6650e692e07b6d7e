"""Run every benchmark and write docs/benchmarks.md: one command, the machine and each figure
against its target.

    .venv/bin/python -m bench.run_all [--quick] [--only NAME ...]

Each benchmark runs in its own process (`python -m bench.<name> --output FILE.json`), one after
the other, so none disturbs another's timing or memory. A benchmark that is missing or fails
is reported as such and the others still run. --quick passes fewer runs to each (a smoke test
of the command, not figures to publish).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"

# name -> (arguments for a full run, arguments for --quick)
BENCHMARKS: dict[str, tuple[list[str], list[str]]] = {
    "bench_decode": (["--runs", "3"], ["--runs", "1"]),
    "bench_latency": (["--runs", "3"], ["--runs", "1", "--turns", "5"]),
    "bench_restore": (["--runs", "5"], ["--runs", "1", "--tokens", "1000"]),
    "bench_startup": (["--runs", "5"], ["--runs", "1"]),
    "bench_store": (["--runs", "15"], ["--runs", "3"]),
    "bench_store_encrypted": (["--runs", "15"], ["--runs", "3"]),
    "bench_summarize": ([], ["--pages", "2"]),
    "bench_parallel_map": (["--width", "8"], ["--pages", "8", "--width", "8"]),
    "bench_remote": (["--runs", "7"], ["--runs", "1", "--tokens", "16"]),
    "bench_serve": (["--runs", "5"], ["--runs", "1", "--tokens", "16"]),
}


@dataclass
class Row:
    figure: str
    value: float | None
    unit: str
    target: float | None = None
    better: str = "lower"  # "lower": value <= target; "higher": value >= target
    note: str = ""
    why: str = ""  # for a target missed: the cause, in this run's own figures

    @property
    def met(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value <= self.target if self.better == "lower" else self.value >= self.target

    def cells(self) -> list[str]:
        value = "—" if self.value is None else f"{_fmt(self.value)} {self.unit}".strip()
        if self.target is None:
            return [self.figure, value, "—", "—", "—", self.note]
        sign = "≤" if self.better == "lower" else "≥"
        ratio = "—" if self.value is None else f"{self.value / self.target:.2f}"
        met = {True: "yes", False: "**no**", None: "—"}[self.met]
        target = f"{sign} {_fmt(self.target)} {self.unit}".strip()
        return [self.figure, value, target, ratio, met, self.note]


def _restore_why(restore: dict[str, Any]) -> str:
    warm, n = restore["warm_median_ttft_ms"], restore["prompt_tokens"]["without"]
    opened, fresh = restore["evaluated"]["opened"], restore["evaluated"]["fresh"]
    return (
        f"only {opened} tokens are evaluated (the new one-line conversation: {fresh}), but each "
        f"attends to the {n} already cached: continuing the same conversation with its cache "
        f"in memory, no restart at all ({warm['evaluated']['in_memory']} tokens evaluated), is "
        f"already {warm['in_memory'] / warm['fresh']:.2f} × the new one ({warm['in_memory']:.0f}"
        f" vs {warm['fresh']:.0f} ms in one process); a restore can only match that"
    )


def _parallel_why(parallel: dict[str, Any]) -> str:
    sequential = parallel["runs"][0]["sequential"]
    share = sequential["prompt_s"] / sequential["wall_s"]
    return (
        f"prompt evaluation is {share:.0%} of the sequential time ({sequential['prompt_s']:.1f} "
        f"of {sequential['wall_s']:.1f} s: long chunks, short answers); on a CPU it is "
        "compute-bound and costs the same batched or not, so only decoding gains, and even "
        f"free decoding would leave {share:.2f}"
    )


def _fmt(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}" if abs(value) < 1 else f"{value:.2f}"


# -- the machine ------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    def cpu_model() -> str:
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return platform.processor() or platform.machine()

    def ram() -> str:
        try:
            for line in Path("/proc/meminfo").read_text().splitlines():
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
        except OSError:
            pass
        return "unknown"

    def os_name() -> str:
        try:
            for line in Path("/etc/os-release").read_text().splitlines():
                if line.startswith("PRETTY_NAME="):
                    return f"{line.split('=', 1)[1].strip(chr(34))} (kernel {platform.release()})"
        except OSError:
            pass
        return platform.platform()

    def version(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "CPU": cpu_model(),
        "cores": f"{os.cpu_count()} logical ({usable} usable by this process)",
        "RAM": ram(),
        "OS": os_name(),
        "Python": platform.python_version(),
        "llama-cpp-python": version("llama_cpp_python"),
        "PySide6": version("PySide6-Essentials"),
        "SQLite": sqlite3.sqlite_version,
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# -- running ----------------------------------------------------------------------------------
def run(name: str, args: list[str], folder: Path) -> tuple[dict[str, Any] | None, str]:
    if importlib.util.find_spec(f"bench.{name}") is None:
        return None, "not present in this checkout"
    output = folder / f"{name}.json"
    started = time.monotonic()
    print(f"== {name} {' '.join(args)}", file=sys.stderr, flush=True)
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", *args, "--output", str(output)], cwd=ROOT
    )
    took = time.monotonic() - started
    if done.returncode != 0 or not output.exists():
        return None, f"failed (exit {done.returncode}) after {took:.0f} s"
    return json.loads(output.read_text()), f"{took:.0f} s"


def rows_for(results: dict[str, dict[str, Any] | None]) -> list[Row]:
    rows: list[Row] = []
    decode = results.get("bench_decode")
    if decode:
        m, r = decode["median"], decode["ratio_engine_over_raw"]
        for key, label in (
            ("pp", f"pp{decode['prompt_tokens']}"),
            ("tg", f"tg{decode['gen_tokens']}"),
        ):
            rows.append(Row(
                f"Decode {label}: engine ÷ raw llama.cpp", r[key], "", 0.95, "higher",
                f"engine {m[key]['engine']:.1f} vs raw {m[key]['raw']:.1f} tokens/s, "
                f"{decode['threads']} threads",
            ))  # fmt: skip
    latency = results.get("bench_latency")
    if latency:
        rows.append(Row(
            f"TTFT turn {latency['turns']} ÷ turn 1", latency["ratio"], "", latency["target"],
            "lower", f"{latency['ttft_turn1_ms']:.0f} ms → {latency['ttft_last_ms']:.0f} ms",
        ))  # fmt: skip
    restore = results.get("bench_restore")
    if restore:
        ms, n = restore["median_ttft_ms"], restore["prompt_tokens"]["without"]
        warm_ms = restore["warm_median_ttft_ms"]
        rows += [
            Row(f"TTFT after a restart, {n}-token conversation restored ÷ new one-line one",
                restore["ratios"]["restored/fresh"], "", restore["target"], "lower",
                f"{ms['restored']:.0f} vs {ms['fresh']:.0f} ms, new processes; "
                f"{restore['evaluated']['restored']} tokens evaluated",
                why=f"the restore itself takes {restore['restore_ms']:.0f} ms at send time "
                "(reading and checking the state file, llama.cpp taking it); the window does it "
                "when the conversation is opened (next row); " + _restore_why(restore)),
            Row("The same, the conversation opened first (restored while the user types)",
                restore["ratios"]["opened/fresh"], "", restore["target"], "lower",
                f"{ms['opened']:.0f} ms; {restore['evaluated']['opened']} tokens evaluated",
                why=_restore_why(restore)),
            Row("The same, without the saved state", restore["ratios"]["without/fresh"], "",
                note=f"{ms['without']:.0f} ms, {n} tokens evaluated"),
            Row("The same, restored, one warm process", restore["warm_ratio"], "",
                note=f"the restore itself {restore['restore_ms']:.0f} ms"),
            Row("Continued with its cache in memory, no restart (what a restore can match)",
                warm_ms["in_memory"] / warm_ms["fresh"], "",
                note=f"{warm_ms['in_memory']:.0f} vs {warm_ms['fresh']:.0f} ms, one process: "
                "attention over the whole history"),
        ]  # fmt: skip
    startup = results.get("bench_startup")
    if startup:
        f = startup["figures"]
        rows += [
            Row("Cold start to usable window", f["usable_window_s"], "s", 1.0, "lower",
                f"median; very first launch {f['usable_window_first_launch_s']:.2f} s"),
            Row("Cold start to first token (command line)", f["cli_first_token_s"], "s"),
            Row("Cold start to first token (window)", f["window_first_token_s"], "s",
                note=f"model loaded at {f['window_model_loaded_s']:.2f} s"),
            Row("Longest event-loop stall while streaming", f["stall_streaming_ms"], "ms", 50.0),
            Row("Longest event-loop stall while summarising", f["stall_summarising_ms"], "ms",
                50.0),
            Row("Enter to the question shown (GUI thread)", f["send_ms"], "ms", 50.0),
            Row("Document dropped to progress shown (GUI thread)", f["drop_ms"], "ms", 50.0),
            Row("Memory (RSS), window idle", f["rss_idle_mb"], "MB"),
            Row("Memory (RSS), model loaded", f["rss_loaded_mb"], "MB"),
            Row("Memory (RSS), after a reply", f["rss_after_reply_mb"], "MB"),
            Row("Memory (peak RSS), `enclave chat`", f["cli_peak_rss_mb"], "MB"),
        ]  # fmt: skip
    store = results.get("bench_store")
    if store:
        f = store["figures"]
        rows += [
            Row("Sidebar list: store query", f["sidebar_store_ms"], "ms", 50.0),
            Row("Sidebar list: real widget refresh", f["sidebar_widget_ms"], "ms", 50.0),
            Row(f"Search (slowest of {len(store['store']['search'])} queries)",
                f["search_worst_query_ms"], "ms", 100.0),
            Row("Sidebar filtered by a search", f["sidebar_search_ms"], "ms", 100.0),
            Row("Open 2,000 messages: store read", f["open_store_ms"], "ms", 150.0),
            Row("Open 2,000 messages: to first paint", f["open_first_paint_ms"], "ms", 150.0,
                note="real MainWindow, offscreen"),
        ]  # fmt: skip
    encrypted = results.get("bench_store_encrypted")
    if encrypted:
        for name, label in (("sidebar", "sidebar"), ("search", "search, slowest query"),
                            ("open", "open 2,000 messages"), ("cold_open", "fresh open")):
            f = encrypted["figures"][name]
            rows.append(Row(
                f"Encrypted history ÷ plain: {label}", f["ratio"], "",
                encrypted["target_ratio"], "lower",
                f"{f['encrypted_ms']:.1f} vs {f['plain_ms']:.1f} ms, SQLCipher 4, "
                f"{encrypted['database']['messages']:,} messages",
            ))  # fmt: skip
    summary = results.get("bench_summarize")
    if summary:
        rows.append(Row(
            "Summarisation overhead (wall ÷ model time)", summary["overhead_ratio"], "",
            summary.get("target", 1.15), "lower",
            f"{summary['summary_pages']} pages, {summary['summary_mode']}",
        ))  # fmt: skip
    parallel = results.get("bench_parallel_map")
    if parallel:
        rows.append(Row(
            "Long summary: parallel map ÷ sequential (wall)", parallel["ratio"], "",
            parallel["target"], "lower",
            f"{parallel['pages']} pages, {parallel['chunks']} chunks, width {parallel['width']}, "
            f"map stage {parallel['map_ratio']:.3f}, checks ok: {parallel['checks_ok']}",
            why=_parallel_why(parallel),
        ))  # fmt: skip
    remote = results.get("bench_remote")
    if remote:
        rows += [
            Row("Company server: remote backend ÷ openai client (tokens/s)", remote["ratio"], "",
                remote["ratio_target"], "higher",
                f"{remote['remote_tokens_per_s']:.1f} vs {remote['openai_tokens_per_s']:.1f} "
                f"tokens/s, llama_cpp.server on 127.0.0.1, same reply: {remote['same_text']}; "
                f"client CPU {remote['remote_cpu_ms']:.0f} vs {remote['openai_cpu_ms']:.0f} ms"),
            Row("Company server: first-token overhead", remote["ttft_overhead_ms"], "ms",
                remote["overhead_target_ms"], note="remote backend minus openai client"),
        ]  # fmt: skip
    serve = results.get("bench_serve")
    if serve:
        rows.append(Row(
            "Local API: `enclave serve` ÷ in-process engine (tokens/s)", serve["ratio"], "",
            serve["target"], "higher",
            f"{serve['api_tokens_per_s']:.1f} vs {serve['engine_tokens_per_s']:.1f} tokens/s, "
            f"first piece {serve['api_ttft_ms']:.0f} vs {serve['engine_ttft_ms']:.0f} ms, "
            f"same reply: {serve['same_text']}",
        ))  # fmt: skip
    return rows


def markdown(info: dict[str, str], rows: list[Row], status: dict[str, str], quick: bool) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `.venv/bin/python -m bench.run_all` on {now}"
        + (" with `--quick` (smoke test: too few runs to publish)" if quick else "")
        + ". Do not edit: run the command again. What each figure measures, and how, is in "
        "the docstring of its module in `bench/` and in `bench/README.md`.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in info.items()],
        "",
        "## Figures",
        "",
        "Ratio is measured ÷ target (for a “≥” target, 1 or more meets it; for a “≤” target, "
        "1 or less).",
        "",
        "| Figure | Measured | Target | Ratio | Met | Notes |",
        "|---|---|---|---|---|---|",
        *["| " + " | ".join(row.cells()) + " |" for row in rows],
        "",
        "## Runs",
        "",
        *[f"- `bench.{name}`: {text}" for name, text in status.items()],
        "",
    ]
    missed = [row for row in rows if row.met is False]
    lines += ["## Targets missed", ""]
    lines += [f"- {row.figure}" + (f": {row.why}" if row.why else "") for row in missed] or [
        "None."
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.run_all", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs: a smoke test")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), help="a subset")
    parser.add_argument("--output", type=Path, default=DOC)
    args = parser.parse_args(argv)
    info = machine()
    results: dict[str, dict[str, Any] | None] = {}
    status: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="enclave-bench-") as name:
        for bench, (full, quick) in BENCHMARKS.items():
            if args.only and bench not in args.only:
                continue
            results[bench], status[bench] = run(bench, quick if args.quick else full, Path(name))
    info["load average at end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    rows = rows_for(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(markdown(info, rows, status, args.quick), encoding="utf-8")
    print(f"written to {args.output}", file=sys.stderr)
    for row in rows:
        print(" | ".join(row.cells()[:5]))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
