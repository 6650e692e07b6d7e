"""RemoteBackend: a model on a company's OpenAI-compatible server, behind the Backend protocol.

    server = server_for(runtime.policy, "gpu", user_servers_path(runtime.paths.data_dir))
    backend = RemoteBackend(server)                      # no network yet
    info = backend.load("gpu/qwen2.5-72b", LoadOptions())  # GET /v1/models: the model must exist
    stream = backend.generate(messages, params, cancel)  # POST /v1/chat/completions, streamed
    for piece in stream: ...                             # str = answer, Thought = reasoning
    stream.stats                                         # GenerationStats, final once exhausted

`load(model, options)` takes `"SERVER/MODEL_ID"` (or a `ModelRef`) for this backend's own server;
another server's name is refused. The server's context size comes from its model list (vLLM's
`max_model_len`), else its `/props` (llama-server), else `options.context_size`; the other load
options belong to the server. Token counts use the server's tokenizer (llama-server and vLLM
`/tokenize`, llama-cpp-python `/extras/tokenize/count`) when it has one, else a deliberate
over-estimate; history is fitted like the local engine's, and a message that cannot fit is a
ContextOverflowError, never cut silently.

Failures are `RemoteError` (a ModelError naming the server); a reply cut after it started is
`StreamInterrupted` with `.partial`. One retry, only before anything was streamed. Stop closes
the HTTP response at once (the cancel token's callback shuts the socket). Connections go only to
this server's host and port (`netguard.permit_endpoint`), never through a proxy, never to a
redirect target, always with verified TLS (system store plus the policy's CA file).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from app.core import netguard
from app.core.backends import sse
from app.core.backends.remote_api import (
    TOKENIZERS,
    RemoteModel,
    chat_body,
    estimate_tokens,
    parse_chunk,
    remote_model,
    token_count,
    whole_as_chunk,
)
from app.core.backends.remote_errors import (
    RemoteError,
    StreamInterrupted,
    server_detail,
    status_message,
    transport_message,
)
from app.core.backends.remote_stream import RemoteTokenStream, StreamState
from app.core.backends.servers import ModelRef, Server, parse_model_ref
from app.core.backends.tls import is_certificate_error, ssl_context
from app.core.context import fit_history, reply_budget
from app.core.errors import PolicyRefused
from app.core.types import CancelToken, ChatMessage, GenerationParams, LoadOptions, ModelInfo

_log = logging.getLogger(__name__)
__all__ = ["RemoteBackend", "RemoteError", "RemoteModel", "StreamInterrupted", "Timeouts"]

RETRY_STATUSES = (502, 503, 504)
MESSAGE_OVERHEAD = 8  # template tokens around one message (role markers, separators): generous
DEFAULT_CONTEXT = 4096


@dataclass(frozen=True)
class Timeouts:
    connect: float = 10.0
    read: float = 120.0  # the longest wait for the next piece (a long prompt on a busy server)


class RemoteBackend:
    def __init__(self, server: Server, *, timeouts: Timeouts = Timeouts()) -> None:
        self.server = server
        self.timeouts = timeouts
        headers = {"Authorization": f"Bearer {server.api_key}"} if server.api_key else {}
        self._client = httpx.Client(
            base_url=server.url,
            headers={**headers, "User-Agent": "Enclave"},
            timeout=httpx.Timeout(timeouts.read, connect=timeouts.connect),
            verify=ssl_context(server.ca_file),
            trust_env=False,  # no proxy from the environment: the server is reached directly
            follow_redirects=False,
        )
        self._info: ModelInfo | None = None
        self._tokenizer: tuple[str, Any] | None = None
        self._counted: dict[str, int] = {}

    # --- Backend protocol ------------------------------------------------------------------

    @property
    def info(self) -> ModelInfo | None:
        return self._info

    def list_models(self) -> list[RemoteModel]:
        """The models the server lists that the policy lets this user choose."""
        data = self._json("GET", "/models").get("data") or []
        models = [remote_model(entry) for entry in data if isinstance(entry, dict)]
        return [m for m in models if m.id and self.server.model_allowed(m.id)]

    def load(self, model: str | ModelRef, options: LoadOptions | None = None) -> ModelInfo:
        ref = parse_model_ref(model) if isinstance(model, str) else model
        if ref is None or ref.server != self.server.name:
            raise PolicyRefused(
                f"{model} is not a model of the company server {self.server.name}; write "
                f"{self.server.name}/MODEL_ID."
            )
        if not self.server.model_allowed(ref.model_id):
            raise PolicyRefused(
                f"The administrator's policy allows only {', '.join(self.server.models)} on the "
                f"company server {self.server.name}, not {ref.model_id}."
            )
        listed = {m.id: m for m in self.list_models()}
        found = listed.get(ref.model_id)
        if found is None:
            raise RemoteError(
                f"The company server {self.server.name} has no model {ref.model_id!r}; it offers "
                f"{', '.join(sorted(listed)) or 'none'}.",
                server=self.server.name,
                status=404,
            )
        requested = (options or LoadOptions()).context_size
        n_ctx = (found.n_ctx or self._props_context() or found.n_ctx_train
                 or (requested if requested > 0 else None))  # fmt: skip
        self._tokenizer = self._find_tokenizer(ref.model_id)
        self._counted.clear()
        self._info = ModelInfo(
            path=str(ref),
            name=ref.model_id,
            sha256=found.digest,
            architecture="remote",
            n_ctx_train=n_ctx or DEFAULT_CONTEXT,
            n_ctx=n_ctx or DEFAULT_CONTEXT,
            n_params=0,
            size_bytes=0,
            chat_template_source="server",
            gpu_layers=0,
            threads=0,
            metadata={"server": self.server.name, "url": self.server.url,
                      "tokenizer": self._tokenizer[0] if self._tokenizer else "estimate"},
        )  # fmt: skip
        _log.info("Loaded %s from %s (context %d, tokenizer %s)", ref, self.server.url,
                  self._info.n_ctx, self._info.metadata["tokenizer"])  # fmt: skip
        return self._info

    def unload(self) -> None:
        self._info = None
        self._counted.clear()

    def close(self) -> None:
        self.unload()
        self._client.close()

    def __enter__(self) -> RemoteBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def count_tokens(self, text: str) -> int:
        if text in self._counted:
            return self._counted[text]
        count: int | None = None
        if self._tokenizer is not None and self._info is not None:
            path, body = self._tokenizer
            count = token_count(
                self._json("POST", self.server.root + path, body(self._info.name, text))
            )
        self._counted[text] = count if count is not None else estimate_tokens(text)
        return self._counted[text]

    def generate(
        self,
        messages: Sequence[ChatMessage],
        params: GenerationParams,
        cancel: CancelToken | None = None,
    ) -> RemoteTokenStream:
        info = self._require()
        if not messages:
            raise ValueError("generate() needs at least one message")
        started = time.perf_counter()
        fitted, dropped, counted = list(messages), 0, 0
        available = info.n_ctx - reply_budget(params.max_tokens, info.n_ctx)
        upper = sum(len(m.content.encode()) + MESSAGE_OVERHEAD for m in messages)
        if upper + MESSAGE_OVERHEAD > available:  # may not fit: count for real (else no need)
            result = fit_history(messages, n_ctx=info.n_ctx, max_tokens=params.max_tokens,
                                 count=self._count_prompt)  # fmt: skip
            fitted, dropped, counted = result.messages, result.dropped, result.prompt_tokens
        body = chat_body(info.name, fitted, params)
        state = StreamState(started=started, dropped=dropped, cancel=cancel)
        state.stats.prompt_tokens = counted  # the server's own count replaces it when sent
        stream = RemoteTokenStream(self._pieces(body, state), state)
        stream.messages = fitted
        return stream

    # --- HTTP ------------------------------------------------------------------------------

    def _require(self) -> ModelInfo:
        if self._info is None:
            raise RemoteError(
                f"No model of the company server {self.server.name} is loaded; load one first.",
                server=self.server.name,
            )
        return self._info

    def _count_prompt(self, messages: Sequence[ChatMessage]) -> int:
        return MESSAGE_OVERHEAD + sum(self.count_tokens(m.content) + MESSAGE_OVERHEAD
                                      for m in messages)  # fmt: skip

    def _send(
        self, request: httpx.Request, *, stream: bool, optional: bool = False
    ) -> httpx.Response:
        """Send with one retry when nothing came back yet; an HTTP error status raises (and
        is logged as a warning, unless the endpoint is an `optional` one a server may lack)."""
        log = _log.debug if optional else _log.warning
        for attempt in (1, 2):
            try:
                with netguard.permit_endpoint(self.server.url):
                    response = self._client.send(request, stream=stream)
            except (httpx.TransportError, netguard.NetworkRefused) as exc:
                retry = isinstance(exc, httpx.TransportError) and not _is_tls_or_guard(exc)
                if attempt == 1 and retry:
                    continue
                message = transport_message(self.server.name, self.server.url, exc,
                                            connect_s=self.timeouts.connect,
                                            read_s=self.timeouts.read)  # fmt: skip
                log("%s", message)
                raise RemoteError(message, server=self.server.name) from exc
            if response.status_code < 300:
                return response
            detail = server_detail(response.read())
            response.close()
            if response.is_redirect:  # never followed: the policy names the one address
                detail = f"to {response.headers.get('location', '?')}; Enclave follows no redirect"
            if attempt == 1 and response.status_code in RETRY_STATUSES:
                time.sleep(0.5)
                continue
            model = self._info.name if self._info else None
            message = status_message(self.server.name, response.status_code, detail, model)
            log("%s", message)
            raise RemoteError(message, server=self.server.name, status=response.status_code)
        raise AssertionError("unreachable")

    def _json(
        self, method: str, path: str, body: dict[str, Any] | None = None, optional: bool = False
    ) -> dict[str, Any]:
        request = self._client.build_request(method, path, json=body)
        response = self._send(request, stream=False, optional=optional)
        try:
            data = response.json()
        except ValueError as exc:
            raise RemoteError(
                f"The company server {self.server.name} answered {path} with something that is "
                f"not JSON; is {self.server.url} an OpenAI-compatible API?",
                server=self.server.name,
            ) from exc
        return data if isinstance(data, dict) else {"data": data}

    def _props_context(self) -> int | None:
        with contextlib.suppress(RemoteError):
            props = self._json("GET", self.server.root + "/props", optional=True)
            settings = props.get("default_generation_settings") or {}
            n_ctx = settings.get("n_ctx") or props.get("n_ctx")
            return int(n_ctx) if isinstance(n_ctx, int) and n_ctx > 0 else None
        return None

    def _find_tokenizer(self, model: str) -> tuple[str, Any] | None:
        for path, body in TOKENIZERS:
            with contextlib.suppress(RemoteError):
                url = self.server.root + path
                reply = self._json("POST", url, body(model, "a b"), optional=True)
                if token_count(reply):
                    return path, body
        return None

    def _pieces(self, body: dict[str, Any], state: StreamState) -> Iterator[str]:
        if state.cancelled:  # stopped before the request went out: nothing is sent
            state.finish()
            return
        request = self._client.build_request("POST", "/chat/completions", json=body)
        response = self._send(request, stream=True)
        remove = state.cancel.on_cancel(lambda: _shut(response)) if state.cancel else None
        try:
            if "text/event-stream" not in response.headers.get("content-type", ""):
                # A server (or a proxy) that answered the whole reply at once instead
                yield from state.take(whole_as_chunk(response.read()), self.server.name)
                state.done = True
            for event in [] if state.done else sse.events(response.iter_lines()):
                if state.cancelled:
                    return
                if event.data.strip() == "[DONE]":
                    state.done = True
                    break
                yield from state.take(parse_chunk(event.data), self.server.name)
            if not state.done and not state.finished and not state.cancelled:
                raise state.interrupted(self.server.name, "the server closed the connection")
        except httpx.HTTPError as exc:
            if state.cancelled:
                return
            error = state.interrupted(self.server.name, str(exc) or type(exc).__name__)
            _log.warning("%s", error)
            raise error from exc
        finally:
            if remove is not None:
                remove()
            response.close()
            state.finish()


def _shut(response: httpx.Response) -> None:
    """Stop at once, from the cancelling thread: a blocked read returns when the socket shuts."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    with contextlib.suppress(OSError, AttributeError, ValueError):
        sock.shutdown(socket.SHUT_RDWR)  # type: ignore[union-attr]


def _is_tls_or_guard(exc: BaseException) -> bool:
    return is_certificate_error(exc) or isinstance(exc.__context__, netguard.NetworkRefused)
