"""The loop guard: replies that repeat themselves stop; ordinary answers are never touched."""

from __future__ import annotations

import pytest

from app.core.loop_guard import LoopGuard, repeated_tail

PARAGRAPH = (
    "I'm a student at the University of California, Berkeley. I have been working on this "
    "project for 2 years now and it is my first time to do so. I hope you enjoy it!\n"
)


def stream(text: str, step: int = 3) -> tuple[bool, int]:
    """Feed `text` in small pieces, as tokens arrive; (looping, characters fed when it said so)."""
    guard = LoopGuard()
    for at in range(0, len(text), step):
        if guard.push(text[at : at + step]):
            return True, at + step
    return False, len(text)


@pytest.mark.parametrize(
    "text",
    [
        "Bonjour,\n" + PARAGRAPH * 5,  # a paragraph over and over
        "Hello! How can I help?\n" + "大家好\n" * 40,  # a short line many times
        "What is the capital of France? " * 12,  # a sentence, no line breaks
        "".join(f"Step {i}: mix well.\nThe result is a smooth and even paste.\n" for i in range(9)),
        "```\n" + "    return compute(value, other_value)  # the same line again\n" * 40,
    ],
    ids=["paragraph", "short-line", "sentence", "line-between-others", "code"],
)
def test_a_looping_reply_is_noticed_early(text: str) -> None:
    looping, at = stream(text)
    assert looping
    assert at < len(text) * 0.8  # well before the end of it


NORMAL = [
    # Paragraphs that share words and phrases but never repeat.
    "Lighthouses guided ships for centuries. Each had its own pattern of flashes.\n\n"
    "Keepers lived beside the lamp. They trimmed wicks and polished lenses every night.\n\n"
    "Today most lighthouses are automated, and many keepers' houses are museums.\n",
    # A list whose items look alike.
    "".join(f"{i}. Add {i} cups of flour to the bowl and stir.\n" for i in range(1, 15)),
    # A table with its separator line and similar rows.
    "| Name | Value |\n|------|-------|\n"
    + "".join(f"| item {i} | {i * 3} |\n" for i in range(20)),
    # Code repeats lines for good reasons.
    "```python\n" + "    assert compute(value, other_value) is not None\n" * 6 + "```\n",
    # Short repetitions are fine.
    "Ha ha ha, that is funny! " + "Yes, yes. " + "No no no.\n" + "-" * 80 + "\n" + "!" * 30,
    # The same short phrase at the start of many lines.
    "".join(f"- Note: point number {i} differs.\n" for i in range(25)),
]


@pytest.mark.parametrize("text", NORMAL, ids=["prose", "list", "table", "code", "short", "notes"])
def test_an_ordinary_answer_is_untouched(text: str) -> None:
    assert stream(text) == (False, len(text))
    assert stream(text, step=1)[0] is False


def test_repeated_tail_measures_the_repeated_stretch() -> None:
    assert repeated_tail("intro " + "abc def ghi jkl, " * 4) == len("abc def ghi jkl, ")
    long = PARAGRAPH + "And a last line, so that the paragraph has 200 characters.\n"
    assert repeated_tail("intro " + long * 2) == len(long)  # a long one, twice
    assert repeated_tail("intro " + PARAGRAPH * 2) == 0  # a shorter one needs three times
    assert repeated_tail("intro " + "abc def ghi jkl, " * 2) == 0  # a short one twice is not
    assert repeated_tail("...." * 50) == 0  # no letters: a rule, not a loop
