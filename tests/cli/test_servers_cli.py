"""`enclave servers list | check | add | remove` against a real server on 127.0.0.1 (TLS)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.cli import assert_one_clear_line, enclave
from tests.helpers.openai_server import MODEL_ID, OpenAIServer

pytestmark = pytest.mark.model


def test_list_names_the_policy_servers_without_contacting_them(company_policy: Path) -> None:
    result = enclave("servers", "list", "--json")
    assert result.code == 0, result.err
    [row] = json.loads(result.out)
    assert row["name"] == "gpu" and row["source"] == "policy"


def test_list_without_a_policy_server(tmp_path: Path) -> None:
    result = enclave("servers", "list")
    assert result.code == 0 and "No company server" in result.out


def test_check_reports_reachability_tls_token_and_models(company_policy: Path) -> None:
    result = enclave("servers", "check")
    assert result.code == 0, result.err
    assert "reachable: yes · TLS: verified · token: accepted" in result.out
    assert f"models: {MODEL_ID}" in result.out
    [report] = json.loads(enclave("servers", "check", "gpu", "--json").out)
    assert report["ok"] and report["models"] == [MODEL_ID]


def test_check_fails_on_a_refused_token(openai_server: OpenAIServer, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.token"
    wrong.write_text("nope", encoding="utf-8")
    policy = openai_server.policy(tmp_path / "p.toml", token_file=wrong)
    result = enclave("servers", "check", "gpu", policy=policy)
    assert result.code == 1
    assert "token: refused" in result.out and "refused the token (HTTP 401)" in result.out


def test_check_fails_when_the_company_ca_is_not_trusted(
    openai_server: OpenAIServer, tmp_path: Path
) -> None:
    policy = openai_server.policy(tmp_path / "p.toml")
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace(f'ca_file = "{openai_server.tls.ca_file}"', ""), "utf-8")
    result = enclave("servers", "check", policy=policy)
    assert result.code == 1 and "TLS: not verified (refused)" in result.out


def test_check_of_a_server_the_policy_does_not_name_is_refused(company_policy: Path) -> None:
    line = assert_one_clear_line(enclave("servers", "check", "evil"), code=3)
    assert "no company server called 'evil'" in line


def test_a_user_may_add_a_server_only_where_the_policy_allows(
    openai_server: OpenAIServer, tmp_path: Path, company_policy: Path
) -> None:
    token = company_policy.with_suffix(".token")
    add = ("servers", "add", "mine", openai_server.url, "--api-key-file", str(token))
    assert_one_clear_line(enclave(*add), code=3)
    opened = openai_server.policy(tmp_path / "open.toml", extra="allow_user_servers = true")
    assert enclave(*add, policy=opened).code == 0
    listed = json.loads(enclave("servers", "list", "--json", policy=opened).out)
    assert [(r["name"], r["source"]) for r in listed] == [("gpu", "policy"), ("mine", "user")]
    assert enclave("servers", "check", "mine", policy=opened).code == 0
    # The admin closes the door again: the user's server is gone from every list.
    assert "mine" not in enclave("servers", "list", policy=company_policy).out
    assert enclave("servers", "remove", "mine", policy=opened).code == 0
    assert "mine" not in enclave("servers", "list", policy=opened).out


def test_check_fails_when_the_server_is_down(tmp_path: Path) -> None:
    from tests.helpers.openai_server import free_port

    policy = tmp_path / "policy.toml"
    policy.write_text(f'[[servers]]\nname = "gpu"\nurl = "http://127.0.0.1:{free_port()}/v1"\n')
    result = enclave("servers", "check", policy=policy)
    assert result.code == 1 and "reachable: no" in result.out
    assert "Could not connect to the company server gpu" in result.out


def test_a_chat_through_the_company_server_connects_to_it_and_nothing_else(
    openai_server: OpenAIServer, company_policy: Path, tmp_path: Path
) -> None:
    """The whole program, under the socket audit: every connection goes to the policy's server
    (127.0.0.1:PORT here); a crafted model string naming another server connects nowhere."""
    import subprocess
    import sys

    from tests.helpers.socket_audit import read_log

    def audited(name: str, *args: str) -> tuple[int, list[dict]]:
        log = tmp_path / f"{name}.audit"
        argv = [sys.executable, "-m", "tests.helpers.socket_audit", str(log), "-m", "app",
                "--data-dir", str(tmp_path / "data"), *args]  # fmt: skip
        done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
        records = read_log(log) if log.exists() else []
        network = [r for r in records if r.get("family") != "AF_UNIX"]  # local sockets aside
        return done.returncode, [r for r in network if r["event"] == "socket.connect"]

    code, connects = audited("chat", "chat", "-m", f"gpu/{MODEL_ID}", "--max-tokens", "4", "Hi")
    assert code == 0
    target = f"('127.0.0.1', {openai_server.port})"
    assert connects and {r["args"][0] for r in connects} == {target}, connects
    code, connects = audited("crafted", "chat", "-m", "llm.attacker.example/x", "Hi")
    assert code == 3 and connects == []
