"""The local API's parts that need no model: the token file, request parsing, the model list."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.api import openai_format as fmt
from app.api import token
from app.api.app import error_response
from app.api.serve import list_models
from app.core.config.runtime import Runtime
from app.core.errors import ModelError, PolicyRefused


def test_the_token_is_made_once_private_and_checked_in_constant_time(tmp_path: Path) -> None:
    first = token.load_or_create(tmp_path)
    path = token.token_path(tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600 and len(first) > 40
    assert token.load_or_create(tmp_path) == first
    path.chmod(0o644)
    token.load_or_create(tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600  # loosened rights are tightened again
    second = token.regenerate(tmp_path)
    assert second != first and token.load_or_create(tmp_path) == second
    assert token.matches(f"Bearer {second}", second)
    assert not token.matches(f"Bearer {first}", second)
    assert not token.matches(second, second) and not token.matches(None, second)


def test_a_token_regenerated_by_another_process_locks_out_the_old_one_at_once(
    tmp_path: Path,
) -> None:
    serving = token.TokenHolder(tmp_path)  # `enclave serve`, running apart
    window = token.TokenHolder(tmp_path)  # the window's Settings, same data dir
    old = serving.value
    assert window.value == old
    new = window.regenerate()
    assert not serving.matches(f"Bearer {old}")
    assert serving.matches(f"Bearer {new}") and serving.value == new
    token.token_path(tmp_path).unlink()  # a file gone keeps the token in memory: never open
    assert serving.matches(f"Bearer {new}") and not serving.matches("Bearer ")


def test_a_request_becomes_a_turn() -> None:
    req = fmt.parse_chat({
        "model": "enclave",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "More?"},
        ],
        "temperature": 0.3, "max_completion_tokens": 12.0, "seed": 4, "stream": True,
        "stream_options": {"include_usage": True},
    })  # fmt: skip
    assert (req.prompt, req.system, req.model, req.seed) == ("More?", "Be brief.", None, 4)
    assert [m.content for m in req.history] == ["Hi", "Hello!"]
    assert req.overrides == {"temperature": 0.3, "max_tokens": 12}
    assert req.stream and req.include_usage
    assert req.checked == {"temperature": 0.3, "max_tokens": 12, "system_prompt": "Be brief."}
    assert fmt.parse_chat({"model": "gpu/x", "messages": [{"role": "user", "content": "a"}]}
                          ).checked == {"model": "gpu/x"}  # fmt: skip


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ([], "JSON object"),
        ({"messages": []}, "non-empty list"),
        ({"messages": [{"role": "assistant", "content": "x"}]}, "last message must be the user"),
        ({"messages": [{"role": "tool", "content": "x"}]}, "Unsupported message role"),
        ({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}, "Only text"),
        ({"messages": [{"role": "user", "content": "x"}], "stop": ["\n"]}, "not supported"),
        ({"messages": [{"role": "user", "content": "x"}], "n": 2}, "n = 1"),
        ({"messages": [{"role": "user", "content": "x"}], "temperature": "hot"}, "number"),
    ],
)
def test_requests_the_api_cannot_serve_are_400(body: object, words: str) -> None:
    with pytest.raises(fmt.BadRequest, match=words) as error:
        fmt.parse_chat(body)
    assert error_response(error.value).status_code == 400


def test_failures_map_to_the_statuses_clients_expect() -> None:
    assert error_response(PolicyRefused("locked")).status_code == 403
    assert error_response(ModelError("no such model")).status_code == 404
    assert error_response(RuntimeError("boom")).status_code == 500


@pytest.mark.model  # lists the models of a fresh data dir: assembles the default one
def test_the_model_list_names_policy_server_models(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[[servers]]\nname = "gpu"\nurl = "https://llm.intranet.example/v1"\n'
        'models = ["qwen2.5-72b", "llama-70b"]\n',
        "utf-8",
    )
    runtime = Runtime.create(tmp_path / "data", policy)
    ids = list_models(runtime)
    assert ids[0] == "enclave" and ids[-2:] == ["gpu/qwen2.5-72b", "gpu/llama-70b"]
    policy.write_text('[settings]\nlocked = ["model"]\n', "utf-8")
    assert list_models(Runtime.create(tmp_path / "data", policy)) == ["enclave"]


@pytest.mark.model  # lists the models of a fresh data dir: assembles the default one
def test_the_api_serves_in_a_thread_and_stops(tmp_path: Path) -> None:
    """The window's way: over its own executor, in the background, until switched off."""
    import httpx
    import openai

    from app.api.executor import ModelThread
    from app.api.serve import ApiServer

    runtime = Runtime.create(tmp_path / "data", None)
    store = runtime.open_store()
    from app.core.engine import LocalEngine

    worker = ModelThread(LocalEngine)  # never loads: the missing model is refused first
    server = ApiServer(runtime, store, worker, port=0)
    server.start()
    try:
        key = server.token_file.read_text(encoding="utf-8").strip()
        client = openai.OpenAI(base_url=server.url, api_key=key, max_retries=0)
        assert client.models.list().data[0].id == "enclave"
        with pytest.raises(openai.NotFoundError, match="no-such-model"):
            client.chat.completions.create(
                model="no-such-model", messages=[{"role": "user", "content": "Hi"}]
            )
        assert store.list_conversations() == []  # refused before anything was written
    finally:
        server.stop()
        worker.close()
        store.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/models")
