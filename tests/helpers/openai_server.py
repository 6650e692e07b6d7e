"""A real OpenAI-compatible server on 127.0.0.1: llama-cpp-python's own `llama_cpp.server`
serving the bundled model in a child process, with an API key and, optionally, TLS from a test
CA made by `trustme` (the CA's certificate is the policy's `ca_file`).

    with OpenAIServer(model_path, tls=TestCA(tmp)) as server:
        server.url            # https://127.0.0.1:PORT/v1
        server.policy(path)   # writes a policy naming it as server "gpu"
        server.kill()         # SIGKILL, for "the server died mid-stream"

The model load is kept cheap (a 1024-token context, 2 threads).
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

MODEL_ID = "gemma-test"
API_KEY = "test-token-1234"


class TestCA:
    """A throw-away certificate authority and a certificate for 127.0.0.1 / localhost."""

    def __init__(self, folder: Path) -> None:
        import trustme

        folder.mkdir(parents=True, exist_ok=True)
        self.ca = trustme.CA()
        cert = self.ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = folder / "company-ca.pem"
        self.cert_file = folder / "server.pem"
        self.key_file = folder / "server.key"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        cert.private_key_pem.write_to_path(str(self.key_file))
        cert.cert_chain_pems[0].write_to_path(str(self.cert_file))
        for pem in cert.cert_chain_pems[1:]:
            pem.write_to_path(str(self.cert_file), append=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OpenAIServer:
    def __init__(
        self,
        model_path: Path,
        *,
        tls: TestCA | None = None,
        api_key: str = API_KEY,
        n_ctx: int = 1024,
        threads: int = 2,
        log_file: Path | None = None,
    ) -> None:
        self.model_path = model_path
        self.tls = tls
        self.api_key = api_key
        self.n_ctx = n_ctx
        self.threads = threads
        self.port = free_port()
        self.log_file = log_file or Path(os.devnull)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> OpenAIServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 120) -> None:
        argv = [
            sys.executable, "-m", "llama_cpp.server", "--model", str(self.model_path),
            "--model_alias", MODEL_ID, "--chat_format", "gemma", "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.threads), "--n_threads_batch", str(self.threads),
            "--host", "127.0.0.1", "--port", str(self.port), "--api_key", self.api_key,
            "--verbose", "False",
        ]  # fmt: skip
        if self.tls:
            argv += ["--ssl_keyfile", str(self.tls.key_file)]
            argv += ["--ssl_certfile", str(self.tls.cert_file)]
        with open(self.log_file, "ab") as log:
            self._process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while not self._ready():
            if self._process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {self._process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"llama_cpp.server did not start within {timeout} s")
            time.sleep(0.1)  # a child process starting: nothing to wait on but the port

    def _ready(self) -> bool:
        if self.tls:
            context = ssl.create_default_context(cafile=str(self.tls.ca_file))
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=2, context=context
            )
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            conn.request("GET", "/v1/models", headers={"Authorization": f"Bearer {self.api_key}"})
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    def kill(self) -> None:
        """The server dies at once (no clean shutdown of open streams)."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=30)

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def policy(self, path: Path, *, name: str = "gpu", token_file: Path | None = None,
               extra: str = "") -> Path:  # fmt: skip
        """Write an admin policy naming this server; the token goes to a 0600 file beside it."""
        if token_file is None:
            token_file = path.with_suffix(".token")
            token_file.write_text(self.api_key + "\n", encoding="utf-8")
            token_file.chmod(0o600)
        network = f'ca_file = "{self.tls.ca_file}"\n' if self.tls else ""
        path.write_text(
            f"[network]\n{network}{extra}\n"
            f'[[servers]]\nname = "{name}"\nurl = "{self.url}"\n'
            f'api_key_file = "{token_file}"\n',
            encoding="utf-8",
        )
        return path


# -- pytest fixtures (registered by tests/conftest.py) ----------------------------------------
@pytest.fixture(scope="session")
def openai_server(
    model_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OpenAIServer]:
    """One real TLS server for the session, its certificate from a test CA."""
    folder = tmp_path_factory.mktemp("openai-server")
    with OpenAIServer(model_path, tls=TestCA(folder / "ca"), log_file=folder / "server.log") as s:
        yield s


@pytest.fixture
def company_policy(
    openai_server: OpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """An admin policy naming the session's server as "gpu" (ENCLAVE_POLICY points at it)."""
    path = openai_server.policy(tmp_path / "policy.toml")
    monkeypatch.setenv("ENCLAVE_POLICY", str(path))
    return path


WHOLE_REPLY = (
    b'{"object":"chat.completion","choices":[{"index":0,"finish_reason":"length","message":'
    b'{"role":"assistant","reasoning_content":"Hmm.","content":"All at once."}}],'
    b'"usage":{"prompt_tokens":5,"completion_tokens":3}}'
)


class StallingServer:
    """A real HTTP server on 127.0.0.1 that lists one model, then answers a chat completion with
    one piece and goes silent (a server busy on a long prompt): for Stop while nothing comes.
    `whole=True`: it answers the completion as one JSON body instead, ignoring `stream`."""

    def __init__(self, *, whole: bool = False) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.closed = threading.Event()  # set when the client hung up on the silent stream
        self.chats = 0  # chat completions asked for

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _send(self, body: bytes, kind: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._send(b'{"object":"list","data":[{"id":"slow"}]}', "application/json")

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if not self.path.endswith("/chat/completions"):
                    self.send_error(404)
                    return
                outer.chats += 1
                if whole:
                    self._send(WHOLE_REPLY, "application/json")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                self.wfile.write(b'data: {"choices":[{"delta":{"content":"Hi"}}]}\n\n')
                self.wfile.flush()
                self.connection.settimeout(60)
                try:
                    while self.connection.recv(1):  # b"" once the client closes
                        pass
                except OSError:
                    pass
                outer.closed.set()

        outer = self
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> StallingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
