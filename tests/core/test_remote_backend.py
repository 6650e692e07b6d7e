"""The remote backend against a real OpenAI-compatible server (llama_cpp.server) on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from app.core.backends.remote import RemoteBackend, RemoteError, StreamInterrupted
from app.core.backends.servers import Server, server_for
from app.core.config.policy import load_policy
from app.core.errors import ContextOverflowError, PolicyRefused
from app.core.types import CancelToken, ChatMessage, GenerationParams, LoadOptions, Thought
from tests.helpers.openai_server import API_KEY, MODEL_ID, OpenAIServer
from tests.helpers.socket_audit import SocketAudit

pytestmark = pytest.mark.model
HELLO = [ChatMessage("user", "Say hello.")]


@pytest.fixture
def backend(company_policy: Path) -> RemoteBackend:
    server = server_for(load_policy(company_policy), "gpu")
    remote = RemoteBackend(server)
    remote.load(f"gpu/{MODEL_ID}", LoadOptions(context_size=1024))
    yield remote
    remote.close()


def test_load_describes_the_server_model(backend: RemoteBackend) -> None:
    info = backend.info
    assert info is not None
    assert (info.path, info.name, info.sha256) == (f"gpu/{MODEL_ID}", MODEL_ID, "")
    assert info.chat_template_source == "server" and info.n_ctx == 1024
    # llama-cpp-python's tokenizer endpoint counts exactly, unlike the estimate
    assert info.metadata["tokenizer"] == "/extras/tokenize/count"
    assert 0 < backend.count_tokens("Hello there, how are you today?") < 15


def test_streams_a_reply_with_its_stats(backend: RemoteBackend) -> None:
    params = GenerationParams(max_tokens=8, seed=1, temperature=0.0, ignore_eos=True)
    stream = backend.generate(HELLO, params)
    pieces = list(stream)
    assert len(pieces) >= 2 and all(type(p) is str for p in pieces)  # answer, no reasoning
    assert stream.stats.stop_reason == "length"
    assert stream.stats.generated_tokens == 8
    assert 0 < stream.stats.time_to_first_token_s < stream.stats.total_s
    again = backend.generate(HELLO, params).text()
    assert again == "".join(pieces)  # same seed, greedy: the server is really answering


def test_stop_closes_the_stream_at_once(backend: RemoteBackend) -> None:
    cancel = CancelToken()
    stream = backend.generate(HELLO, GenerationParams(max_tokens=200, ignore_eos=True), cancel)
    received = [next(stream)]
    stopped_at = time.perf_counter()
    threading.Thread(target=cancel.cancel).start()  # Stop from another thread, as the window
    received += list(stream)
    assert time.perf_counter() - stopped_at < 1.0
    assert stream.stats.stop_reason == "cancelled"
    assert len(received) < 50
    # The server is free again for the next request.
    after = backend.generate(HELLO, GenerationParams(max_tokens=2, ignore_eos=True))
    after.text()
    assert after.stats.stop_reason == "length" and after.stats.generated_tokens == 2


def test_a_bad_token_is_refused_with_a_clear_message(openai_server: OpenAIServer) -> None:
    server = Server("gpu", openai_server.url, "wrong-token", ca_file=openai_server.tls.ca_file)
    with RemoteBackend(server) as remote, pytest.raises(RemoteError, match=r"refused the token"):
        remote.load(f"gpu/{MODEL_ID}")


def test_a_model_the_server_lacks_is_named(backend: RemoteBackend) -> None:
    with pytest.raises(RemoteError, match=r"gpu has no model 'llama-70b'.*gemma-test") as error:
        backend.load("gpu/llama-70b")
    assert error.value.status == 404


def test_another_servers_model_is_refused(backend: RemoteBackend) -> None:
    with pytest.raises(PolicyRefused, match="not a model of the company server gpu"):
        backend.load(f"other/{MODEL_ID}")


def test_an_untrusted_certificate_is_refused(openai_server: OpenAIServer) -> None:
    server = Server("gpu", openai_server.url, API_KEY)  # no ca_file: the test CA is unknown
    with RemoteBackend(server) as remote, pytest.raises(RemoteError, match="certificate of"):
        remote.list_models()


def test_a_message_too_long_for_the_server_context_is_never_cut(backend: RemoteBackend) -> None:
    long = ChatMessage("user", "word " * 2000)
    with pytest.raises(ContextOverflowError):
        backend.generate([long], GenerationParams(max_tokens=16))


def test_old_turns_are_dropped_to_fit(backend: RemoteBackend) -> None:
    history = [ChatMessage("user", "word " * 300), ChatMessage("assistant", "ok " * 300)] * 3
    stream = backend.generate([*history, *HELLO], GenerationParams(max_tokens=16))
    # Fitted (with the server's own token counts) before anything is sent.
    assert stream.stats.dropped_messages > 0 and stream.messages[-1] == HELLO[0]
    assert stream.messages == history[stream.stats.dropped_messages :] + HELLO
    assert stream.stats.prompt_tokens <= 1024 - 16
    stream.close()
    assert stream.stats.stop_reason == "cancelled"


def test_only_the_configured_server_is_contacted(backend: RemoteBackend) -> None:
    port = int(backend.server.url.rsplit(":", 1)[1].split("/")[0])
    with SocketAudit() as audit:
        backend.generate(HELLO, GenerationParams(max_tokens=4)).text()
        backend.list_models()
    connects = [r for r in audit.records if r["event"] == "socket.connect"]
    assert connects, "the audit saw the connection"
    assert all(r["args"][0] == f"('127.0.0.1', {port})" for r in connects), connects


def test_a_server_killed_mid_stream_keeps_the_partial_reply(
    model_path: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with OpenAIServer(model_path, log_file=tmp_path / "server.log") as dying:
        remote = RemoteBackend(Server("gpu", dying.url, API_KEY))
        request.addfinalizer(remote.close)
        remote.load(f"gpu/{MODEL_ID}", LoadOptions(context_size=1024))
        stream = remote.generate(HELLO, GenerationParams(max_tokens=300, ignore_eos=True))
        received = [next(stream), next(stream), next(stream)]
        dying.kill()
        with pytest.raises(StreamInterrupted, match="stopped in the middle") as error:
            received += list(stream)
    assert error.value.partial.startswith("".join(p for p in received if type(p) is str))
    assert error.value.partial and error.value.stats.stop_reason == "error"
    assert not any(isinstance(p, Thought) for p in received)
