"""Time to first token as a conversation grows: turn 20 against turn 1.

    .venv/bin/python -m bench.bench_latency [--threads 2] [--turns 20] [--runs 3]

One LocalEngine stays loaded, as in the window. A conversation grows turn by turn (a system
prompt, then user messages of 20-40 words and replies of up to --reply-tokens tokens), each
turn a real `generate()` on the whole history; each replay starts from an empty KV cache, as
a new conversation does. After each reply the engine's `save_state()` runs, as the engine
process runs it once the reply has reached the window: it evaluates the markup that opens the
next turn (app.core.next_turn) while the user reads. Each run replays the conversation twice,
the order swapped from run to run: `app` as just described (the figure), and `no opening` with
that step left out (the engine as it was), so the table shows what it changes side by side.
Time to first token (the engine's own stat: from the request, through history fitting,
templating, tokenizing and evaluating the prompt, to the first sampled token) is recorded per
turn, with the prompt tokens evaluated, which the KV-cache reuse keeps to the new tokens.
Medians per turn over --runs are reported, and the ratio turn N / turn 1. Target: ≤ 1.5.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from pathlib import Path

from bench.common import model_path, write_result

TARGET = 1.5
SYSTEM = "You are a helpful assistant. Answer clearly and briefly."
PATHS = ("app", "no opening")
TOPICS = ["lighthouses", "bread", "tides", "trains", "bees", "glass", "maps", "tea", "clocks"]


def user_message(rng: random.Random, turn: int) -> str:
    topic = TOPICS[turn % len(TOPICS)]
    words = [
        "Tell", "me", "more", "about", topic, "and", "how", "people", "used", "them", "in",
        "the", "past", "compared", "with", "today", "please", "give", "two", "examples",
        "and", "one", "surprising", "fact", "about", "their", "history", "that", "few",
        "people", "know", "and", "why", "it", "matters", "now",
    ]  # fmt: skip
    return " ".join(words[: rng.randint(20, len(words))]) + "?"


def run_conversation(
    engine, turns: int, reply_tokens: int, seed: int, open_next: bool = True
) -> list[dict]:
    from app.core.types import ChatMessage, GenerationParams

    rng = random.Random(seed)
    engine.clear_cache()  # a new conversation: nothing of the last one is reused
    history = [ChatMessage("system", SYSTEM)]
    rows = []
    for turn in range(1, turns + 1):
        history.append(ChatMessage("user", user_message(rng, turn)))
        params = GenerationParams(max_tokens=reply_tokens, seed=seed + turn, temperature=0.7)
        stream = engine.generate(history, params)
        reply = stream.text() if hasattr(stream, "text") else "".join(stream)
        stats = stream.stats
        history.append(ChatMessage("assistant", reply or "…"))
        if open_next:
            engine.save_state()  # what the engine process does once the reply has been sent
        rows.append(
            {
                "turn": turn,
                "ttft_ms": stats.time_to_first_token_s * 1000,
                "prompt_tokens": stats.prompt_tokens,
                "evaluated": stats.prompt_tokens_evaluated,
                # of the TTFT, the time llama.cpp spent evaluating the new prompt tokens
                "eval_ms": stats.prompt_tokens_evaluated / stats.prompt_tokens_per_s * 1000
                if stats.prompt_tokens_per_s
                else 0.0,
                "dropped": stats.dropped_messages,
            }
        )
    return rows


def medians(runs: list[list[dict]], turns: int) -> list[dict]:
    """Per turn, the median of each figure over the runs."""
    keys = ("ttft_ms", "prompt_tokens", "evaluated", "eval_ms")
    return [
        {"turn": turn + 1, **{k: statistics.median(r[turn][k] for r in runs) for k in keys}}
        for turn in range(turns)
    ]


def main(argv: list[str] | None = None) -> int:
    from app.core.engine import LocalEngine
    from app.core.types import LoadOptions

    parser = argparse.ArgumentParser(prog="bench.bench_latency", description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--context", type=int, default=4096)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reply-tokens", type=int, default=48)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)

    engine = LocalEngine()
    info = engine.load(model_path(), LoadOptions(context_size=args.context, threads=args.threads))
    runs: dict[str, list[list[dict]]] = {path: [] for path in PATHS}
    for run in range(args.runs):
        order = PATHS if run % 2 == 0 else PATHS[::-1]
        for path in order:
            rows = run_conversation(
                engine, args.turns, args.reply_tokens, 100 + run, open_next=path == "app"
            )
            runs[path].append(rows)
            first, last = rows[0], rows[-1]
            print(
                f"run {run + 1} {path}: turn 1 {first['ttft_ms']:.0f} ms "
                f"({first['evaluated']} evaluated), turn {args.turns} {last['ttft_ms']:.0f} ms "
                f"({last['evaluated']} of {last['prompt_tokens']} evaluated)",
                file=sys.stderr,
            )
    engine.unload()
    per_turn = {path: medians(runs[path], args.turns) for path in PATHS}
    ratios = {path: rows[-1]["ttft_ms"] / rows[0]["ttft_ms"] for path, rows in per_turn.items()}
    app = per_turn["app"]
    report = {
        "model": info.name, "threads": args.threads, "n_ctx": info.n_ctx,
        "turns": args.turns, "runs": args.runs, "reply_tokens": args.reply_tokens,
        "ttft_turn1_ms": app[0]["ttft_ms"], "ttft_last_ms": app[-1]["ttft_ms"],
        "ratio": ratios["app"], "ratio_no_opening": ratios["no opening"], "target": TARGET,
        "per_turn": app, "per_turn_no_opening": per_turn["no opening"], "all_runs": runs,
    }  # fmt: skip
    base = per_turn["no opening"]
    print(f"{'':4} {'app':>35} | {'no opening':>26}")
    print(f"{'turn':>4} {'ttft ms':>8} {'eval ms':>8} {'prompt':>7} {'evaluated':>9} | "
          f"{'ttft ms':>8} {'eval ms':>8} {'evaluated':>9}")  # fmt: skip
    for row, other in zip(app, base, strict=True):
        print(
            f"{row['turn']:4d} {row['ttft_ms']:8.0f} {row['eval_ms']:8.0f} "
            f"{row['prompt_tokens']:7.0f} {row['evaluated']:9.0f} | "
            f"{other['ttft_ms']:8.0f} {other['eval_ms']:8.0f} {other['evaluated']:9.0f}"
        )
    print(
        f"turn {args.turns} / turn 1: {ratios['app']:.2f} (target ≤ {TARGET}); "
        f"without the next turn's opening: {ratios['no opening']:.2f}"
    )
    print(f"written to {write_result(args.output, 'latency', report)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
