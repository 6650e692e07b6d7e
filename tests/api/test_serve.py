"""`enclave serve` as a user runs it, used by the official `openai` client, on the real model."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import psutil
import pytest

from app.core import netguard
from tests.helpers.cli import assert_one_clear_line, enclave

pytestmark = pytest.mark.model
HELLO = [{"role": "user", "content": "Say hello."}]


@dataclass
class Api:
    url: str
    token_file: Path
    data_dir: Path
    process: subprocess.Popen[str]

    def client(self, token: str | None = None) -> openai.OpenAI:
        key = token or self.token_file.read_text(encoding="utf-8").strip()
        return openai.OpenAI(base_url=self.url, api_key=key, max_retries=0, timeout=120)

    def replies(self) -> list[tuple[str, str]]:
        with sqlite3.connect(self.data_dir / "enclave.sqlite3") as con:
            rows = con.execute(
                "SELECT status, content FROM messages WHERE role = 'assistant' ORDER BY id"
            )
            return rows.fetchall()


@pytest.fixture(scope="module")
def api(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    root = tmp_path_factory.mktemp("api")
    data = root / "data"
    (data / "models").mkdir(parents=True)
    os.link(model_path, data / "models" / model_path.name)  # same file system: no copy
    policy = root / "policy.toml"
    policy.write_text('[settings]\nlocked = ["temperature"]\ntemperature = 0.2\n', "utf-8")
    argv = [sys.executable, "-m", "app", "--data-dir", str(data), "--policy", str(policy),
            "serve", "--port", "0"]  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = process.stdout.readline().partition(": ")[2].strip()  # type: ignore[union-attr]
    token = process.stdout.readline().partition(": ")[2].split(" (")[0]  # type: ignore[union-attr]
    assert url.startswith("http://127.0.0.1:"), process.stderr.read()  # type: ignore[union-attr]
    yield Api(url, Path(token), data, process)
    process.terminate()
    process.wait(timeout=30)


def test_the_token_file_is_private(api: Api) -> None:
    assert api.token_file.parent == api.data_dir
    assert api.token_file.stat().st_mode & 0o777 == 0o600


def test_models_are_listed(api: Api) -> None:
    ids = [m.id for m in api.client().models.list()]
    assert ids[0] == "enclave" and len(ids) == 2  # the default, and the installed model


def test_a_whole_completion_is_answered_and_stored(api: Api) -> None:
    reply = api.client().chat.completions.create(
        model="enclave", messages=HELLO, max_tokens=6, seed=3
    )
    text = reply.choices[0].message.content
    assert text and reply.usage.completion_tokens <= 6
    assert api.replies()[-1] == ("complete", text)


def test_a_streamed_completion_with_history(api: Api) -> None:
    messages = [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Name a colour."},
    ]
    stream = api.client().chat.completions.create(
        model="enclave", messages=messages, max_tokens=6, stream=True,
        stream_options={"include_usage": True},
    )  # fmt: skip
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text and chunks[-1].usage.completion_tokens <= 6
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] in ("stop", "length")
    assert api.replies()[-1] == ("complete", text)


def test_no_token_no_answer(api: Api) -> None:
    with pytest.raises(openai.AuthenticationError):
        api.client(token="enclave-wrong").models.list()
    assert httpx.get(f"{api.url}/models").status_code == 401


def test_a_locked_setting_is_refused_with_the_reason(api: Api) -> None:
    before = len(api.replies())
    with pytest.raises(openai.PermissionDeniedError, match="locked temperature"):
        api.client().chat.completions.create(model="enclave", messages=HELLO, temperature=0.9)
    assert len(api.replies()) == before  # refused before anything was stored


def test_two_clients_are_served_in_turn(api: Api) -> None:
    times: dict[str, list[float]] = {}

    def ask(name: str) -> None:
        stream = api.client().chat.completions.create(
            model="enclave", messages=HELLO, max_tokens=8, stream=True
        )
        times[name] = [time.monotonic() for _ in stream]

    threads = [threading.Thread(target=ask, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    first, second = sorted(times.values(), key=lambda t: t[0])
    assert second[0] >= first[-1]  # the second reply started once the first had ended


def test_a_client_that_disconnects_cancels_its_reply(api: Api) -> None:
    stream = api.client().chat.completions.create(
        model="enclave", messages=HELLO, max_tokens=500, stream=True
    )
    next(iter(stream)), next(iter(stream))
    stream.close()
    deadline = time.monotonic() + 60
    while api.replies()[-1][0] == "streaming" and time.monotonic() < deadline:
        time.sleep(0.1)  # the server process stops on its own: poll its database
    status, text = api.replies()[-1]
    assert status == "cancelled" and len(text) < 500


def test_the_port_refuses_other_interfaces(api: Api) -> None:
    port = int(api.url.rsplit(":", 1)[1].split("/")[0])
    others = [
        a.address for addrs in psutil.net_if_addrs().values() for a in addrs
        if a.family == socket.AF_INET and not netguard.is_loopback(a.address)
    ]  # fmt: skip
    if not others:
        pytest.skip("this machine has no network interface besides loopback")
    for address in others:
        with socket.socket() as sock:
            sock.settimeout(5)
            with pytest.raises(ConnectionRefusedError):
                netguard._original_connect(sock, (address, port))  # past the guard, on purpose


def test_the_policy_can_forbid_the_api(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[api]\nenabled = false\n", "utf-8")
    line = assert_one_clear_line(enclave("serve", "--port", "0", policy=policy), code=3)
    assert "[api] enabled = false" in line
