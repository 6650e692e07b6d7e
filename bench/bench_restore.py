"""A long conversation reopened after a restart: with its saved KV state, without, and a new one.

    .venv/bin/python -m bench.bench_restore [--threads 2] [--runs 3] [--tokens 4000]

Setup, once: a conversation of about --tokens tokens is answered by the engine process
(`ProcessEngine`, as the app runs it) with the conversation's `StateSession`; the process saves
the KV state after the reply, then ends. Then, in each run and each in a newly started engine
process with the model loaded (load time not counted), one more turn is asked, four ways:

- `restored`: the next turn of the long conversation, with its session: the saved state is
  restored, only the new tokens are evaluated (its file in the page cache: just written);
- `restored_cold`: the same, the file first dropped from the page cache (as after a reboot);
- `opened`: the same, but the conversation is opened first, as the window does when the user
  selects it (`warm`: the state is restored and the next turn's opening evaluated while the user
  types; a second is allowed for it, not timed), then the turn;
- `without`: the same turn without the session: the whole history is evaluated;
- `fresh`: a new one-line conversation.

Time to first token is the caller's, from `generate()` to the first piece (restore, prompt
evaluation, first token, the pipe). Ratios are per run, against that run's `fresh`; the table
gives their medians. Target: restored ÷ fresh ≤ 1.2. The first decode of a new process is
slow and varies a lot on a busy machine (both paths pay it), so the same turns are also timed
in one warm engine process (cache cleared before each): `restored`, `fresh`, and `in_memory`
(the turn right after the long one, its cache still there: what a restore has to match); their
difference is what the restore itself costs. The saved file is put back as it was
before each restored turn (the engine saves the longer state after each reply), so every run
restores the same state. The paths run in a rotating order.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path
from time import perf_counter, sleep

from bench.common import model_path, write_result

TARGET = 1.2
PATHS = ("restored", "restored_cold", "opened", "without", "fresh")
TYPING_S = 1.0  # the user types the message after opening the conversation
SUBJECTS = ("lighthouses", "bread", "tides", "trains", "bees", "glass", "maps", "tea", "clocks")


def long_conversation(engine, tokens: int) -> list:
    """System prompt and turns about SUBJECTS until the prompt holds `tokens` tokens."""
    from app.core.types import ChatMessage

    messages = [ChatMessage("system", "You are a helpful assistant. Answer clearly.")]
    turn = 0
    while len(engine.tokenize_prompt(engine.render_prompt(messages))) < tokens:
        subject = SUBJECTS[turn % len(SUBJECTS)]
        facts = " ".join(f"Fact {i} about {subject} in region {turn}." for i in range(12))
        messages.append(ChatMessage("user", f"Tell me about {subject}, part {turn}."))
        messages.append(ChatMessage("assistant", f"Here is what I know. {facts}"))
        turn += 1
    return messages


def drop_from_page_cache(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def one_turn(
    model: Path, options, messages, params, session, opened: bool = False
) -> dict[str, float]:
    """A newly started engine process: load (not timed), then one turn, timed by the caller;
    `opened`: the conversation opened first (warm), while the user types (not timed)."""
    from app.core.backends.local_process import ProcessEngine

    engine = ProcessEngine()
    try:
        engine.load(model, options)
        if opened:
            engine.warm(messages[:-1], session)
            sleep(TYPING_S)
        started = perf_counter()
        stream = engine.generate(messages, params, session=session)
        first = 0.0
        for _piece in stream:
            first = first or perf_counter() - started
        stats = stream.stats
    finally:
        engine.unload()  # the process ends (after saving, with a session)
    return {
        "ttft_ms": first * 1000,
        "prompt_tokens": stats.prompt_tokens,
        "evaluated": stats.prompt_tokens_evaluated,
    }


def warm_turns(model: Path, options, turns, history, params, saved: bytes, runs: int) -> dict:
    """The same turns in one engine process, already warm: medians in ms."""
    from app.core.backends.local_process import ProcessEngine

    following, session = turns["restored"]
    engine = ProcessEngine()
    engine.load(model, options)
    times: dict[str, list[float]] = {"restored": [], "in_memory": [], "fresh": []}
    evaluated: dict[str, int] = {}

    def first_piece(messages, kept=None, path: str = "") -> float:
        started = perf_counter()
        stream = engine.generate(messages, params, session=kept)
        first = 0.0
        for _piece in stream:
            first = first or perf_counter() - started
        if path:
            evaluated[path] = stream.stats.prompt_tokens_evaluated
        return first * 1000

    try:
        first_piece(turns["fresh"][0])  # the process's first decode, not timed
        for _ in range(runs):
            engine.clear_cache()
            session.path.write_bytes(saved)
            times["restored"].append(first_piece(following, session, "restored"))
            engine.clear_cache()
            times["fresh"].append(first_piece(turns["fresh"][0], path="fresh"))
            engine.clear_cache()
            first_piece(history)  # the reply, then the next turn's opening, as in the app
            times["in_memory"].append(first_piece(following, path="in_memory"))
    finally:
        engine.unload()
    medians = {path: statistics.median(values) for path, values in times.items()}
    return {**medians, "evaluated": evaluated}


def main(argv: list[str] | None = None) -> int:
    from app.core.backends.local_process import ProcessEngine
    from app.core.kv_cache import StateSession
    from app.core.types import ChatMessage, GenerationParams, LoadOptions

    parser = argparse.ArgumentParser(prog="bench.bench_restore", description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--context", type=int, default=8192)
    parser.add_argument("--tokens", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)

    model = model_path()
    options = LoadOptions(context_size=args.context, threads=args.threads)
    params = GenerationParams(max_tokens=16, temperature=0.0, seed=1)
    with tempfile.TemporaryDirectory(prefix="bench-restore-") as tmp:
        session = StateSession(1, Path(tmp) / "kv_cache", 4096 << 20)
        setup = ProcessEngine()
        setup.load(model, options)
        history = long_conversation(setup, args.tokens)
        stream = setup.generate(history, params, session=session)
        answer = "".join(stream)
        setup.unload()  # the engine process saves the state, then ends
        saved = session.path.read_bytes()
        following = [*history, ChatMessage("assistant", answer),
                     ChatMessage("user", "And which of these would you visit first?")]  # fmt: skip
        turns = {
            "restored": (following, session),
            "restored_cold": (following, session),
            "opened": (following, session),
            "without": (following, None),
            "fresh": ([ChatMessage("user", "Hello! What can you do?")], None),
        }
        runs: list[dict[str, dict[str, float]]] = []
        for i in range(args.runs):
            order = PATHS[i % len(PATHS) :] + PATHS[: i % len(PATHS)]
            result = {}
            for path in order:
                messages, kept = turns[path]
                if kept is not None:
                    session.path.write_bytes(saved)
                    if path == "restored_cold":
                        drop_from_page_cache(session.path)
                result[path] = one_turn(
                    model, options, messages, params, kept, opened=path == "opened"
                )
            runs.append(result)
            line = "  ".join(
                f"{p} {result[p]['ttft_ms']:6.0f} ms ({result[p]['evaluated']} evaluated)"
                for p in PATHS
            )
            print(f"run {i + 1}: {line}", file=sys.stderr)
        warm = warm_turns(model, options, turns, history, params, saved, args.runs)

    median = {p: statistics.median(r[p]["ttft_ms"] for r in runs) for p in PATHS}
    ratios = {
        f"{p}/fresh": statistics.median(r[p]["ttft_ms"] / r["fresh"]["ttft_ms"] for r in runs)
        for p in PATHS
        if p != "fresh"
    }
    evaluated = {p: runs[0][p]["evaluated"] for p in PATHS}
    prompt = {p: runs[0][p]["prompt_tokens"] for p in PATHS}
    report = {
        "threads": args.threads, "n_ctx": args.context, "runs": args.runs,
        "state_file_bytes": len(saved), "median_ttft_ms": median, "ratios": ratios,
        "prompt_tokens": prompt, "evaluated": evaluated, "target": TARGET, "all_runs": runs,
        "warm_median_ttft_ms": warm, "warm_ratio": warm["restored"] / warm["fresh"],
        "restore_ms": warm["restored"] - warm["in_memory"],
    }  # fmt: skip
    print(f"conversation of {prompt['without']} tokens, state file {len(saved) / 2**20:.1f} MiB, "
          f"threads {args.threads}, runs {args.runs}")  # fmt: skip
    print(f"{'path':14s} {'ttft ms':>8s} {'evaluated':>10s} {'÷ fresh':>8s}")
    for p in PATHS:
        ratio = ratios.get(f"{p}/fresh", 1.0)
        print(f"{p:14s} {median[p]:8.0f} {evaluated[p]:>5d}/{prompt[p]:<5d} {ratio:8.2f}")
    print(f"restored ÷ fresh: {ratios['restored/fresh']:.2f} (target ≤ {TARGET})")
    print(f"one warm process: restored {warm['restored']:.0f} ms, in memory "
          f"{warm['in_memory']:.0f} ms, fresh {warm['fresh']:.0f} ms: restored ÷ fresh "
          f"{report['warm_ratio']:.2f}, the restore {report['restore_ms']:.0f} ms")  # fmt: skip
    print(f"written to {write_result(args.output, 'restore', report)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
