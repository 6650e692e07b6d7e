"""The check a conversation reopened warm must pass (saved KV state, warm-up)."""

from __future__ import annotations

GREEDY = {"temperature": 0.0, "max_tokens": 8}


def assert_next_turn_is_warm(service, conversation_id: int, engine) -> None:
    """The conversation's next turn evaluates only its own tokens, and answers as a full
    evaluation of the same prompt does."""
    turn = service.prepare("And which one is the oldest?", conversation_id, overrides=GREEDY,
                           seed=1)  # fmt: skip
    second = service.run(turn, engine)
    stats = second.record.stats
    assert stats["prompt_tokens"] > 500 and 0 < stats["prompt_tokens_evaluated"] < 30
    engine.clear_cache()
    full = engine.generate(list(turn.history), turn.params)
    assert "".join(full) == second.text
    assert full.stats.prompt_tokens_evaluated == stats["prompt_tokens"]
