"""Which company servers may be reached: the policy, model references, the network guard."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core import netguard
from app.core.backends.remote_errors import status_message
from app.core.backends.servers import (
    ModelRef,
    check_server_url,
    parse_model_ref,
    read_user_servers,
    server_for,
    servers_for,
    write_user_servers,
)
from app.core.config.policy import Policy, PolicyError, ServerPolicy, load_policy
from app.core.errors import EnclaveError, PolicyRefused
from tests.helpers.socket_audit import SocketAudit


def policy_file(tmp_path: Path, text: str) -> Policy:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return load_policy(path)


SERVERS = """
[[servers]]
name = "gpu"
url = "https://llm.intranet.example/v1"
api_key_env = "GPU_TOKEN"
models = ["qwen2.5-72b"]
[[servers]]
name = "lab"
url = "http://10.1.2.3:8080/v1"
"""


@pytest.mark.parametrize(
    ("spec", "ref"),
    [
        ("gpu/qwen2.5-72b", ModelRef("gpu", "qwen2.5-72b")),
        ("gpu/Qwen/Qwen2.5-72B-Instruct", ModelRef("gpu", "Qwen/Qwen2.5-72B-Instruct")),
        ("gemma-3-270m", None),  # an installed model's name
        ("models/gemma.gguf", None),  # a relative path
        ("/srv/models/x", None),
        ("./x/y", None),
        ("~/x/y", None),
        (r"C:\models\x", None),
        ("sha256:a5fd3b", None),
        ("gpu/", None),
    ],
)
def test_parse_model_ref(spec: str, ref: ModelRef | None) -> None:
    assert parse_model_ref(spec) == ref


def test_an_existing_folder_is_a_path_not_a_server(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "gpu" / "model").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert parse_model_ref("gpu/model") is None


def test_a_crafted_model_string_naming_an_unknown_server_is_refused(tmp_path: Path) -> None:
    policy = policy_file(tmp_path, SERVERS)
    for spec in ("evil/x", "llm.attacker.example/x", "https:/x"):
        ref = parse_model_ref(spec)
        assert ref is not None
        with pytest.raises(PolicyRefused, match="no company server called"):
            server_for(policy, ref.server)


def test_the_token_comes_from_the_named_variable(tmp_path: Path, monkeypatch) -> None:
    policy = policy_file(tmp_path, SERVERS)
    with pytest.raises(EnclaveError, match="GPU_TOKEN, which is not set"):
        server_for(policy, "gpu")
    monkeypatch.setenv("GPU_TOKEN", " secret \n")
    server = server_for(policy, "gpu")
    assert server.api_key == "secret" and "secret" not in repr(server)
    assert server.model_allowed("qwen2.5-72b") and not server.model_allowed("other")
    assert server_for(policy, "lab").api_key is None


def test_a_server_outside_allowed_hosts_is_unusable(tmp_path: Path) -> None:
    hosts = '[network]\nallowed_hosts = ["llm.intranet.example"]\n'
    policy = policy_file(tmp_path, hosts + SERVERS)
    assert [s.name for s in servers_for(policy)] == ["gpu"]
    with pytest.raises(PolicyError, match=r"10\.1\.2\.3 is not in \[network\] allowed_hosts"):
        server_for(policy, "lab")


def test_allow_user_servers_is_a_policy_switch(tmp_path: Path) -> None:
    assert Policy().network.allow_user_servers is False
    policy = policy_file(tmp_path, "[network]\nallow_user_servers = true\n")
    assert policy.network.allow_user_servers is True
    with pytest.raises(PolicyError, match="allow_user_servers must be true or false"):
        policy_file(tmp_path, '[network]\nallow_user_servers = "yes"\n')


def test_user_servers_count_only_where_the_policy_allows(tmp_path: Path) -> None:
    mine = tmp_path / "servers.json"
    write_user_servers(mine, [ServerPolicy("home", "http://192.0.2.10:8000/v1"),
                              ServerPolicy("gpu", "http://192.0.2.11/v1")])  # fmt: skip
    assert mine.stat().st_mode & 0o777 == 0o600
    assert [s.name for s in read_user_servers(mine)] == ["home", "gpu"]
    closed = policy_file(tmp_path, SERVERS)
    assert [s.name for s in servers_for(closed, mine)] == ["gpu", "lab"]
    with pytest.raises(PolicyRefused):
        server_for(closed, "home", mine)
    opened = policy_file(tmp_path, "[network]\nallow_user_servers = true\n" + SERVERS)
    names = [(s.name, s.url) for s in servers_for(opened, mine)]
    # the user's "gpu" never replaces the policy's
    assert names[-1] == ("home", "http://192.0.2.10:8000/v1") and len(names) == 3
    assert server_for(opened, "home", mine).source == "user"
    fenced = policy_file(
        tmp_path, '[network]\nallow_user_servers = true\nallowed_hosts = ["x.example"]\n'
    )
    assert servers_for(fenced, mine) == []
    with pytest.raises(PolicyRefused, match=r"192\.0\.2\.10 is not one of them"):
        check_server_url("home", "http://192.0.2.10:8000/v1", fenced)


@pytest.fixture
def registered() -> Iterator[None]:
    netguard.install()
    netguard.allow_servers(["https://llm.intranet.example/v1"])
    yield
    netguard.allow_servers([])


def test_the_guard_opens_only_the_servers_port(registered: None, monkeypatch) -> None:
    monkeypatch.setattr(netguard, "_addresses", lambda host, port: {"192.0.2.7"})
    attempted: list[object] = []
    monkeypatch.setattr(netguard, "_original_connect", lambda s, a: attempted.append(a))
    with socket.socket() as sock:
        with netguard.permit_endpoint("https://llm.intranet.example/v1"):
            sock.connect(("192.0.2.7", 443))
            with pytest.raises(netguard.NetworkRefused):
                sock.connect(("192.0.2.7", 22))  # same host, another port
            with pytest.raises(netguard.NetworkRefused):
                sock.connect(("192.0.2.8", 443))  # another host
        with pytest.raises(netguard.NetworkRefused):
            sock.connect(("192.0.2.7", 443))  # outside the block
    assert attempted == [("192.0.2.7", 443)]


def test_a_server_the_policy_does_not_name_is_blocked_by_the_guard(registered: None) -> None:
    """Even a backend built by hand, bypassing the policy check, cannot connect."""
    from app.core.backends.remote import RemoteBackend, RemoteError
    from app.core.backends.servers import Server

    with pytest.raises(netguard.NetworkRefused, match=r"192\.0\.2\.1:80: it is not a company"):
        netguard.permit_endpoint("http://192.0.2.1/v1").__enter__()
    stray = RemoteBackend(Server("x", "http://192.0.2.1/v1"))
    with (
        SocketAudit() as audit,
        stray,
        pytest.raises(RemoteError, match=r"blocked.*192\.0\.2\.1:80"),
    ):
        stray.list_models()
    assert not [r for r in audit.records if r["event"] == "socket.connect"]
    other_port = RemoteBackend(Server("gpu", "https://llm.intranet.example:8443/v1"))
    with other_port, pytest.raises(RemoteError, match=r"blocked.*llm\.intranet\.example:8443"):
        other_port.list_models()


@pytest.mark.parametrize(
    ("status", "detail", "words"),
    [
        (401, "", "refused the token"),
        (403, "", "refused the token"),
        (404, "The model `m` does not exist.", "has no model 'm'"),
        (429, "", "is busy"),
        (503, "Loading model", "is busy"),
        (400, "maximum context length is 4096 tokens", "too long for the model's context"),
        (500, "boom", "failed (HTTP 500: boom)"),
    ],
)
def test_status_messages_name_the_server(status: int, detail: str, words: str) -> None:
    message = status_message("gpu", status, detail, "m")
    assert "gpu" in message and words in message
