"""Notice a reply that has fallen into a loop, so it stops by itself.

Small models, and base models above all, often repeat the same line or paragraph until the
token limit. Two signs, both on the text shown so far:

- its end is one stretch of text repeated back to back (a line, a paragraph, a phrase): three
  times for a short stretch (more when it is very short, so "ha ha ha" is not a loop), twice
  for a paragraph of 200 characters or more;
- one line of some length came back again and again, with other lines in between.

Code repeats lines for good reasons: inside a ``` block lines are not counted, and a repeated
stretch must fill much more (CODE_REPEATED) before it counts.
"""

from __future__ import annotations

from collections import Counter

LOOP_NOTE = "The reply stopped because it was repeating itself."
MAX_PERIOD = 1200  # characters: the longest repeated stretch looked for
LONG_PERIOD = 200  # a stretch this long repeated once is already a loop
MIN_REPEATED = 60  # characters a short stretch must fill, repeated, to count
CODE_REPEATED = 800  # the same inside a code block
LINE_REPEATS = 4  # the same line this many times, anywhere in the reply
MIN_LINE = 20  # letters and digits in a line for it to be counted
CHECK_EVERY = 24  # characters between checks (and at each line end)


def _needed(period: int, span: int) -> int:
    if period >= LONG_PERIOD and span == MIN_REPEATED:
        return 2
    return max(3, -(-span // period))


def repeated_tail(text: str, span: int = MIN_REPEATED) -> int:
    """The length of the stretch the end of `text` repeats back to back, or 0."""
    for period in range(1, min(MAX_PERIOD, len(text) // 2) + 1):
        times = _needed(period, span)
        if period * times > len(text) or text[-1] != text[-1 - period]:
            continue
        unit = text[-period:]
        if text.endswith(unit * times) and any(c.isalnum() for c in unit):
            return period
    return 0


class LoopGuard:
    """Fed the text of a reply as it streams; `looping` turns True once it loops."""

    def __init__(self) -> None:
        self._tail = ""  # the last stretch of text, enough for the longest period twice
        self._unchecked = 0
        self._line = ""  # the line being written
        self._lines: Counter[str] = Counter()
        self._in_code = False
        self.looping = False

    def push(self, text: str) -> bool:
        if self.looping or not text:
            return self.looping
        self._tail = (self._tail + text)[-max(2 * MAX_PERIOD, CODE_REPEATED) :]
        self._unchecked += len(text)
        *done, self._line = (self._line + text).split("\n")
        for line in done:
            self._count(line)
        if done or self._unchecked >= CHECK_EVERY:
            self._unchecked = 0
            span = CODE_REPEATED if self._in_code else MIN_REPEATED
            self.looping = self.looping or repeated_tail(self._tail, span) > 0
        return self.looping

    def _count(self, line: str) -> None:
        stripped = line.strip()
        if stripped.startswith("```"):
            self._in_code = not self._in_code
            return
        if self._in_code or sum(c.isalnum() for c in stripped) < MIN_LINE:
            return
        self._lines[stripped] += 1
        if self._lines[stripped] >= LINE_REPEATS:
            self.looping = True
