"""Server-sent events and chat-completion chunks, as OpenAI-compatible servers send them."""

from __future__ import annotations

import json
import time

import pytest

from app.core.backends.remote_errors import StreamInterrupted, server_detail
from app.core.backends.remote_stream import StreamState
from app.core.backends.sse import Event, events
from app.core.types import Thought


def test_events_skip_comments_and_join_data_lines() -> None:
    lines = [
        ": ping - keep-alive",
        "event: message",
        'data: {"a":',
        "data: 1}",
        "",
        "id: 7",
        "retry: 100",
        "unknown-field: x",
        "data: [DONE]",
        "",
    ]
    assert list(events(lines)) == [Event("message", '{"a":\n1}'), Event("message", "[DONE]")]


def test_an_unfinished_event_is_discarded_and_crlf_is_accepted() -> None:
    assert list(events(["data: x\r\n", "\r\n", "event: usage", "data: half"])) == [
        Event("message", "x")
    ]


def chunk(**delta: str) -> dict:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}


def test_reasoning_is_kept_apart_from_the_answer() -> None:
    state = StreamState(started=time.perf_counter())
    pieces = [
        *state.take(chunk(role="assistant"), "gpu"),
        *state.take(chunk(reasoning_content="Think"), "gpu"),  # llama-server, DeepSeek
        *state.take(chunk(reasoning="ing."), "gpu"),  # vLLM
        *state.take(chunk(content="Hello"), "gpu"),
        *state.take({"object": "something.new", "whatever": 1}, "gpu"),  # unknown: ignored
        *state.take({"choices": [{"delta": {}, "finish_reason": "length"}]}, "gpu"),
        *state.take({"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 3}}, "gpu"),
    ]
    assert pieces == ["Think", "ing.", "Hello"]
    assert [type(p) for p in pieces] == [Thought, Thought, str]
    state.finish()
    assert state.stats.stop_reason == "length"
    assert (state.stats.prompt_tokens, state.stats.generated_tokens) == (9, 3)


def test_an_in_band_error_keeps_the_partial_answer() -> None:
    state = StreamState(started=time.perf_counter())
    list(state.take(chunk(content="Half an "), "gpu"))
    with pytest.raises(StreamInterrupted, match=r"gpu stopped.*out of memory") as error:
        list(state.take({"error": {"message": "out of memory", "code": 500}}, "gpu"))
    assert error.value.partial == "Half an " and error.value.stats.stop_reason == "error"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (json.dumps({"error": {"message": "The model `x` does not exist.", "code": 404}}),
         "The model `x` does not exist."),
        (json.dumps({"detail": "Invalid API Key"}), "Invalid API Key"),
        ("Service   Unavailable\n", "Service Unavailable"),
    ],
)  # fmt: skip
def test_server_detail(body: str, detail: str) -> None:
    assert server_detail(body.encode()) == detail
