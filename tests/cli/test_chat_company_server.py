"""Chat through a company server named by the policy (a real llama_cpp.server over TLS) from the
command line: the conversation keeps the server's model, use is audited, and a server killed
mid-stream leaves the partial reply and a clear message (the window: tests/ui)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from app.core.config.runtime import Runtime
from tests.helpers.cli import assert_one_clear_line, enclave
from tests.helpers.openai_server import MODEL_ID, OpenAIServer

pytestmark = pytest.mark.model
SERVER_MODEL = f"gpu/{MODEL_ID}"


def stored(data: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(data / "enclave.sqlite3") as con:
        return con.execute(
            "SELECT role, status, model_name FROM messages ORDER BY id"
        ).fetchall()


def test_chat_and_continue_through_the_company_server(
    company_policy: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first = enclave("chat", "-m", SERVER_MODEL, "--max-tokens", "6", "Hello", data_dir=data)
    assert first.code == 0, first.err
    assert first.out.strip()
    again = enclave("chat", "--continue", "1", "--max-tokens", "6", "And then?", data_dir=data)
    assert again.code == 0, again.err
    assert [row for row in stored(data) if row[0] == "assistant"] == [
        ("assistant", "complete", MODEL_ID),
        ("assistant", "complete", MODEL_ID),
    ]
    with sqlite3.connect(data / "enclave.sqlite3") as con:
        assert con.execute("SELECT model FROM conversations").fetchone() == (SERVER_MODEL,)
    events = json.loads(enclave("audit", "show", "--json", data_dir=data).out)
    used = [e for e in events if e["event"] == "server_used"]
    assert used and used[0]["fields"]["server"] == "gpu"


def test_a_server_the_policy_does_not_name_is_refused_before_any_connection(
    company_policy: Path, tmp_path: Path
) -> None:
    result = enclave("chat", "-m", "elsewhere/some-model", "Hello", data_dir=tmp_path / "d")
    line = assert_one_clear_line(result, code=3)
    assert "no company server called 'elsewhere'" in line


def test_a_server_killed_mid_answer_keeps_the_partial_reply(
    model_path: Path, tmp_path: Path
) -> None:
    from app.core.chat import ConversationService, TurnFailed
    from app.core.engine import LocalEngine

    with OpenAIServer(model_path, log_file=tmp_path / "server.log") as server:
        runtime = Runtime.create(tmp_path / "data", server.policy(tmp_path / "policy.toml"))
        store = runtime.open_store()
        service = ConversationService(runtime, store)
        turn = service.prepare("Tell me a long story.", model=SERVER_MODEL,
                               overrides={"max_tokens": 400})  # fmt: skip
        killed = []

        def on_piece(piece: object) -> None:
            if isinstance(piece, str) and not killed:
                killed.append(True)
                server.kill()

        with pytest.raises(TurnFailed) as failed:
            service.run(turn, LocalEngine(), on_piece=on_piece)
        store.close()
    result = failed.value.result
    assert result.status == "partial" and result.text
    assert "gpu" in str(failed.value)
