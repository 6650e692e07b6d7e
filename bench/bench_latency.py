"""Time to first token as a conversation grows: turn 20 against turn 1.

    .venv/bin/python -m bench.bench_latency [--threads 2] [--turns 20] [--runs 3]

One LocalEngine stays loaded, as in the window. A conversation grows turn by turn (a system
prompt, then user messages of 20-40 words and replies of up to --reply-tokens tokens), each
turn a real `generate()` on the whole history; each replay starts from an empty KV cache, as
a new conversation does. Time to first token (the engine's own stat:
from the request, through history fitting, templating, tokenizing and evaluating the prompt,
to the first sampled token) is recorded per turn, with the prompt tokens evaluated, which the
KV-cache reuse keeps to the new tokens. The conversation is replayed --runs times; medians
per turn are reported, and the ratio turn N / turn 1. Target: ≤ 1.5.
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


def run_conversation(engine, turns: int, reply_tokens: int, seed: int) -> list[dict]:
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
    runs = []
    for run in range(args.runs):
        rows = run_conversation(engine, args.turns, args.reply_tokens, seed=100 + run)
        runs.append(rows)
        first, last = rows[0], rows[-1]
        print(
            f"run {run + 1}: turn 1 {first['ttft_ms']:.0f} ms ({first['evaluated']} evaluated), "
            f"turn {args.turns} {last['ttft_ms']:.0f} ms ({last['evaluated']} of "
            f"{last['prompt_tokens']} evaluated)",
            file=sys.stderr,
        )
    engine.unload()
    per_turn = [
        {
            "turn": turn + 1,
            "ttft_ms": statistics.median(r[turn]["ttft_ms"] for r in runs),
            "prompt_tokens": statistics.median(r[turn]["prompt_tokens"] for r in runs),
            "evaluated": statistics.median(r[turn]["evaluated"] for r in runs),
            "eval_ms": statistics.median(r[turn]["eval_ms"] for r in runs),
        }
        for turn in range(args.turns)
    ]
    ratio = per_turn[-1]["ttft_ms"] / per_turn[0]["ttft_ms"]
    report = {
        "model": info.name, "threads": args.threads, "n_ctx": info.n_ctx,
        "turns": args.turns, "runs": args.runs, "reply_tokens": args.reply_tokens,
        "ttft_turn1_ms": per_turn[0]["ttft_ms"], "ttft_last_ms": per_turn[-1]["ttft_ms"],
        "ratio": ratio, "target": TARGET, "per_turn": per_turn, "all_runs": runs,
    }  # fmt: skip
    print(f"{'turn':>4} {'ttft ms':>8} {'eval ms':>8} {'prompt':>7} {'evaluated':>9}")
    for row in per_turn:
        print(
            f"{row['turn']:4d} {row['ttft_ms']:8.0f} {row['eval_ms']:8.0f} "
            f"{row['prompt_tokens']:7.0f} {row['evaluated']:9.0f}"
        )
    print(f"turn {args.turns} / turn 1: {ratio:.2f} (target ≤ {TARGET})")
    print(f"written to {write_result(args.output, 'latency', report)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
