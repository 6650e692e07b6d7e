"""`enclave chat` and `enclave self-test` end to end, on the real default model."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.helpers.cli import enclave


def _messages(data_dir: Path) -> list[tuple[int, str, str, str]]:
    with sqlite3.connect(data_dir / "enclave.sqlite3") as con:
        return con.execute(
            "SELECT conversation_id, role, status, content FROM messages ORDER BY id"
        ).fetchall()


def test_chat_streams_an_answer_and_saves_it(data_dir: Path) -> None:
    result = enclave("chat", "--max-tokens", "24", "--seed", "7", "Bonjour", data_dir=data_dir)
    assert result.code == 0, result.err
    assert result.out.strip(), "no answer on stdout"
    assert "[conversation 1 ·" in result.err
    rows = _messages(data_dir)
    assert [(r[1], r[2]) for r in rows] == [("user", "complete"), ("assistant", "complete")]
    assert rows[0][3] == "Bonjour"
    assert rows[1][3].strip() == result.out.strip()


def test_continue_adds_to_the_same_conversation(data_dir: Path) -> None:
    first = enclave("chat", "--max-tokens", "8", "Hello there", data_dir=data_dir)
    assert first.code == 0, first.err
    second = enclave("chat", "--continue", "1", "--max-tokens", "8", "And then?", data_dir=data_dir)
    assert second.code == 0, second.err
    rows = _messages(data_dir)
    assert len(rows) == 4 and {r[0] for r in rows} == {1}


def test_prompt_from_stdin(data_dir: Path) -> None:
    result = enclave("chat", "--max-tokens", "4", "-", data_dir=data_dir, stdin="Tell me")
    assert result.code == 0, result.err
    assert _messages(data_dir)[0][3] == "Tell me"


def test_self_test_passes_and_reports_json(data_dir: Path) -> None:
    result = enclave("self-test", "--json", data_dir=data_dir)
    assert result.code == 0, result.out + result.err
    report = json.loads(result.out)
    assert report["ok"] is True
    assert {c["name"] for c in report["checks"]} >= {"policy", "store", "model load", "generation"}
    assert all(c["ok"] for c in report["checks"])
    assert report["model"]["sha256"] == (
        "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
    )
    assert report["load_s"] > 0
    assert report["prompt_tokens_per_s"] > 0 and report["decode_tokens_per_s"] > 0


def test_self_test_human_output(data_dir: Path) -> None:
    result = enclave("self-test", data_dir=data_dir)
    assert result.code == 0, result.out + result.err
    assert "Enclave is ready." in result.out


def test_continue_on_a_summarised_document_answers_with_its_source(
    data_dir: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text(
        "The harbour committee met on Monday to review the budget.\n\n"
        "The launch code word for the new ferry is PELICAN, chosen by the crew.\n\n"
        "Repairs to the north pier will start in spring.\n",
        encoding="utf-8",
    )
    summary = enclave("summarize", notes, "--max-tokens", "24", data_dir=data_dir)
    assert summary.code == 0, summary.err
    answer = enclave(
        "chat",
        "--continue",
        "1",
        "--max-tokens",
        "16",
        "What is the launch code word?",
        data_dir=data_dir,
    )
    assert answer.code == 0, answer.err
    assert "notes.txt" in answer.out
    stored = _messages(data_dir)[-1]
    assert stored[1] == "assistant" and stored[2] == "complete" and "notes.txt" in stored[3]
    with sqlite3.connect(data_dir / "enclave.sqlite3") as con:
        (stats,) = con.execute("SELECT stats FROM messages ORDER BY id DESC LIMIT 1").fetchone()
    from app.core.chat.citations import citations_from_stats

    cited = citations_from_stats(json.loads(stats))  # the window shows these sources again
    assert cited and cited[0].document_name == "notes.txt"


def test_ctrl_c_stops_the_answer_and_keeps_what_was_written(data_dir: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--data-dir", str(data_dir), "chat", "--max-tokens",
         "4000", "--seed", "3", "Count from 1 to 1000: 1, 2, 3, 4, 5, 6, 7,"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
        # as from a terminal: a run started in the background inherits SIGINT ignored, and
        # Python then installs no Ctrl-C handler
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    assert proc.stdout is not None
    first = proc.stdout.read(8)  # the answer (~400 tokens, ~8 s here) has started streaming
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert b"partial answer is saved" in err
    _conversation, role, status, content = _messages(data_dir)[-1]
    assert (role, status) == ("assistant", "cancelled")
    assert content and (first + out).decode(errors="replace").startswith(content[:4])


def test_a_looping_answer_stops_by_itself_with_a_note(data_dir: Path) -> None:
    result = enclave(
        "chat", "--temperature", "0", "--max-tokens", "512", "Bonjour", data_dir=data_dir
    )
    assert result.code == 0, result.err
    assert "repeating itself" in result.err
    with sqlite3.connect(data_dir / "enclave.sqlite3") as con:
        (stats,) = con.execute("SELECT stats FROM messages ORDER BY id DESC LIMIT 1").fetchone()
    stats = json.loads(stats)
    assert stats["stop_reason"] == "loop" and stats["generated_tokens"] < 400
