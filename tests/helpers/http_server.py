"""A real HTTP server on 127.0.0.1 serving model files, with Range support and fault injection.

It plays Hugging Face (a `resolve` URL answering with a redirect that carries the file's sha256
in `X-Linked-Etag`), an intranet mirror (a `<file>.sha256` sidecar), or a plain web server
(no checksum at all). Faults: drop the connection at given byte offsets of the file (each once),
answer every request of a route with an error status, ignore Range requests, or send slowly.

    with ModelServer() as server:
        url = server.serve("/m.gguf", model_path, sha256=digest, publish="linked-etag")
        server.faults.drop_at = [1 << 20]
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal

Publish = Literal["linked-etag", "etag", "sidecar", "none"]
SEND_CHUNK = 256 << 10


@dataclass
class Route:
    path: Path
    sha256: str | None
    publish: Publish
    redirect: bool  # answer with a 302 to a "CDN" path, like Hugging Face


@dataclass
class Faults:
    drop_at: list[int] = field(default_factory=list)  # file offsets; each drops one connection
    status: dict[str, int] = field(default_factory=dict)  # route -> forced status (404, 500…)
    ignore_range: bool = False
    bytes_per_second: int | None = None  # slow: throttle the body
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_drop(self, start: int, end: int) -> int | None:
        """The first drop offset inside [start, end), consumed."""
        with self.lock:
            for offset in sorted(self.drop_at):
                if start <= offset < end:
                    self.drop_at.remove(offset)
                    return offset
        return None


@dataclass
class Request:
    method: str
    path: str
    range: str | None


class ModelServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.faults = Faults()
        self.requests: list[Request] = []
        self.bytes_sent = 0
        self.cdn_base = ""  # redirects go to this origin (e.g. another host name) if set
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> ModelServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)

    @property
    def base(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, route: str) -> str:
        return self.base + route

    def serve(
        self,
        route: str,
        path: Path,
        *,
        sha256: str | None = None,
        publish: Publish = "linked-etag",
        redirect: bool = False,
    ) -> str:
        self.routes[route] = Route(path, sha256, publish, redirect)
        return self.url(route)

    def gets(self, route: str) -> list[Request]:
        return [r for r in self.requests if r.method == "GET" and r.path == route]


def _handler_for(server: ModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self._answer(body=False)

        def do_GET(self) -> None:
            self._answer(body=True)

        def _answer(self, body: bool) -> None:
            self.close_connection = True
            server.requests.append(Request(self.command, self.path, self.headers.get("Range")))
            forced = server.faults.status.get(self.path)
            if forced:
                return self._status(forced)
            if self.path.startswith("/cdn/"):
                return self._file(self.path.removeprefix("/cdn"), body, from_cdn=True)
            if self.path.endswith(".sha256"):
                return self._sidecar(self.path.removesuffix(".sha256"))
            route = server.routes.get(self.path)
            if route is None:
                return self._status(404)
            if route.redirect:
                self.send_response(302)
                self.send_header("Location", server.cdn_base + "/cdn" + self.path)
                if route.sha256 and route.publish == "linked-etag":
                    self.send_header("X-Linked-Etag", f'"{route.sha256}"')
                    self.send_header("X-Linked-Size", str(route.path.stat().st_size))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            return self._file(self.path, body, from_cdn=False)

        def _sidecar(self, route_path: str) -> None:
            route = server.routes.get(route_path)
            if route is None or route.publish != "sidecar" or not route.sha256:
                return self._status(404)
            text = f"{route.sha256}  {route.path.name}\n".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)
            return None

        def _file(self, route_path: str, body: bool, from_cdn: bool) -> None:
            route = server.routes.get(route_path)
            if route is None:
                return self._status(404)
            size = route.path.stat().st_size
            start, end = 0, size
            wanted = self.headers.get("Range")
            if wanted and not server.faults.ignore_range:
                first, _, last = wanted.removeprefix("bytes=").partition("-")
                start = int(first)
                end = int(last) + 1 if last else size
                if start >= size:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(end - start))
            self.send_header("Accept-Ranges", "bytes")
            if route.sha256 and route.publish == "etag":
                self.send_header("ETag", f'"{route.sha256}"')
            elif route.sha256 and route.publish == "linked-etag" and not route.redirect:
                self.send_header("X-Linked-Etag", f'"{route.sha256}"')
            else:
                self.send_header("ETag", f'"{size:x}-{int(route.path.stat().st_mtime)}"')
            self.end_headers()
            if body:
                self._send_body(route.path, start, end)
            return None

        def _send_body(self, path: Path, start: int, end: int) -> None:
            drop = server.faults.take_drop(start, end)
            stop = drop if drop is not None else end
            rate = server.faults.bytes_per_second
            with path.open("rb") as fh, contextlib.suppress(OSError):
                fh.seek(start)
                position = start
                while position < stop:
                    block = fh.read(min(SEND_CHUNK, stop - position))
                    self.wfile.write(block)
                    position += len(block)
                    server.bytes_sent += len(block)
                    if rate:
                        time.sleep(len(block) / rate)  # a slow link, on the server side
            if drop is not None:
                with contextlib.suppress(OSError):
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                self.connection.close()

        def _status(self, code: int) -> None:
            text = f"error {code}\n".encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(text)

    return Handler


def make_variant(model: Path, target: Path) -> tuple[Path, str]:
    """A second real model to serve: the default GGUF with its name changed ("Gemma 3 270m"
    -> "Gemma 3 Test", same length), so it is not the bundled model. Returns (path, sha256)."""
    import hashlib
    import shutil

    with model.open("rb") as src, target.open("wb") as out:
        head = src.read(1 << 16)
        assert head.count(b"Gemma 3 270m") == 1, "the default model's name moved"
        out.write(head.replace(b"Gemma 3 270m", b"Gemma 3 Test"))
        shutil.copyfileobj(src, out, 4 << 20)
    digest = hashlib.sha256()
    with target.open("rb") as fh:
        while block := fh.read(4 << 20):
            digest.update(block)
    return target, digest.hexdigest()
