"""Errors the user can act on.

Every failure that reaches a person is an `EnclaveError`: its message is one plain sentence
that says what happened and what to do. The command line prints it on one line (exit 1, or 3
when the policy refused); the window shows it in a dialog or the status bar.
"""

from __future__ import annotations


class EnclaveError(Exception):
    """A failure with a message meant for the user."""

    exit_code = 1


class PolicyError(EnclaveError):
    """The admin policy file is missing a value, malformed, or cannot be read."""


class PolicyRefused(EnclaveError):
    """The admin policy forbids what was asked."""

    exit_code = 3


class ModelError(EnclaveError):
    """A model file is missing, unreadable, not a GGUF, or failed to load."""


class ContextOverflowError(EnclaveError):
    """A single message is larger than the model's context window can hold."""

    def __init__(self, message_tokens: int, available_tokens: int, n_ctx: int) -> None:
        self.message_tokens = message_tokens
        self.available_tokens = available_tokens
        self.n_ctx = n_ctx
        super().__init__(
            f"The message is {message_tokens} tokens long but only {available_tokens} of the "
            f"model's {n_ctx}-token context are free for it; shorten the message or choose a "
            f"larger context size."
        )


class StoreError(EnclaveError):
    """The conversation database cannot be opened or written."""


class DocumentError(EnclaveError):
    """A document cannot be read (unknown format, encrypted, corrupt, too large)."""


class DownloadError(EnclaveError):
    """A model download failed (network, server error, checksum, disk)."""


class Cancelled(Exception):  # a state, not a fault: hence no "Error" suffix
    """The user stopped the operation; partial results have been kept."""
