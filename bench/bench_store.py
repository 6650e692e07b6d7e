"""The conversation store at scale: 10,000 conversations and 1,000,000 messages.

    .venv/bin/python -m bench.bench_store [--runs 15] [--rebuild]

The database is made once by `Store.open` (the real schema, FTS index and triggers) and filled
with fast bulk inserts (sqlite3 executemany, the triggers indexing every message as they
would in use); it is cached under ~/.cache/enclave-bench and reused. One conversation holds
2,000 messages, the others about 100 each; texts are drawn from a Zipf-distributed
vocabulary, so common words are common and rare ones rare, as in real chats.

Figures (medians over --runs, milliseconds), each against its target:
  sidebar   Store.list_conversations() as the sidebar calls it, and the real Sidebar widget's
            refresh() (query + building the items), offscreen — target 50 ms
  search    Store.search() for very common, common, rare, prefix and two-word queries (the
            slowest is the figure) — target 100 ms
  open      a 2,000-message conversation: Store.active_path(), and the real MainWindow's
            show_conversation() until the chat view has painted — target 150 ms
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import CACHE, empty_policy, timed, write_result

CONVERSATIONS = 10_000
MESSAGES = 1_000_000
LONG_CONVERSATION = 2_000
GENERATOR_VERSION = 1
TARGETS_MS = {"sidebar": 50.0, "search": 100.0, "open": 150.0}
QUERIES = {
    "very common word": "time",
    "common word": "budget",
    "rare word": None,  # a word of the long tail, drawn with the data (see queries())
    "prefix": "mainten",
    "two words": "budget staffing",
}
# Words a chat is made of; the first ones most often (Zipf). Plus a long tail of rare ones.
_WORD_LIST = (
    "the of and to a in is it you that he was for on are with as I his they be at one have "
    "this from or had by not word but what some we can out other were all there when up use "
    "your how said an each she which do their time if will way about many then them write "
    "would like so these her long make thing see him two has look more day could go come did "
    "number sound no most people my over know water than call first who may down side been "
    "now find any new work part take get place made live where after back little only round "
    "man year came show every good me give our under name very through just form sentence "
    "great think say help low line differ turn cause much mean before move right boy old too "
    "same tell does set three want air well also play small end put home read hand port large "
    "spell add even land here must big high such follow act why ask men change went light "
    "kind budget staffing maintenance training supplier proposal committee report python "
    "function error list sort table summary document page question answer model context token "
    "memory été réunion budget équipe données fichier résumé problème solution exemple"
)
BASE_WORDS = _WORD_LIST.split()


def vocabulary(rng: random.Random) -> list[str]:
    tail = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 11)))
            for _ in range(20_000)]  # fmt: skip
    return [*BASE_WORDS, "lighthouse", *tail]


def queries(seed: int = 7) -> dict[str, str]:
    """QUERIES, with the rare word taken from the same vocabulary `build` drew from."""
    rare = vocabulary(random.Random(seed))[-1]
    return {label: q if q is not None else rare for label, q in QUERIES.items()}


def database_path() -> Path:
    from app.core.store.database import HEAD_REVISION

    return CACHE / f"store-v{GENERATOR_VERSION}-{HEAD_REVISION}" / "enclave.sqlite3"


def build(
    path: Path, seed: int = 7, conversations: int = CONVERSATIONS, messages: int = MESSAGES
) -> None:
    """Create the schema with the real Store, then bulk-insert everything in one transaction."""
    from app.core.store import Store

    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    Store.open(path).close()
    rng = random.Random(seed)
    words = vocabulary(rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    cum = list(_accumulate(weights))

    def text(n_words: int) -> str:
        return " ".join(rng.choices(words, cum_weights=cum, k=n_words))

    start = datetime(2024, 1, 1, tzinfo=UTC)
    others = _split(messages - LONG_CONVERSATION, conversations - 1, rng)
    per_conversation = [LONG_CONVERSATION, *others]
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous = OFF")
    con.execute("BEGIN")
    message_id = 0
    for conv_id, count in enumerate(per_conversation, start=1):
        created = start + timedelta(minutes=rng.randint(0, 525_600))
        stamp = _stamp(created)
        con.execute(
            "INSERT INTO conversations (id, title, title_is_auto, system_prompt, pinned, "
            "created_at, updated_at) VALUES (?, ?, 1, '', ?, ?, ?)",
            (conv_id, text(rng.randint(2, 6)).capitalize(), rng.random() < 0.01, stamp, stamp),
        )
        rows = []
        parent = None
        for index in range(count):
            message_id += 1
            role = "user" if index % 2 == 0 else "assistant"
            body = text(rng.randint(4, 20) if role == "user" else rng.randint(20, 70))
            when = _stamp(created + timedelta(seconds=20 * index))
            rows.append((message_id, conv_id, parent, role, body, when, when))
            parent = message_id
        con.executemany(
            "INSERT INTO messages (id, conversation_id, parent_id, role, content, status, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'complete', ?, ?)",
            rows,
        )
        con.execute(
            "UPDATE conversations SET active_leaf_id = ?, updated_at = ? WHERE id = ?",
            (message_id, rows[-1][5], conv_id),
        )
        if conv_id % 1000 == 0:
            print(f"  {conv_id} conversations, {message_id} messages", file=sys.stderr)
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def _accumulate(values: list[float]):
    total = 0.0
    for v in values:
        total += v
        yield total


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """`parts` even counts (whole turns) of about total/parts, summing to `total`."""
    base = total // parts
    counts = [max(2, base + rng.randint(-40, 40)) // 2 * 2 for _ in range(parts)]
    diff = total - sum(counts)
    i = 0
    while diff:
        step = 2 if diff > 1 else (1 if diff > 0 else (-2 if diff < -1 else -1))
        if counts[i % parts] + step >= 2:
            counts[i % parts] += step
            diff -= step
        i += 1
    return counts


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def ensure_database(rebuild: bool) -> Path:
    path = database_path()
    if rebuild or not path.exists():
        print(f"building {path} (once; cached afterwards)…", file=sys.stderr)
        started = time.perf_counter()
        build(path)
        print(f"built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return path


def measure_store(path: Path, runs: int) -> dict:
    from app.core.store import Store

    results: dict = {}
    with Store.open(path) as store:
        assert store.count_conversations() == CONVERSATIONS
        assert store.count_messages() == MESSAGES
        results["sidebar_store"] = timed(lambda: store.list_conversations(), runs)
        results["search"] = {
            label: timed(lambda q=q: store.search(q, limit=50), runs)
            for label, q in queries().items()
        }
        results["sidebar_search"] = timed(lambda: store.list_conversations(query="budget"), runs)
        results["open_store"] = timed(lambda: store.active_path(1), runs)
        assert len(store.active_path(1)) == LONG_CONVERSATION
    return results


def measure_window(path: Path, runs: int) -> dict:
    """The real window, offscreen: sidebar refresh, and opening the long conversation."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    from app.core.config.runtime import Runtime
    from app.ui.application import create_qapp, open_window
    from app.ui.message_widget import MessageWidget

    app = create_qapp()
    runtime = Runtime.create(path.parent, empty_policy(path.parent))
    window = open_window(runtime)
    window.show()
    _settle(app)

    class PaintWatch(QObject):
        painted_at: float | None = None

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if (
                self.painted_at is None
                and event.type() == QEvent.Type.Paint
                and isinstance(obj, MessageWidget)
            ):
                self.painted_at = time.perf_counter()
            return False

    watch = PaintWatch()
    app.installEventFilter(watch)
    opens = []
    for i in range(runs + 1):
        window.show_conversation(2 + i)  # a short one in between: the long one is rebuilt
        _settle(app)
        watch.painted_at = None
        started = time.perf_counter()
        window.show_conversation(1)
        deadline = started + 5
        while watch.painted_at is None and time.perf_counter() < deadline:
            app.processEvents()
        if watch.painted_at is not None and i:  # the first is a warm-up
            opens.append((watch.painted_at - started) * 1000)
        _settle(app)
    app.removeEventFilter(watch)
    result = {
        "sidebar_widget": timed(window.sidebar.refresh, runs),
        "open_to_first_paint": {
            "median_ms": sorted(opens)[len(opens) // 2] if opens else None,
            "min_ms": min(opens, default=None),
            "max_ms": max(opens, default=None),
            "runs": len(opens),
        },
        "messages_shown": len(window.chat_view.message_widgets),
    }
    window.shutdown()
    window.deleteLater()
    QApplication.processEvents()
    return result


def _settle(app) -> None:
    end = time.perf_counter() + 0.2
    while time.perf_counter() < end:
        app.processEvents()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.bench_store", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rebuild", action="store_true", help="regenerate the cached database")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    path = ensure_database(args.rebuild)
    store = measure_store(path, args.runs)
    window = measure_window(path, args.runs)
    search_worst = max(v["median_ms"] for v in store["search"].values())
    figures = {
        "sidebar_store_ms": store["sidebar_store"]["median_ms"],
        "sidebar_widget_ms": window["sidebar_widget"]["median_ms"],
        "sidebar_search_ms": store["sidebar_search"]["median_ms"],
        "search_worst_query_ms": search_worst,
        "open_store_ms": store["open_store"]["median_ms"],
        "open_first_paint_ms": window["open_to_first_paint"]["median_ms"],
    }
    report = {
        "database": {"path": str(path), "bytes": path.stat().st_size,
                     "conversations": CONVERSATIONS, "messages": MESSAGES},
        "targets_ms": TARGETS_MS, "figures": figures, "store": store, "window": window,
    }  # fmt: skip
    for name, value in figures.items():
        print(f"{name:24s} {value:8.1f} ms" if value is not None else f"{name:24s}      n/a")
    print(f"written to {write_result(args.output, 'store', report)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
