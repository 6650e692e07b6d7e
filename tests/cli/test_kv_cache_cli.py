"""`enclave chat --continue` in a new process reopens a long conversation warm, and
`enclave history delete` erases its saved KV state."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.helpers.cli import enclave

QUESTION = "Tell me about bridges. " + " ".join(
    f"Bridge {i} crosses the river near the old mill and carries the main road." for i in range(40)
)



def _reply_stats(data_dir: Path) -> list[dict]:
    with sqlite3.connect(data_dir / "enclave.sqlite3") as con:
        rows = con.execute("SELECT stats FROM messages WHERE role = 'assistant' ORDER BY id")
        return [json.loads(stats) for (stats,) in rows]


def test_continue_in_a_new_process_evaluates_only_the_new_turn(data_dir: Path) -> None:
    args = ("--max-tokens", "8", "--temperature", "0", "--seed", "1")
    first = enclave("chat", *args, QUESTION, data_dir=data_dir)
    assert first.code == 0, first.err
    state = data_dir / "kv_cache" / "conversation-1.kv"
    assert state.exists()
    second = enclave("chat", "--continue", "1", *args, "Which one is the longest?",
                     data_dir=data_dir)  # fmt: skip
    assert second.code == 0, second.err
    before, after = _reply_stats(data_dir)
    assert before["prompt_tokens_evaluated"] == before["prompt_tokens"] > 500
    assert after["prompt_tokens"] > before["prompt_tokens"]
    assert 0 < after["prompt_tokens_evaluated"] < 30

    deleted = enclave("history", "delete", "1", data_dir=data_dir)
    assert deleted.code == 0, deleted.err
    assert not state.exists()
