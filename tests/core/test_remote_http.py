"""The remote backend's retry and HTTP failures, against a real local HTTP server with faults."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from app.core.backends.remote import RemoteBackend, RemoteError, Timeouts
from app.core.backends.servers import Server
from tests.helpers.http_server import ModelServer
from tests.helpers.openai_server import free_port

Make = Callable[[str], RemoteBackend]


@pytest.fixture
def backend_for() -> Iterator[Make]:
    """Backends for a URL, closed after the test (their connections with them)."""
    made: list[RemoteBackend] = []

    def make(url: str) -> RemoteBackend:
        made.append(RemoteBackend(Server("gpu", url, "token"), timeouts=Timeouts(2, 5)))
        return made[-1]

    yield make
    for backend in made:
        backend.close()


def test_a_busy_server_is_retried_once_then_named(server: ModelServer, backend_for: Make) -> None:
    server.faults.status["/v1/models"] = 503
    with pytest.raises(RemoteError, match=r"company server gpu is busy \(HTTP 503"):
        backend_for(server.url("/v1")).list_models()
    assert len(server.gets("/v1/models")) == 2  # one retry, nothing streamed yet


def test_too_many_requests_is_not_retried(server: ModelServer, backend_for: Make) -> None:
    server.faults.status["/v1/models"] = 429
    with pytest.raises(RemoteError, match=r"gpu is busy \(HTTP 429"):
        backend_for(server.url("/v1")).list_models()
    assert len(server.gets("/v1/models")) == 1


def test_a_url_without_the_api_says_so(server: ModelServer, backend_for: Make) -> None:
    with pytest.raises(RemoteError, match="no OpenAI-compatible API at that address") as error:
        backend_for(server.url("/v1")).list_models()
    assert error.value.status == 404


def test_a_server_that_is_down_is_named_with_its_address(backend_for: Make) -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(
        RemoteError, match=rf"connect to the company server gpu \(127\.0\.0\.1:{port}\)"
    ):
        backend_for(f"http://127.0.0.1:{port}/v1").list_models()


def test_generating_before_loading_is_a_clear_error(server: ModelServer, backend_for: Make) -> None:
    from app.core.types import ChatMessage, GenerationParams

    with pytest.raises(RemoteError, match="No model of the company server gpu is loaded"):
        backend_for(server.url("/v1")).generate([ChatMessage("user", "x")], GenerationParams())


def test_stop_ends_a_silent_stream_at_once(backend_for: Make) -> None:
    """Stop while the server sends nothing (a long prompt): the socket is shut, not waited on."""
    import threading
    import time

    from app.core.types import CancelToken, ChatMessage, GenerationParams, LoadOptions
    from tests.helpers.openai_server import StallingServer

    with StallingServer() as silent:
        remote = backend_for(silent.url)
        remote.load("gpu/slow", LoadOptions(context_size=1024))
        cancel = CancelToken()
        stream = remote.generate([ChatMessage("user", "x")], GenerationParams(), cancel)
        assert next(stream) == "Hi"
        timer = threading.Timer(0.3, cancel.cancel)
        timer.start()
        started = time.monotonic()
        assert list(stream) == []  # blocked on the silent socket until Stop
        assert time.monotonic() - started < 1.5  # far below the 5 s read timeout
        assert stream.stats.stop_reason == "cancelled"
        assert silent.closed.wait(5)  # the server saw the connection close


def test_stop_before_the_first_piece_sends_nothing(backend_for: Make) -> None:
    from app.core.types import CancelToken, ChatMessage, GenerationParams
    from tests.helpers.openai_server import StallingServer

    with StallingServer() as silent:
        remote = backend_for(silent.url)
        remote.load("gpu/slow")
        cancel = CancelToken()
        stream = remote.generate([ChatMessage("user", "x")], GenerationParams(), cancel)
        cancel.cancel()
        assert list(stream) == [] and stream.stats.stop_reason == "cancelled"
        assert silent.chats == 0


def test_a_reply_sent_whole_instead_of_streamed_is_taken(backend_for: Make) -> None:
    from app.core.types import ChatMessage, GenerationParams, Thought
    from tests.helpers.openai_server import StallingServer

    with StallingServer(whole=True) as whole:
        remote = backend_for(whole.url)
        remote.load("gpu/slow")
        stream = remote.generate([ChatMessage("user", "x")], GenerationParams())
        pieces = list(stream)
    assert pieces == ["Hmm.", "All at once."] and isinstance(pieces[0], Thought)
    assert stream.stats.stop_reason == "length"
    assert (stream.stats.prompt_tokens, stream.stats.generated_tokens) == (5, 3)


def test_a_redirect_is_not_followed(server: ModelServer, tmp_path, backend_for: Make) -> None:
    listing = tmp_path / "models.json"
    listing.write_text('{"data": []}')
    server.serve("/v1/models", listing, redirect=True)
    with pytest.raises(RemoteError, match=r"redirects elsewhere \(HTTP 302: to /cdn/v1/models"):
        backend_for(server.url("/v1")).list_models()
    assert not server.gets("/cdn/v1/models")
