"""The engine's side: restore a conversation's saved state before its prompt, save it after.

Before a prompt of a conversation, its saved state is used when all of these hold: the file's
signature is the engine's (model sha256, context size and batch, template, llama-cpp-python and
file format), its CRC is right, the prompt starts with the whole prompt the state was saved
after (the reply that followed may be tokenized differently once it is history, so only the
common prefix of that part is kept), and it holds more of the prompt than the cache in memory.
A state that fails any of these is erased and the prompt is evaluated as without it: a saved
state only ever saves time. After the reply, the cache (prompt and reply) is saved for the next
turn, also in another process: `enclave chat --continue`, the window reopened.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import llama_cpp

from app.core.kv_cache import native
from app.core.kv_cache.directory import enforce_budget, touch
from app.core.kv_cache.session import StateSession
from app.core.kv_cache.state_file import (
    StateFileError,
    erase_file,
    read_header,
    read_payload,
    write_state,
)

if TYPE_CHECKING:
    from app.core.decoder import Decoder

_log = logging.getLogger(__name__)
FORMAT = 1
MIN_TOKENS = 128  # shorter conversations are evaluated again in well under a second


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n, limit = 0, min(len(a), len(b))
    while n < limit and a[n] == b[n]:
        n += 1
    return n


def signature(model_sha256: str, n_ctx: int, n_batch: int, template: str) -> dict[str, Any]:
    """What a saved state is valid for (`template`: the chat template's source, e.g. "gguf" or
    "builtin:chatml"). The tokens are checked apart (they must start the prompt); llama.cpp's
    version matters because its state layout may change with it."""
    return {
        "format": FORMAT,
        "model_sha256": model_sha256,
        "n_ctx": n_ctx,
        "n_batch": n_batch,
        "template": template,
        "llama_cpp": llama_cpp.__version__,
    }


class StateKeeper:
    """Which conversation the cache holds, and its saving and restoring."""

    def __init__(self, signature: dict[str, Any]) -> None:
        self.signature = signature
        self.session: StateSession | None = None
        self.n_prompt = 0
        self.unsaved = False
        self.restored = 0  # tokens the last prompt took from a saved state (0: none)

    def forget(self) -> None:
        """The cache no longer belongs to a conversation (cleared, another kind of prompt)."""
        self.session, self.unsaved, self.restored = None, False, 0

    def before_prompt(
        self, decoder: Decoder, session: StateSession | None, tokens: Sequence[int]
    ) -> None:
        self.session, self.n_prompt, self.restored = session, len(tokens), 0
        self.unsaved = session is not None
        if session is None:
            return
        path = session.path
        try:
            header = read_header(path)
        except FileNotFoundError:
            return
        except (OSError, StateFileError) as exc:
            self._discard(session, f"unreadable: {exc}")
            return
        if header.signature != self.signature:
            self._discard(session, "made with another model or other settings")
            return
        shared = common_prefix(header.tokens, tokens)
        if shared < header.n_prompt:
            self._discard(session, "the conversation's history changed")
            return
        if shared <= common_prefix(decoder.cached, tokens):
            return  # the cache in memory holds as much already
        try:
            payload = read_payload(path, header)
        except (OSError, StateFileError) as exc:
            self._discard(session, f"unreadable: {exc}")
            return
        if not decoder.restore(header.tokens, payload):
            self._discard(session, "llama.cpp did not take it back whole")
            return
        touch(path)
        self.restored = shared
        _log.info("Restored %d cached tokens of conversation %d", shared, session.conversation_id)

    def save(self, decoder: Decoder) -> bool:
        """Save the cache for the conversation it holds (once per prompt); never raises."""
        session = self.session
        if session is None or not self.unsaved:
            return False
        self.unsaved = False
        tokens = tuple(decoder.cached)
        if len(tokens) < MIN_TOKENS:
            return False
        try:
            if native.state_size(decoder.ctx) > session.budget_bytes:
                erase_file(session.path)  # an older, smaller state is no use either
                return False
            payload = native.take_state(decoder.ctx)
            n_prompt = min(self.n_prompt, len(tokens))
            write_state(session.path, self.signature, tokens, n_prompt, payload)
            enforce_budget(session.directory, session.budget_bytes)
        except Exception as exc:  # a full disk must not fail the turn that just succeeded
            _log.warning("Could not save the conversation's state: %s", exc)
            return False
        return True

    def _discard(self, session: StateSession, why: str) -> None:
        _log.info("Saved state of conversation %d not used: %s", session.conversation_id, why)
        try:
            erase_file(session.path)
        except OSError as exc:
            _log.warning("Could not remove a stale saved state: %s", exc)
