"""The network guard refuses connections that no user action allowed."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from app.core import netguard


@pytest.fixture
def guard() -> None:
    """The suite-wide guard (tests/conftest.py) is installed; make sure, and leave it so."""
    netguard.install()


@pytest.fixture
def loopback_server() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted = threading.Thread(target=lambda: server.accept()[0].close(), daemon=True)
    accepted.start()
    yield server.getsockname()[1]
    server.close()


def test_loopback_is_allowed(guard: None, loopback_server: int) -> None:
    with socket.create_connection(("127.0.0.1", loopback_server), timeout=5):
        pass


def test_outbound_connection_is_refused_before_any_packet(guard: None) -> None:
    # 192.0.2.0/24 is TEST-NET-1: reserved, never routed; the guard must refuse before connect.
    with pytest.raises(netguard.NetworkRefused, match=r"192\.0\.2\.1"):
        socket.create_connection(("192.0.2.1", 443), timeout=1)
    sock = socket.socket()
    with pytest.raises(netguard.NetworkRefused):
        sock.connect_ex(("192.0.2.1", 80))
    sock.close()


def test_permit_opens_only_the_named_host_and_only_inside_the_block(
    guard: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(netguard, "_addresses", lambda host, port: {"192.0.2.7"})
    monkeypatch.setattr(netguard.urllib.request, "getproxies", dict)
    attempted: list[object] = []
    monkeypatch.setattr(netguard, "_original_connect", lambda s, a: attempted.append(a))
    with socket.socket() as sock:
        with netguard.permit("https://models.intranet.example/x.gguf"):
            sock.connect(("192.0.2.7", 443))
            with pytest.raises(netguard.NetworkRefused):
                sock.connect(("192.0.2.8", 443))
        assert attempted == [("192.0.2.7", 443)]
        with pytest.raises(netguard.NetworkRefused):
            sock.connect(("192.0.2.7", 443))
