"""Which parts of a GGUF template's output are message text: render with placeholders.

A Jinja template returns one string; nothing in it says where a message's text sits, and that
text may spell the template's own markers. So the conversation is rendered twice: once as it
is, once with each message's content replaced by a unique placeholder. The placeholder render
gives the template's own text around every message; the real render says what the template did
to the content (usually nothing; a trim, a change of case, a cut to its first n characters).
Matching the two yields a `PromptText` whose content parts are exactly the messages' text as
the template wrote it.

When they cannot be matched (a template that rewrites content otherwise), the conversation is
rendered a third time with the messages' text in a shadow alphabet (see `Defused`): whatever the
template does with it, every character of it comes back as content.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence

from app.core.prompt import Content, PromptText
from app.core.types import ChatMessage

_log = logging.getLogger(__name__)


class Placeholders:
    """One render's placeholders: `\u2063ENCLAVE<nonce>-<i>\u2063`, never in real text."""

    def __init__(self, messages: Sequence[ChatMessage]) -> None:
        nonce = secrets.token_hex(8).upper()  # survives a template's `upper`/`lower`
        self.contents = [m.content for m in messages]
        self.messages = [
            ChatMessage(m.role, f"\u2063ENCLAVE{nonce}-{i}\u2063") for i, m in enumerate(messages)
        ]
        self._pattern = re.compile(f"\u2063ENCLAVE{nonce}-(\\d+)\u2063", re.IGNORECASE)

    def _split(self, marked: str) -> tuple[list[str], list[int]]:
        """The marked render as markup pieces and, between them, message indexes."""
        markup, indexes, last = [], [], 0
        for match in self._pattern.finditer(marked):
            markup.append(marked[last : match.start()])
            indexes.append(int(match.group(1)))
            last = match.end()
        markup.append(marked[last:])
        return markup, indexes

    def prompt(self, real: str, marked: str) -> PromptText | None:
        """The real render, its content parts marked; None when the renders do not match."""
        markup, indexes = self._split(marked)
        matched = _match(real, markup, [self.contents[i] for i in indexes])
        if matched is not None:
            return matched
        return None  # the caller renders again with `Defused` messages


_SHADOW = 0xF0000  # Unicode plane 15, private use: no template writes these
_SHADOWS = re.compile("[\U000f0000-\U000ffffd]+")


def _shadow(text: str) -> str:
    return "".join(chr(_SHADOW + ord(c)) if ord(c) < 0xFFFE else c for c in text)


def _unshadow(text: str) -> str:
    return "".join(chr(ord(c) - _SHADOW) for c in text)


class Defused:
    """The messages written in a shadow alphabet: each character moved to plane 15.

    The template can cut, join or wrap that text as it likes (its length is kept); in the
    result every shadow character came from a message, so it goes back to its own character
    as content, and control tokens can only come from the template's own text.
    """

    def __init__(self, messages: Sequence[ChatMessage]) -> None:
        self.messages = [ChatMessage(m.role, _shadow(m.content)) for m in messages]

    def prompt(self, rendered: str) -> PromptText:
        _log.debug("The chat template rewrites message text; rendering it defused")
        parts: list[str] = []
        last = 0
        for match in _SHADOWS.finditer(rendered):
            parts += [rendered[last : match.start()], Content(_unshadow(match.group(0)))]
            last = match.end()
        parts.append(rendered[last:])
        return PromptText(parts)


def _candidates(content: str) -> list[str]:
    """What templates do to a message's text: nothing, a trim, a change of case."""
    trims = (content, content.strip(), content.lstrip(), content.rstrip())
    return [form for text in trims for form in (text, text.upper(), text.lower())]


def _longest_cut(real: str, pos: int, content: str, after: str) -> str | None:
    """The longest start of `content` at `pos` that `after` follows: a template's `[:n]`.

    The longest, so that text of the message spelling `after` cannot end it early.
    """
    if not after:
        return None
    best: str | None = None
    for base in (content, content.lstrip()):
        limit = pos + len(base) + len(after)
        at = real.find(after, pos, limit)
        while at >= 0:
            cut = real[pos:at]
            if base.startswith(cut) and (best is None or len(cut) > len(best)):
                best = cut
            at = real.find(after, at + 1, limit)
    return best


def _match(real: str, markup: list[str], contents: list[str]) -> PromptText | None:
    if not real.startswith(markup[0]):
        return None
    parts: list[str] = [markup[0]]
    pos = len(markup[0])
    for i, content in enumerate(contents):
        after = markup[i + 1]
        found = next(
            (
                candidate
                for candidate in _candidates(content)
                if real.startswith(candidate, pos) and real.startswith(after, pos + len(candidate))
            ),
            None,
        )
        if found is None:
            found = _longest_cut(real, pos, content, after)
        if found is None:
            return None
        parts += [Content(found), after]
        pos += len(found) + len(after)
    return PromptText(parts) if pos == len(real) else None
