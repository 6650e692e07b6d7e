"""Refuse outbound connections nobody asked for.

Enclave makes no network connection of its own accord. `install()` (called once at start by
the command line and the window) wraps Python's socket `connect` so that any connection to a
non-loopback address fails with `NetworkRefused` unless it happens inside `permit(url)`, which
the model download opens for the one host the user (and the policy) chose, plus the proxy that
will carry it, or inside `permit_endpoint(url)`, which a company-server backend opens for
exactly that server's host and port (nothing else on that host), and only for a server that
`allow_servers` registered from the policy at start. Local sockets (loopback, Unix)
are always allowed: Qt's single-instance server and tests' local HTTP servers use them.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import urllib.request
from collections.abc import Iterable, Iterator
from urllib.parse import urlparse

from app.core.errors import EnclaveError


class NetworkRefused(EnclaveError):
    """A connection was attempted that no user action or policy allowed."""


_lock = threading.Lock()
_permitted: dict[str, int] = {}  # address -> number of open permits
_endpoints: dict[tuple[str, int], int] = {}  # (address, port) -> number of open permits
_servers: set[tuple[str, int]] = set()  # (host, port) of the company servers the policy names
_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex
_installed = False


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host in ("localhost",)


def _check(sock: socket.socket, address: object) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    host = str(address[0]) if isinstance(address, tuple) else str(address)
    port = address[1] if isinstance(address, tuple) and len(address) > 1 else None
    if is_loopback(host):
        return
    with _lock:
        if _permitted.get(host) or _endpoints.get((host, port)):  # type: ignore[arg-type]
            return
    raise NetworkRefused(
        f"Enclave blocked a connection to {host}: nothing leaves this computer unless you start "
        f"a model download from a host your administrator allows, or use a company server "
        f"that the policy names."
    )


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check(self, address)
    return _original_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check(self, address)
    return _original_connect_ex(self, address)


def install() -> None:
    """Guard every socket of this process (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
        _installed = True


def uninstall() -> None:
    global _installed
    with _lock:
        socket.socket.connect = _original_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = _original_connect_ex  # type: ignore[method-assign]
        _installed = False


def _addresses(host: str, port: int) -> set[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return set()
    return {str(info[4][0]) for info in infos}


@contextlib.contextmanager
def permit(url: str) -> Iterator[None]:
    """Allow connections to `url`'s host (and the proxy for it) for the duration of the block."""
    parsed = urlparse(url)
    if not parsed.hostname:
        raise NetworkRefused(f"{url!r} is not a URL with a host name.")
    targets = [(parsed.hostname, parsed.port or (443 if parsed.scheme == "https" else 80))]
    proxy = urllib.request.getproxies().get(parsed.scheme)
    if proxy and not urllib.request.proxy_bypass(parsed.hostname):
        p = urlparse(proxy if "://" in proxy else f"http://{proxy}")
        if p.hostname:
            targets.append((p.hostname, p.port or 8080))
    addresses: set[str] = set()
    for host, port in targets:
        addresses.add(host)
        addresses |= _addresses(host, port)
    with _lock:
        for address in addresses:
            _permitted[address] = _permitted.get(address, 0) + 1
    try:
        yield
    finally:
        with _lock:
            for address in addresses:
                _permitted[address] -= 1
                if not _permitted[address]:
                    del _permitted[address]


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _endpoint(url: str) -> tuple[str, int]:
    parsed = urlparse(url)
    if not parsed.hostname:
        raise NetworkRefused(f"{url!r} is not a URL with a host name.")
    return parsed.hostname.lower(), parsed.port or _default_port(parsed.scheme)


def allow_servers(urls: Iterable[str]) -> None:
    """Register the company servers the policy names (at start): the only ones that
    `permit_endpoint` opens, whatever a caller builds by hand."""
    endpoints = {_endpoint(url) for url in urls}
    with _lock:
        _servers.clear()
        _servers.update(endpoints)


@contextlib.contextmanager
def permit_endpoint(url: str) -> Iterator[None]:
    """Allow connections to `url`'s host on `url`'s port only, and no proxy, inside the block.

    A company server named in the policy is reached directly: its port, nothing else on that
    host, and no other host (a redirect elsewhere is not followed by the backend either).
    """
    host, port = _endpoint(url)
    with _lock:
        registered = (host, port) in _servers
    if not registered and not is_loopback(host):
        raise NetworkRefused(
            f"Enclave blocked a connection to {host}:{port}: it is not a company server that "
            f"the administrator's policy names."
        )
    keys = {(a, port) for a in {host, *_addresses(host, port)}}
    with _lock:
        for key in keys:
            _endpoints[key] = _endpoints.get(key, 0) + 1
    try:
        yield
    finally:
        with _lock:
            for key in keys:
                _endpoints[key] -= 1
                if not _endpoints[key]:
                    del _endpoints[key]
