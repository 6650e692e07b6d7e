"""A long conversation opened in the window after a restart is ready before the next message:
the engine process takes its saved KV state when the conversation is shown (app.core.chat.warm),
so the message, when sent, evaluates only its own tokens."""

from __future__ import annotations

from pathlib import Path

from app.core.kv_cache.directory import state_path
from tests.helpers.qt import make_window, send

MODEL_MS = 120_000
LONG = "Tell me about lighthouses. " + " ".join(
    f"Lighthouse {i} stands on a rock and guides the ships at night." for i in range(40)
)


def cached_tokens(qtbot, window) -> int:
    """What the engine's cache holds, asked on the model thread behind the jobs before it."""
    job = window.worker.submit(lambda ctx: len(ctx.backend.cached_tokens), "test")
    with qtbot.waitSignal(job.succeeded, timeout=MODEL_MS) as got:
        pass
    return got.args[0]


def test_a_conversation_opened_after_a_restart_is_ready_for_its_next_message(
    qtbot, runtime, model_path: Path
) -> None:
    runtime.settings.update(
        model=str(model_path), max_tokens=8, context_size=2048, threads=2, temperature=0.0
    )
    first = make_window(qtbot, runtime, backend=None, timeout=MODEL_MS)
    send(qtbot, first, LONG, timeout=MODEL_MS)
    conversation = first.controller.conversation_id
    first.close()  # the engine process saves the conversation's state and ends
    assert state_path(runtime.paths.kv_cache_dir, conversation).exists()

    second = make_window(qtbot, runtime, backend=None, timeout=MODEL_MS)  # the app restarted
    second.new_chat()
    assert cached_tokens(qtbot, second) == 0
    second.sidebar.select(conversation)
    second.show_conversation(conversation)
    assert cached_tokens(qtbot, second) > 500  # taken while the user reads and types
    send(qtbot, second, "And which one is the oldest?", timeout=MODEL_MS)
    reply = second.store.active_path(conversation)[-1]
    assert reply.status == "complete" and reply.content
    assert reply.stats["prompt_tokens"] > 500 and 0 < reply.stats["prompt_tokens_evaluated"] < 30
