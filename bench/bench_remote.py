"""A reply streamed from a company server through Enclave's remote backend, against the same
request read directly with the official `openai` client, side by side in one run.

    .venv/bin/python -m bench.bench_remote [--runs 5] [--tokens 64] [--threads 1] [--tls]

Two identical real OpenAI-compatible servers (llama-cpp-python's `llama_cpp.server`, the
bundled model, `--threads` each, started by tests/helpers/openai_server.py on 127.0.0.1 with an
API key; `--tls` adds a test CA's certificate) answer the two paths at the same time: in each
run the same request (same messages, `max_tokens`, greedy sampling, seed) goes through
`RemoteBackend.generate()` (history fitting, SSE parsing, Thought/answer split, stats, the
network guard's permit) to one server and through `openai.OpenAI().chat.completions.create(
stream=True)` to the other, both started together; the next run swaps the servers. Whatever
else the machine does then slows both paths alike (run one after the other on a shared
machine, two replies differ by far more than the client's own cost). One warm-up of each first.

- **tokens/s**: pieces after the first ÷ time from the first piece to the last, as the caller
  receives them; the ratio remote ÷ openai is the median of the per-run ratios. Target ≥ 0.98.
- **first-token overhead**: time from the call to the first piece, remote minus openai, median
  of the per-run differences, in ms. Target ≤ 20 ms.
- **client CPU per reply**: CPU time of the calling thread over the whole reply (time spent
  waiting for the server excluded), each path: Enclave's own cost, free of the server's noise.
- **same reply**: both paths received the same text (greedy, same seed), so they were timed on
  the same work.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import model_path, write_result
from tests.helpers.openai_server import API_KEY, MODEL_ID, OpenAIServer, TestCA

RATIO_TARGET = 0.98
OVERHEAD_TARGET_MS = 20.0
PROMPT = "Write a long story about a lighthouse keeper and the sea, in many short sentences."


def timed_pieces(pieces: Any, started: float, cpu_started: float) -> dict[str, Any]:
    first = last = None
    count = 0
    text = []
    for piece in pieces:
        now = time.perf_counter()
        text.append(piece)
        first = now if first is None else first
        last = now
        count += 1
    if first is None or last is None or count < 2:
        raise SystemExit("bench_remote: the server sent fewer than two pieces; nothing to time")
    return {
        "ttft_ms": (first - started) * 1000,
        "pieces": count,
        "tokens_per_s": (count - 1) / (last - first),
        "total_s": last - started,
        # CPU time of the calling thread for the whole reply (waiting for the server excluded)
        "client_cpu_ms": (time.thread_time() - cpu_started) * 1000,
        "text": "".join(text),
    }


def through_backend(backend: Any, tokens: int) -> dict[str, Any]:
    from app.core.types import ChatMessage, GenerationParams

    params = GenerationParams(max_tokens=tokens, temperature=0.0, seed=1)
    started, cpu = time.perf_counter(), time.thread_time()
    stream = backend.generate([ChatMessage("user", PROMPT)], params)
    return timed_pieces(stream, started, cpu)


def through_openai(client: Any, model: str, tokens: int) -> dict[str, Any]:
    from app.core.types import GenerationParams

    p = GenerationParams(max_tokens=tokens, temperature=0.0, seed=1)
    started, cpu = time.perf_counter(), time.thread_time()
    stream = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": PROMPT}],
        stream=True,
        stream_options={"include_usage": True},
        max_tokens=p.max_tokens,
        temperature=p.temperature,
        top_p=p.top_p,
        seed=p.seed,
        extra_body={"top_k": p.top_k, "min_p": p.min_p, "repeat_penalty": p.repeat_penalty},
    )
    pieces = (
        c.choices[0].delta.content
        for c in stream
        if c.choices and c.choices[0].delta and c.choices[0].delta.content
    )
    return timed_pieces(pieces, started, cpu)


def side_by_side(backends: list[Any], clients: list[Any], tokens: int, i: int) -> dict[str, Any]:
    """Run `i`: the remote backend on server i % 2 and the openai client on the other, together."""
    start = threading.Barrier(2)
    jobs = {
        "remote": lambda: through_backend(backends[i % 2], tokens),
        "openai": lambda: through_openai(clients[(i + 1) % 2], MODEL_ID, tokens),
    }

    def run(path: str) -> dict[str, Any]:
        start.wait()
        return jobs[path]()

    with ThreadPoolExecutor(2) as pool:
        futures = {path: pool.submit(run, path) for path in jobs}
        result: dict[str, Any] = {path: f.result() for path, f in futures.items()}
    result["remote_server"] = "ab"[i % 2]
    result["same_text"] = result["remote"].pop("text") == result["openai"].pop("text")
    result["ratio"] = result["remote"]["tokens_per_s"] / result["openai"]["tokens_per_s"]
    result["overhead_ms"] = result["remote"]["ttft_ms"] - result["openai"]["ttft_ms"]
    print(
        f"run {i}: remote {result['remote']['tokens_per_s']:.1f} vs openai "
        f"{result['openai']['tokens_per_s']:.1f} tokens/s (ratio {result['ratio']:.3f}), first "
        f"piece {result['remote']['ttft_ms']:.1f} vs {result['openai']['ttft_ms']:.1f} ms",
        file=sys.stderr,
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.bench_remote", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=64, help="max_tokens of each reply")
    parser.add_argument("--threads", type=int, default=1, help="threads of each server")
    parser.add_argument("--tls", action="store_true", help="serve over TLS (a test CA)")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)

    import httpx
    import openai

    from app.core import netguard
    from app.core.backends.remote import RemoteBackend
    from app.core.backends.servers import Server
    from app.core.backends.tls import ssl_context
    from app.core.types import LoadOptions

    netguard.install()  # as in the app: the backend opens its server's port, nothing else
    with tempfile.TemporaryDirectory(prefix="enclave-bench-remote-") as name:
        folder = Path(name)
        tls = TestCA(folder / "ca") if args.tls else None
        ca = tls.ca_file if tls else None
        servers = [OpenAIServer(model_path(), tls=tls, threads=args.threads) for _ in "ab"]
        try:
            for server in servers:
                server.start()
            backends, clients = [], []
            for server in servers:
                backend = RemoteBackend(Server("bench", server.url, API_KEY, ca_file=ca))
                backend.load(f"bench/{MODEL_ID}", LoadOptions(context_size=1024))
                backends.append(backend)
                http = httpx.Client(verify=ssl_context(ca)) if tls else None
                clients.append(openai.OpenAI(base_url=server.url, api_key=API_KEY,
                                             http_client=http))  # fmt: skip
            runs = [side_by_side(backends, clients, args.tokens, i) for i in range(args.runs + 1)]
            runs = runs[1:]  # the first pair warms both servers and both clients up
            for backend in backends:
                backend.close()
        finally:
            for server in servers:
                server.stop()

    result = {
        "runs": runs,
        "tokens": args.tokens,
        "threads": args.threads,
        "tls": args.tls,
        "pieces": runs[0]["remote"]["pieces"],
        "remote_tokens_per_s": statistics.median(r["remote"]["tokens_per_s"] for r in runs),
        "openai_tokens_per_s": statistics.median(r["openai"]["tokens_per_s"] for r in runs),
        "ratio": statistics.median(r["ratio"] for r in runs),
        "ttft_overhead_ms": statistics.median(r["overhead_ms"] for r in runs),
        "remote_cpu_ms": statistics.median(r["remote"]["client_cpu_ms"] for r in runs),
        "openai_cpu_ms": statistics.median(r["openai"]["client_cpu_ms"] for r in runs),
        "same_text": all(r["same_text"] for r in runs),  # both paths got the same reply
        "ratio_target": RATIO_TARGET,
        "overhead_target_ms": OVERHEAD_TARGET_MS,
    }
    write_result(args.output, "remote", result)
    print("| path | tokens/s (median) | first piece (median) |\n|---|---|---|")
    for path in ("remote", "openai"):
        ttft = statistics.median(r[path]["ttft_ms"] for r in runs)
        print(f"| {path} | {result[f'{path}_tokens_per_s']:.1f} | {ttft:.1f} ms |")
    print(
        f"client CPU per reply: remote {result['remote_cpu_ms']:.1f} ms, openai "
        f"{result['openai_cpu_ms']:.1f} ms ({result['pieces']} pieces)"
    )
    print(
        f"same reply on both paths: {result['same_text']}; "
        f"ratio remote ÷ openai {result['ratio']:.3f} (target ≥ {RATIO_TARGET}); first-token "
        f"overhead {result['ttft_overhead_ms']:+.1f} ms (target ≤ {OVERHEAD_TARGET_MS:.0f} ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
