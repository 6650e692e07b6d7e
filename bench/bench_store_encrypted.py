"""The encrypted history against the plain one, side by side in one run.

    .venv/bin/python -m bench.bench_store_encrypted [--runs 15] [--rebuild]

One plain database (bench_store's generator: Zipf-distributed words, the real schema, FTS index
and triggers; 1,000 conversations, 100,000 messages, one of them 2,000 messages long) is built
once and cached; its SQLCipher copy is made fresh each run with sqlcipher_export and a random
raw key, as the app's conversion does. Both are opened by the real Store and measured in turn:

  sidebar   Store.list_conversations(), as the sidebar calls it
  search    Store.search(), the slowest of bench_store's queries (very common … two words)
  open      Store.active_path() of the 2,000-message conversation
  cold_open a fresh Store: open, sidebar and the long conversation (every page decrypted anew)

Plain and encrypted calls alternate; each figure is a median over --runs (ms); the ratio
encrypted ÷ plain has a target of 1.3.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_store import build, queries
from bench.common import CACHE, write_result

CONVERSATIONS = 1_000
MESSAGES = 100_000
TARGET_RATIO = 1.3


def plain_database(rebuild: bool) -> Path:
    from app.core.store.database import HEAD_REVISION

    path = CACHE / f"store-small-v1-{HEAD_REVISION}" / "enclave.sqlite3"
    if rebuild or not path.exists():
        print(f"building {path} (once; cached afterwards)…", file=sys.stderr)
        started = time.perf_counter()
        build(path, conversations=CONVERSATIONS, messages=MESSAGES)
        print(f"built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return path


def encrypted_copy(plain: Path, folder: Path) -> tuple[Path, bytes]:
    from app.core.store import cipher

    key = cipher.new_key()
    target = folder / "enclave.sqlite3"
    source = cipher.connect(plain)
    try:
        cipher.export(source, target, key)
    finally:
        source.close()
    return target, key


def _pair(plain_fn, encrypted_fn, runs: int) -> dict:
    """Both timed in alternation, so a busy moment of the machine hits both alike."""
    results: dict = {"plain": [], "encrypted": []}
    for fn in (plain_fn, encrypted_fn):
        fn()  # warm-up
    for _ in range(runs):
        for label, fn in (("plain", plain_fn), ("encrypted", encrypted_fn)):
            started = time.perf_counter()
            fn()
            results[label].append((time.perf_counter() - started) * 1000)
    return {label: statistics.median(samples) for label, samples in results.items()}


def measure(plain: Path, encrypted: Path, key: bytes, runs: int) -> dict:
    from app.core.store import Store

    def cold(path: Path, k: bytes | None):
        def run() -> None:  # a fresh connection: SQLCipher decrypts every page it reads
            with Store.open(path, key=k) as store:
                store.list_conversations()
                store.active_path(1)

        return run

    with Store.open(plain) as p, Store.open(encrypted, key=key) as e:
        assert p.count_messages() == e.count_messages() == MESSAGES
        figures = {
            "sidebar": _pair(p.list_conversations, e.list_conversations, runs),
            "open": _pair(lambda: p.active_path(1), lambda: e.active_path(1), runs),
        }
        by_query = {
            label: _pair(lambda q=q: p.search(q, limit=50), lambda q=q: e.search(q, limit=50), runs)
            for label, q in queries().items()
        }
    figures["search"] = max(by_query.values(), key=lambda r: r["plain"])
    figures["cold_open"] = _pair(cold(plain, None), cold(encrypted, key), max(3, runs // 3))
    return {"figures": figures, "search_by_query": by_query}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench.bench_store_encrypted", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rebuild", action="store_true", help="regenerate the cached database")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    plain = plain_database(args.rebuild)
    with tempfile.TemporaryDirectory(prefix="enclave-bench-") as folder:
        encrypted, key = encrypted_copy(plain, Path(folder))
        measured = measure(plain, encrypted, key, args.runs)
        sizes = {"plain": plain.stat().st_size, "encrypted": encrypted.stat().st_size}
    figures = {}
    for name, pair in measured["figures"].items():
        ratio = pair["encrypted"] / pair["plain"]
        figures[name] = {
            "plain_ms": pair["plain"],
            "encrypted_ms": pair["encrypted"],
            "ratio": ratio,
        }
        print(
            f"{name:10s} plain {pair['plain']:8.2f} ms   encrypted {pair['encrypted']:8.2f} ms"
            f"   ratio {ratio:5.2f}"
        )
    report = {
        "database": {"conversations": CONVERSATIONS, "messages": MESSAGES, "bytes": sizes},
        "target_ratio": TARGET_RATIO,
        "figures": figures,
        "search_by_query": measured["search_by_query"],
    }
    print(f"written to {write_result(args.output, 'store_encrypted', report)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
