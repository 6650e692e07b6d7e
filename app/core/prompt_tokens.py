"""Token ids of a `PromptText`: control tokens from the template's markup only.

llama.cpp's own special parsing (`parse_special=True`) cuts the whole text at every control
token spelling, then tokenizes the plain fragments between them. This does the same, except
that only markup is searched for control tokens: the markup is split at its control tokens, and
the plain text around them is joined with the adjacent content into one fragment tokenized with
`parse_special=False`. For a prompt whose content holds no control-token spelling the ids are
exactly llama.cpp's, so prefix reuse and history fitting see the tokens they always saw.
"""

from __future__ import annotations

from typing import Protocol

import llama_cpp as llama

from app.core.prompt import segments_of

# What `parse_special=False` leaves as text; user-defined tokens are matched either way.
_SPECIAL = llama.LLAMA_TOKEN_ATTR_CONTROL | llama.LLAMA_TOKEN_ATTR_UNKNOWN
_LSTRIP = llama.LLAMA_TOKEN_ATTR_LSTRIP
_RSTRIP = llama.LLAMA_TOKEN_ATTR_RSTRIP

Fragment = str | int  # plain text to tokenize, or one control token id
_KEEP_FRAGMENTS = 1024  # a long conversation's messages, several times over
_KEEP_MAX_CHARS = 16_384  # a document's text is not worth keeping


class Vocabulary(Protocol):
    bos_token: int
    adds_bos: bool

    def tokenize(self, text: str, *, add_special: bool, parse_special: bool) -> list[int]: ...

    def attributes(self, token: int) -> int: ...

    def token_text(self, token: int) -> str: ...


class PromptTokenizer:
    def __init__(self, vocab: Vocabulary) -> None:
        self._vocab = vocab
        self._markup: dict[str, list[Fragment]] = {}  # a template repeats the same markup
        # Plain fragments of earlier prompts: a conversation's history is sent again every turn,
        # and tokenizing all of it anew grew each turn's time to first token with its length.
        self._plain: dict[str, list[int]] = {}

    def is_control(self, token: int) -> bool:
        return bool(self._vocab.attributes(token) & _SPECIAL)

    def split_markup(self, text: str) -> list[Fragment]:
        """Markup cut at its control tokens: text, id, text, … (text parts may be empty)."""
        cached = self._markup.get(text)
        if cached is not None:
            return cached
        vocab = self._vocab
        pieces: list[Fragment] = []
        pos = 0
        for token in vocab.tokenize(text, add_special=False, parse_special=True):
            if not self.is_control(token):
                continue
            spelling = vocab.token_text(token)
            at = text.find(spelling, pos) if spelling else -1
            if at < 0:  # not placeable in the text: leave that spelling as text
                continue
            pieces += [text[pos:at], token]
            pos = at + len(spelling)
        pieces.append(text[pos:])
        if len(self._markup) < 4096:
            self._markup[text] = pieces
        return pieces

    def fragments(self, prompt: str) -> list[Fragment]:
        """The prompt as plain-text fragments and control token ids, in order."""
        out: list[Fragment] = [""]
        for text, content in segments_of(prompt):
            for piece in [text] if content else self.split_markup(text):
                if isinstance(piece, int):
                    self._strip_around(out, piece)
                    out += [piece, ""]
                else:
                    out[-1] = str(out[-1]) + piece
        last = out[-1]
        if len(out) > 1 and isinstance(out[-2], int) and self._strips(out[-2], _RSTRIP):
            out[-1] = str(last).lstrip()
        return [f for f in out if f != ""]

    def _strips(self, token: int, flag: int) -> bool:
        return bool(self._vocab.attributes(token) & flag)

    def _strip_around(self, out: list[Fragment], token: int) -> None:
        """llama.cpp drops the whitespace next to tokens marked lstrip/rstrip; so do we."""
        if self._strips(token, _LSTRIP) and isinstance(out[-1], str):
            out[-1] = out[-1].rstrip()
        if len(out) > 1 and isinstance(out[-2], int) and self._strips(out[-2], _RSTRIP):
            out[-1] = str(out[-1]).lstrip()

    def tokens(
        self, prompt: str, *, add_bos: bool = True, cache: dict[str, list[int]] | None = None
    ) -> list[int]:
        """Token ids of `prompt`; `cache` keeps plain fragments' ids between calls."""
        vocab = self._vocab
        ids: list[int] = []
        for fragment in self.fragments(prompt):
            if isinstance(fragment, int):
                ids.append(fragment)
                continue
            plain = cache.get(fragment) if cache is not None else None
            if plain is None:
                plain = self._plain_tokens(fragment)
                if cache is not None:
                    cache[fragment] = plain
            ids += plain
        # A template that writes the BOS itself must not get a second one.
        if add_bos and vocab.adds_bos and (not ids or ids[0] != vocab.bos_token):
            ids.insert(0, vocab.bos_token)
        return ids

    def _plain_tokens(self, fragment: str) -> list[int]:
        plain = self._plain.get(fragment)
        if plain is None:
            plain = self._vocab.tokenize(fragment, add_special=False, parse_special=False)
            if len(fragment) <= _KEEP_MAX_CHARS:
                if len(self._plain) >= _KEEP_FRAGMENTS:
                    self._plain.pop(next(iter(self._plain)))  # the oldest goes first
                self._plain[fragment] = plain
        return plain

    def markup_controls(self, prompt: str) -> set[int]:
        """The control tokens of a prompt (its markers: they only come from markup)."""
        return {f for f in self.fragments(prompt) if isinstance(f, int)}
