"""Run the local API: 127.0.0.1 only, on a port bound before anything is announced.

The socket is bound and listening before the URL is printed, so a client that reads the URL
and connects at once is queued, not refused. The API is refused outright when the policy says
`[api] enabled = false`.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.api.token import TokenHolder
from app.core.config.runtime import Runtime
from app.core.errors import EnclaveError, PolicyRefused

HOST = "127.0.0.1"  # never another interface: the API is for this computer's own programs
DEFAULT_PORT = 8765


def check_allowed(runtime: Runtime) -> None:
    if not runtime.policy.api.enabled:
        raise PolicyRefused(
            "The administrator's policy turns the local API off ([api] enabled = false)."
        )


def bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise EnclaveError(
            f"Cannot listen on {HOST}:{port} ({exc.strerror or exc}); choose another port "
            f"(--port, or the port in Enclave's settings)."
        ) from exc
    sock.listen(64)
    return sock


def list_models(runtime: Runtime) -> list[str]:
    """The ids a client may ask for: "enclave" (the default), the installed models the policy
    allows, and the company servers' models the policy lists (no network call); only the
    default when the model is locked."""
    from app.api.openai_format import DEFAULT_MODEL
    from app.core.backends.servers import servers_for, user_servers_path
    from app.core.models.manager import ModelManager

    policy = runtime.policy
    if policy.is_locked("model"):
        return [DEFAULT_MODEL]
    installed = ModelManager(runtime).installed()
    local = [m.id for m in installed if policy.model_allowed(m.sha256)]
    servers = servers_for(policy, user_servers_path(runtime.paths.data_dir))
    remote = [f"{s.name}/{model}" for s in servers for model in s.models]
    return [DEFAULT_MODEL, *local, *remote]


class ApiServer:
    """The API on a bound port, over `executor` (the window's model worker, or a ModelThread).

    `run()` serves in the calling thread until interrupted (`enclave serve`); `start()` serves
    in a thread of its own and `stop()` ends it (the window's settings switch).
    """

    def __init__(self, runtime: Runtime, store: Any, executor: Any, port: int = DEFAULT_PORT):
        import uvicorn
        from uvicorn.protocols.http.h11_impl import H11Protocol

        from app.api.app import create_app
        from app.core.chat import ConversationService

        check_allowed(runtime)
        self.token = TokenHolder(runtime.paths.data_dir)  # Regenerate in the window swaps it
        self.token_file = self.token.path
        self._sock = bind(port)
        self.url = f"http://{HOST}:{self._sock.getsockname()[1]}/v1"
        service = ConversationService(runtime, store)
        app = create_app(service, executor, self.token, lambda: list_models(runtime))
        # Everything named, nothing chosen by uvicorn at run time: no module imported by name
        # (the frozen bundle ships only what it sees imported), no websockets.
        config = uvicorn.Config(
            app, http=H11Protocol, ws="none", loop="none", lifespan="off",
            log_level="warning", access_log=False,
        )  # fmt: skip
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        try:
            self._server.run(sockets=[self._sock])
        finally:
            self._sock.close()

    def start(self) -> None:
        """Serve in the background (the socket already listens: early clients wait)."""
        self._thread = threading.Thread(target=self.run, name="enclave-api", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)


def serve(runtime: Runtime, port: int, announce: Callable[[str, Path], None]) -> None:
    """`enclave serve`: its own model thread and store; `announce(base_url, token_file)` once
    listening, then serve until interrupted (Ctrl-C, SIGTERM)."""
    from app.api.executor import ModelThread
    from app.core.engine import LocalEngine

    check_allowed(runtime)
    store = runtime.open_store()
    thread = ModelThread(LocalEngine)
    try:
        store.mark_interrupted()
        server = ApiServer(runtime, store, thread, port)
        announce(server.url, server.token_file)
        server.run()
    finally:
        thread.close()
        store.close()
