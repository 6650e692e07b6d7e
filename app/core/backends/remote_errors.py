"""What a company server's failures mean to a user: one sentence naming the server.

Every HTTP status and transport failure of the remote backend becomes a `RemoteError` (a
`ModelError`, so every front end already shows it); a reply cut off after it had started is a
`StreamInterrupted` that carries the text received so far, for the caller to keep.
"""

from __future__ import annotations

import json
from urllib.parse import urlparse

import httpx

from app.core import netguard
from app.core.backends.tls import is_certificate_error
from app.core.errors import ModelError
from app.core.types import GenerationStats

_CONTEXT_WORDS = ("context", "too long", "maximum", "exceed")


class RemoteError(ModelError):
    """A company server could not be used; the message names it and says what to do."""

    def __init__(self, message: str, *, server: str, status: int | None = None) -> None:
        super().__init__(message)
        self.server = server
        self.status = status


class StreamInterrupted(RemoteError):
    """The reply stopped before its end; `partial` (and `reasoning`) hold what had arrived."""

    def __init__(
        self,
        message: str,
        *,
        server: str,
        partial: str,
        reasoning: str = "",
        stats: GenerationStats | None = None,
    ) -> None:
        super().__init__(message, server=server)
        self.partial = partial
        self.reasoning = reasoning
        self.stats = stats or GenerationStats(stop_reason="error")


def server_detail(body: bytes | str) -> str:
    """The server's own explanation from an error body (OpenAI, FastAPI or plain text)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        data = json.loads(text)
    except ValueError:
        return " ".join(text.split())[:200]
    if isinstance(data, dict):
        error = data.get("error", data)
        if isinstance(error, dict):
            error = error.get("message") or error.get("detail") or ""
        if not error and "detail" in data:
            error = data["detail"]
        return " ".join(str(error).split())[:200]
    return ""


def status_message(server: str, status: int, detail: str, model: str | None = None) -> str:
    said = f": {detail}" if detail else ""
    if 300 <= status < 400:
        return (
            f"The company server {server} redirects elsewhere (HTTP {status}{said}); the "
            f"policy's url must be the server's own address."
        )
    if status in (401, 403):
        return (
            f"The company server {server} refused the token (HTTP {status}); ask your "
            f"administrator for a valid one."
        )
    if status == 404:
        what = f"no model {model!r}" if model else "no OpenAI-compatible API at that address"
        return (
            f"The company server {server} has {what} (HTTP 404{said}); check "
            f"`enclave servers check {server}` for what it offers."
        )
    if status in (429, 503):
        return f"The company server {server} is busy (HTTP {status}{said}); try again in a moment."
    if status in (400, 413, 422) and any(w in detail.lower() for w in _CONTEXT_WORDS):
        return (
            f"The conversation is too long for the model's context on the company server "
            f"{server} (HTTP {status}{said}); start a new conversation or shorten the message."
        )
    if status >= 500:
        return (
            f"The company server {server} failed (HTTP {status}{said}); try again later or "
            f"ask your administrator."
        )
    return f"The company server {server} rejected the request (HTTP {status}{said})."


def transport_message(
    server: str, url: str, exc: BaseException, *, connect_s: float, read_s: float
) -> str:
    parsed = urlparse(url)
    where = f"{parsed.hostname}:{parsed.port or (443 if parsed.scheme == 'https' else 80)}"
    refused = exc if isinstance(exc, netguard.NetworkRefused) else exc.__context__
    if isinstance(refused, netguard.NetworkRefused):
        return str(refused)
    if is_certificate_error(exc):
        return (
            f"The certificate of the company server {server} ({where}) could not be verified; "
            f"nothing was sent. If the server uses a company CA, the policy's [network] ca_file "
            f"must name it (or IT installs it in the system store)."
        )
    if isinstance(exc, httpx.ConnectTimeout):
        return (
            f"The company server {server} ({where}) did not answer within {connect_s:g} s; "
            f"check the network."
        )
    if isinstance(exc, httpx.ReadTimeout):
        return f"The company server {server} ({where}) sent nothing for {read_s:g} s; try again."
    if isinstance(exc, httpx.ConnectError):
        reason = str(exc) or type(exc).__name__
        return (
            f"Could not connect to the company server {server} ({where}): {reason}; check the "
            f"network or ask your administrator."
        )
    reason = str(exc) or type(exc).__name__
    return f"The connection to the company server {server} ({where}) failed: {reason}."
