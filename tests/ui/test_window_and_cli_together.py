"""The window and the command line chatting at the same time on one data dir lose nothing.

The window runs on the real store with the real engine process; while each of its replies
streams, `enclave chat` answers in another process on the same database. Trials: 3, or
ENCLAVE_RACE_TRIALS (20 for the full campaign).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.core.store import Store
from tests.helpers.qt import make_window, send

SLOW_MS = 180_000
TRIALS = int(os.environ.get("ENCLAVE_RACE_TRIALS", "0") or 0) or 3


def test_window_and_command_line_chat_at_once(qtbot, runtime, model_path: Path) -> None:
    runtime.settings.update(
        model=str(model_path), max_tokens=16, context_size=512, threads=1, temperature=0.0
    )
    window = make_window(qtbot, runtime, backend=None, timeout=SLOW_MS)
    data = runtime.paths.data_dir
    env = {**os.environ, "ENCLAVE_BUNDLED_MODEL": str(model_path)}
    for trial in range(TRIALS):
        cli = subprocess.Popen(
            [sys.executable, "-m", "app", "--data-dir", str(data), "chat", "--max-tokens", "16",
             "--seed", str(trial), f"From the command line, trial {trial}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        window.new_chat()
        send(qtbot, window, f"From the window, trial {trial}", timeout=SLOW_MS)
        _out, err = cli.communicate(timeout=240)
        assert cli.returncode == 0, err
        assert "Traceback" not in err and "unexpected error" not in err
    with Store.open(data / "enclave.sqlite3") as store:
        conversations = store.list_conversations()
        assert len(conversations) == 2 * TRIALS
        for conversation in conversations:
            path = store.active_path(conversation.id)
            assert [m.role for m in path] == ["user", "assistant"]
            assert path[1].status == "complete" and path[1].content
        assert store.integrity_check() == []
