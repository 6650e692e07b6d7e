"""Zero network: a whole chat and summarise session opens no network socket at all.

Three sessions on the real model, each watched two ways: Python's audit hooks (every socket
made through Python, by Enclave or any library) and, where strace can run, the process tree's
system calls (sockets made by C code too: llama.cpp, Qt). Only Unix-domain sockets (local to
the machine, as Qt's single-instance lock uses) are allowed:

* the command line: `enclave chat`, `enclave summarize` of a document, then `enclave chat
  --continue` with a question about it;
* the same in-process, engine and store used directly;
* the real window, chatting.

A static check completes it: no module of the app imports a network client, except the model
download (which runs only on a user's request, through the network guard) and the guard.
A self-check first proves that both recorders do see a connection when there is one.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.documents.pipeline import summarise_file
from app.core.documents.summarise import SummaryOptions
from app.core.store import Store
from app.core.types import ChatMessage, GenerationParams
from tests.helpers import strace_net
from tests.helpers.cli import Result
from tests.helpers.make_documents import LOREM, make_docx
from tests.helpers.socket_audit import SocketAudit, read_log

APP = Path(__file__).resolve().parents[2] / "app"
NO_STRACE = "strace cannot run here; the audit-hook half of the proof still ran"


@pytest.fixture
def child_env(model_path: Path) -> dict[str, str]:
    return {**os.environ, "ENCLAVE_BUNDLED_MODEL": str(model_path), "QT_QPA_PLATFORM": "offscreen"}


def watched(argv: list[str], tmp_path: Path, env: dict[str, str], name: str) -> Result:
    """Run `python -m ...argv` under both recorders; fail on any network socket."""
    audit_log, strace_log = tmp_path / f"{name}.audit", tmp_path / f"{name}.strace"
    command = [sys.executable, "-m", "tests.helpers.socket_audit", str(audit_log), "-m", *argv]
    if strace_net.available():
        command = strace_net.traced(command, strace_log)
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    result = Result(done.returncode, done.stdout, done.stderr)
    records = read_log(audit_log) if audit_log.exists() else []
    assert [r for r in records if r.get("family") != "AF_UNIX"] == [], (name, records)
    if strace_net.available():
        assert strace_net.network_calls(strace_log) == [], name
    return result


def test_both_recorders_see_a_connection_when_there_is_one(tmp_path: Path) -> None:
    """The proof can fail: a program that phones home is caught by each recorder."""
    program = tmp_path / "phone_home.py"
    program.write_text(
        "import socket\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "s.connect(('127.0.0.1', 9))\n"  # loopback and UDP: nothing leaves, nothing waits
        "s.close()\n"
    )
    log, trace = tmp_path / "audit.jsonl", tmp_path / "strace.log"
    command = [sys.executable, "-m", "tests.helpers.socket_audit", str(log), "-m", "phone_home"]
    if strace_net.available():
        command = strace_net.traced(command, trace)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{Path.cwd()}"}
    assert subprocess.run(command, env=env, timeout=60).returncode == 0
    events = {(r["event"], r.get("family")) for r in read_log(log)}
    assert {("socket.__new__", "AF_INET"), ("socket.connect", "AF_INET")} <= events
    if strace_net.available():
        assert any("connect(" in call for call in strace_net.network_calls(trace))


def test_a_command_line_chat_and_summary_session_opens_no_socket(
    tmp_path: Path, child_env: dict[str, str]
) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    document = make_docx(tmp_path / "minutes.docx", [LOREM, "The budget was approved."])
    chat = watched(
        ["app", *data, "chat", "--max-tokens", "12", "--seed", "1", "Bonjour"],
        tmp_path, child_env, "chat",
    )  # fmt: skip
    assert chat.code == 0 and chat.out.strip(), chat.err
    summary = watched(
        ["app", *data, "summarize", "--max-tokens", "16", str(document)],
        tmp_path, child_env, "summarize",
    )  # fmt: skip
    assert summary.code == 0 and "minutes.docx" in summary.out, summary.err
    conversation = re.search(r"saved as conversation (\d+)", summary.err)
    assert conversation, summary.err
    follow_up = watched(
        ["app", *data, "chat", "--continue", conversation[1], "--max-tokens", "12",
         "Was it approved?"],
        tmp_path, child_env, "follow-up",
    )  # fmt: skip
    assert follow_up.code == 0 and follow_up.out.strip(), follow_up.err
    if not strace_net.available():
        pytest.skip(NO_STRACE)


def test_an_in_process_chat_and_summary_session_opens_no_socket(engine, tmp_path: Path) -> None:
    document = make_docx(tmp_path / "report.docx", [LOREM, "Staffing will grow by two."])
    with SocketAudit() as audit, Store.open(tmp_path / "data" / "enclave.sqlite3") as store:
        conversation = store.create_conversation()
        store.add_message(conversation.id, "user", "Hello")
        reply = store.add_message(conversation.id, "assistant", "", status="streaming")
        writer = store.stream_writer(reply.id)
        stream = engine.generate([ChatMessage("user", "Hello")], GenerationParams(max_tokens=8))
        for piece in stream:
            writer.append(piece)
        writer.finish("complete", stream.stats)
        options = SummaryOptions(map_max_tokens=16, reduce_max_tokens=16)
        outcome = summarise_file(engine, store, document, options=options)
        hits = store.search_chunks("staffing", conversation_id=outcome.conversation_id)
        assert outcome.markdown and hits
    assert audit.records == [], audit.records  # not even a Unix-domain socket


def test_the_window_chats_without_a_network_socket(
    tmp_path: Path, child_env: dict[str, str]
) -> None:
    result = watched(
        ["tests.helpers.window_driver", "--data-dir", str(tmp_path / "data"),
         "--prompt", "Hello there", "--max-tokens", "8", "--quit"],
        tmp_path, child_env, "window",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert '"event": "finished"' in result.out and '"status": "complete"' in result.out
    if not strace_net.available():
        pytest.skip(NO_STRACE)


# -- static: no network client in the app except where a user's download needs one ---------
NETWORK_MODULES = (
    "socket", "ssl", "http.client", "http.server", "urllib.request", "urllib3", "requests",
    "httpx", "aiohttp", "ftplib", "smtplib", "poplib", "imaplib", "xmlrpc", "websocket",
    "websockets", "webbrowser", "PySide6.QtNetwork", "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineWidgets", "PySide6.QtWebSockets",
)  # fmt: skip
# Module -> what it may import from the list above, and why.
ALLOWED = {
    "app/core/netguard.py": {"socket", "urllib.request"},  # the guard itself (proxy lookup)
    "app/core/models/http.py": {"http.client", "ssl", "urllib.request"},  # user's download
    "app/core/models/download.py": {"http.client"},  # the same download
    "app/core/backends/remote.py": {"httpx", "socket"},  # a company server the policy names
    "app/core/backends/remote_errors.py": {"httpx"},  # its failures, as messages
    "app/core/backends/tls.py": {"ssl"},  # its TLS: system store plus the policy's CA
    "app/api/serve.py": {"socket"},  # the local API listens on 127.0.0.1 only
    "app/core/audit.py": {"socket"},  # AF_UNIX datagrams to the local system journal
    "app/ui/single_instance.py": {"PySide6.QtNetwork"},  # QLocalServer: a Unix socket
}
QT_NETWORK_LOCAL_ONLY = {"QLocalServer", "QLocalSocket"}


def network_imports(path: Path) -> dict[str, set[str]]:
    """Network modules imported by `path`, with the names taken from each."""
    found: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            pairs = [(alias.name, "*") for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            pairs = [(node.module, alias.name) for alias in node.names]
        else:
            continue
        for module, name in pairs:
            for network in NETWORK_MODULES:
                if module == network or module.startswith(network + "."):
                    found.setdefault(network, set()).add(name)
    return found


def test_the_app_has_no_network_client_outside_the_user_started_download() -> None:
    offenders = {}
    for path in sorted(APP.rglob("*.py")):
        where = path.relative_to(APP.parent).as_posix()
        imports = network_imports(path)
        extra = set(imports) - ALLOWED.get(where, set())
        if extra:
            offenders[where] = sorted(extra)
        qt = imports.get("PySide6.QtNetwork", set())
        assert qt <= QT_NETWORK_LOCAL_ONLY, f"{where} uses Qt networking beyond local sockets"
    assert offenders == {}, "network clients outside the download and the guard"


def test_the_static_check_catches_a_network_client(tmp_path: Path) -> None:
    sneaky = tmp_path / "update_check.py"
    sneaky.write_text("from urllib.request import urlopen\nimport requests as r\n")
    assert set(network_imports(sneaky)) == {"urllib.request", "requests"}
