"""Reasoning kept apart from the answer, however the stream is cut into pieces."""

from __future__ import annotations

import pytest

from app.core.chat.reasoning import ReasoningSplitter, prompt_opens_thought
from app.core.types import Thought


def split(pieces: list[str], in_thought: bool = False) -> tuple[str, str]:
    splitter = ReasoningSplitter(in_thought)
    out = [p for piece in pieces for p in splitter.feed(piece)] + splitter.flush()
    thought = "".join(p for p in out if isinstance(p, Thought))
    answer = "".join(p for p in out if not isinstance(p, Thought))
    return thought, answer


TEXT = "<think>\nThe user greets me.\n</think>\n\nHello! How can I help?"


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64])
def test_a_think_block_is_reasoning_at_any_piece_size(size: int) -> None:
    pieces = [TEXT[i : i + size] for i in range(0, len(TEXT), size)]
    assert split(pieces) == ("\nThe user greets me.\n", "Hello! How can I help?")


def test_a_template_that_opens_the_block_itself() -> None:
    assert prompt_opens_thought("<｜Assistant｜><think>\n")
    assert not prompt_opens_thought("<think>a</think>\n<start_of_turn>model\n")
    assert split(["Let me see.", "</think>", "\n\nIt is 4."], in_thought=True) == (
        "Let me see.",
        "It is 4.",
    )


def test_gpt_oss_channels() -> None:
    text = (
        "<|channel|>analysis<|message|>Simple sum.<|end|>"
        "<|start|>assistant<|channel|>final<|message|>2 + 2 = 4<|return|>"
    )
    assert split([text[i : i + 4] for i in range(0, len(text), 4)]) == ("Simple sum.", "2 + 2 = 4")


def test_an_answer_without_reasoning_is_untouched() -> None:
    text = "  Use <b>bold</b> or a < b comparison; <thinking> is not a marker here."
    assert split([text[i : i + 3] for i in range(0, len(text), 3)]) == ("", text)


def test_a_servers_reasoning_pieces_pass_through() -> None:
    assert split([Thought("from the server"), "answer"]) == ("from the server", "answer")
