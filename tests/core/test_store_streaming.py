"""A streamed reply reaches the database while it is generated and survives a crash."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from app.core.errors import Cancelled
from app.core.store import Store
from app.core.types import GenerationStats


class ManualClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def stored_content(db: Path, message_id: int) -> tuple[str, str]:
    """Read the message through a separate, plain sqlite3 connection (what another process sees)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT content, status FROM messages WHERE id = ?", (message_id,)
        ).fetchone()
        return row[0], row[1]
    finally:
        conn.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "enclave.sqlite3"


def test_writer_flushes_by_time_before_finish(db: Path) -> None:
    clock = ManualClock()
    with Store.open(db) as store:
        conv = store.create_conversation()
        store.add_message(conv.id, "user", "Count to three")
        reply = store.add_message(conv.id, "assistant", "", status="streaming")
        writer = store.stream_writer(reply.id, flush_interval_s=1.0, clock=clock)

        writer.append("One")  # the first piece is written at once
        assert stored_content(db, reply.id) == ("One", "streaming")
        clock.t += 0.4
        writer.append(", two")  # within the interval: kept in memory only
        assert stored_content(db, reply.id) == ("One", "streaming")
        assert writer.content == "One, two"
        clock.t += 0.7  # 1.1 s since the last write
        writer.append(", three")
        assert stored_content(db, reply.id) == ("One, two, three", "streaming")
        clock.t += 0.2
        writer.append(".")
        assert stored_content(db, reply.id)[0] == "One, two, three"
        assert writer.flush_count == 2

        stats = GenerationStats(generated_tokens=4, decode_tokens_per_s=20.0)
        final = writer.finish("complete", stats)
        assert stored_content(db, reply.id) == ("One, two, three.", "complete")
        assert final.content == "One, two, three." and final.generated_tokens == 4
        assert final.tokens_per_s == pytest.approx(20.0)
        assert writer.finish() is final  # finishing twice changes nothing
        with pytest.raises(RuntimeError):
            writer.append("more")
        assert store.get_conversation(conv.id).updated_at >= final.updated_at


def test_writer_as_context_records_cancel_and_failure(db: Path) -> None:
    with Store.open(db) as store:
        conv = store.create_conversation()
        cancelled = store.add_message(conv.id, "assistant", "", status="streaming")
        with pytest.raises(Cancelled), store.stream_writer(cancelled.id) as writer:
            writer.append("half an ans")
            raise Cancelled()
        failed = store.add_message(conv.id, "assistant", "", status="streaming")
        with pytest.raises(ValueError), store.stream_writer(failed.id) as writer:
            writer.append("oops")
            raise ValueError("backend broke")
        done = store.add_message(conv.id, "assistant", "", status="streaming")
        with store.stream_writer(done.id) as writer:
            writer.append("all of it")
        assert store.get_message(cancelled.id).status == "cancelled"
        assert store.get_message(cancelled.id).content == "half an ans"
        assert store.get_message(failed.id).status == "failed"
        assert store.get_message(done.id).status == "complete"


def test_mark_interrupted_turns_streaming_into_partial(db: Path) -> None:
    with Store.open(db) as store:
        conv = store.create_conversation()
        reply = store.add_message(conv.id, "assistant", "")
        writer = store.stream_writer(reply.id, flush_interval_s=0)
        writer.append("Once upon")
        writer.append(" a time")
        done = store.add_message(conv.id, "assistant", "complete one")
        # no finish(): the process "dies" here
    with Store.open(db) as store:
        assert store.mark_interrupted() == 1
        assert store.mark_interrupted() == 0
        message = store.get_message(reply.id)
        assert (message.content, message.status) == ("Once upon a time", "partial")
        assert store.get_message(done.id).status == "complete"


@pytest.mark.parametrize("history", [True, False], ids=["file", "memory"])
def test_reads_proceed_while_a_worker_streams(db: Path, history: bool) -> None:
    with Store.open(db, history_enabled=history) as store:
        conv = store.create_conversation(title="busy")
        store.add_message(conv.id, "user", "go")
        reply = store.add_message(conv.id, "assistant", "", status="streaming")
        errors: list[BaseException] = []
        rounds = 6
        barrier = threading.Barrier(2, timeout=30)

        def worker() -> None:
            try:
                with store.stream_writer(reply.id, flush_interval_s=0) as writer:
                    for n in range(rounds * 50):
                        writer.append(f"w{n} ")
                        if n % 50 == 49:
                            barrier.wait()  # let the reader look, then keep writing meanwhile
            except BaseException as exc:  # reported to the main thread below
                errors.append(exc)
                barrier.abort()

        thread = threading.Thread(target=worker)
        thread.start()
        seen_lengths = []
        for _ in range(rounds):
            barrier.wait()
            assert store.list_conversations()[0].id == conv.id
            path = store.active_path(conv.id)
            assert path[-1].id == reply.id
            seen_lengths.append(path[-1].content.count(" "))
            store.search("w1")
        thread.join(timeout=30)
        assert errors == []
        assert seen_lengths == sorted(seen_lengths) and seen_lengths[0] >= 50
        final = store.get_message(reply.id)
        assert final.status == "complete" and final.content.count(" ") == rounds * 50


CHILD = textwrap.dedent(
    """
    import sys
    from app.core.store import Store

    store = Store.open(sys.argv[1])
    conv = store.create_conversation()
    store.add_message(conv.id, "user", "tell a long story")
    reply = store.add_message(conv.id, "assistant", "", status="streaming")
    writer = store.stream_writer(reply.id, flush_interval_s=0)
    for n in range(50):
        writer.append(f"piece{n} ")
    print(reply.id, flush=True)
    sys.stdin.read()  # wait to be killed
    """
)


def test_sigkill_mid_stream_loses_nothing_flushed(db: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db)],
        cwd=repo,
        env={**os.environ, "PYTHONPATH": str(repo)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline()  # type: ignore[union-attr]
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    reply_id = int(line)
    with Store.open(db) as store:
        assert store.integrity_check() == []
        assert store.mark_interrupted() == 1
        message = store.get_message(reply_id)
    assert message.status == "partial"
    assert message.content == "".join(f"piece{n} " for n in range(50))
