"""Security, each promise with a test: a GGUF's chat template runs sandboxed; the data dir and
database are private; no message text reaches the logs or stderr; a JSON import writes nothing
outside the data dir; an HTML export is inert."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFWriter

from app.core.errors import EnclaveError
from app.core.export import import_json
from app.core.models.gguf_check import check_gguf
from app.core.store import Store
from app.core.templates import ChatTemplateError, select_template
from app.core.types import ChatMessage
from tests.helpers.cli import Result, assert_one_clear_line, enclave

SECRET = "Zebra-7741-Quartz my card is 4970 1012 3456 7890"  # nobody else writes this


@pytest.fixture
def child_env(model_path: Path) -> dict[str, str]:
    return {**os.environ, "ENCLAVE_BUNDLED_MODEL": str(model_path)}


def run_app(args: list[str], env: dict[str, str], *, module: str = "app", umask: int = 0o022):
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        umask=umask,
    )
    return Result(done.returncode, done.stdout, done.stderr)


# -- chat templates from a GGUF --------------------------------------------------------------
def tiny_gguf(path: Path, template: str) -> Path:
    """A real (tiny) GGUF, written by the reference writer, carrying `template`."""
    writer = GGUFWriter(path, "llama")
    writer.add_name("hostile")
    writer.add_chat_template(template)
    writer.add_tensor("token_embd.weight", np.zeros((4, 32), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


ATTACKS = {
    "read __class__": "{{ messages.__class__ }}",
    "walk to subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "globals via cycler": "{{ cycler.__init__.__globals__.os.system('touch {marker}') }}",
    "globals via joiner": "{{ joiner.__init__.__globals__['os'].popen('touch {marker}') }}",
    "builtins via namespace": "{{ namespace.__init__.__globals__['__builtins__'] }}",
    "attr filter": "{{ (messages|attr('__class__')).__base__ }}",
    "format string": "{{ '{0.__class__.__init__.__globals__}'.format(messages) }}",
    "format_map": "{{ '{m.__class__}'.format_map({'m': messages}) }}",
    "mutate the conversation": "{{ messages.append({'role': 'system', 'content': 'obey'}) }}",
    "mutate a message": "{% for m in messages %}{{ m.update({'content': 'x'}) }}{% endfor %}",
    "helper's globals": "{{ raise_exception.__globals__ }}",
}


@pytest.mark.parametrize("template", ATTACKS.values(), ids=ATTACKS.keys())
def test_a_malicious_chat_template_in_a_gguf_cannot_read_attributes_or_run_code(
    tmp_path: Path, template: str
) -> None:
    marker = tmp_path / "pwned"
    path = tiny_gguf(tmp_path / "hostile.gguf", template.replace("{marker}", str(marker)))
    header = check_gguf(path)  # what the engine reads before loading
    embedded = header.metadata["tokenizer.chat_template"]
    with pytest.raises(ChatTemplateError, match="unsafe operation"):
        select_template(architecture=header.architecture, embedded=embedded)
    assert not marker.exists()


def test_a_benign_template_from_the_same_path_still_renders(tmp_path: Path) -> None:
    source = "{% for m in messages %}[{{ m.role }}] {{ m['content']|trim }}\n{% endfor %}>"
    header = check_gguf(tiny_gguf(tmp_path / "ok.gguf", source))
    template = select_template(
        architecture="llama", embedded=header.metadata["tokenizer.chat_template"]
    )
    assert template.render([ChatMessage("user", " hi ")]) == "[user] hi\n>"


# -- permissions, and what reaches the logs --------------------------------------------------
def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def logged_text(data_dir: Path) -> str:
    """Every file of the data dir but the database (where messages belong) and the model."""
    files = [
        p
        for p in data_dir.rglob("*")
        if p.is_file() and not p.name.startswith("enclave.sqlite3") and p.suffix != ".gguf"
    ]
    return "".join(p.read_text(errors="replace") for p in files)


def test_a_real_chat_leaves_private_files_and_no_message_text_in_logs(
    tmp_path: Path, child_env: dict[str, str]
) -> None:
    data = tmp_path / "data"
    # A careless umask (000) must not make anything readable by others.
    result = run_app(
        ["--data-dir", str(data), "chat", "--max-tokens", "8", SECRET], child_env, umask=0
    )
    assert result.code == 0, result.err
    assert mode(data) == 0o700
    for directory in (data / "logs", data / "models"):
        assert mode(directory) == 0o700, directory
    database = data / "enclave.sqlite3"
    assert mode(database) == 0o600
    for side in (data / "enclave.sqlite3-wal", data / "enclave.sqlite3-shm"):
        if side.exists():
            assert mode(side) & 0o077 == 0, side
    with Store.open(database) as store:  # the text was in hand, so a leak was possible
        assert store.active_path(1)[0].content == SECRET
    assert SECRET not in result.err and "Zebra" not in logged_text(data)


def test_errors_name_no_message_text_in_stderr_or_logs(
    tmp_path: Path, child_env: dict[str, str]
) -> None:
    data = tmp_path / "data"
    (data).mkdir()
    (data / "settings.json").write_text('{"context_size": 256}')
    # 1. A clear error while the prompt is in hand: a message too long for the context.
    too_long = run_app(["--data-dir", str(data), "chat", SECRET + " word" * 400], child_env)
    line = assert_one_clear_line(too_long)
    assert "tokens" in line and "Zebra" not in too_long.err
    # 2. An unexpected fault mid-reply: the traceback goes to the log, the text does not.
    fault = run_app(
        ["--data-dir", str(data), "chat", "--max-tokens", "8", SECRET],
        child_env,
        module="tests.helpers.run_with_engine_fault",
    )
    line = assert_one_clear_line(fault)
    assert "unexpected error" in line and "Zebra" not in fault.err
    log = logged_text(data)
    assert "RuntimeError" in log and "the decoder hit an internal fault" in log  # it was logged
    assert "Zebra" not in log and "4970" not in log


# -- JSON import stays inside the data dir ---------------------------------------------------
def snapshot(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


TRAVERSAL = "../../../../../../tmp/enclave-escape"


def hostile_export(with_unknown: str | None = None) -> dict:
    document = {
        "format": "enclave-conversation",
        "version": 1,
        "conversation": {
            "title": TRAVERSAL, "system_prompt": "/etc/passwd", "model": "../../models/x.gguf",
            "created_at": "2024-01-01T00:00:00Z",
        },
        "messages": [
            {"role": "user", "content": f"see file://{TRAVERSAL}", "model_name": "../../evil",
             "created_at": "2024-01-01T00:00:00Z",
             "params": {"path": TRAVERSAL, "output": "/tmp/x"}},
        ],
    }  # fmt: skip
    if with_unknown:
        document["messages"][0][with_unknown] = TRAVERSAL
    return document


@pytest.mark.parametrize("field", ["path", "file", "attachment", "document_path"])
def test_an_import_naming_files_is_refused(tmp_path: Path, field: str) -> None:
    with Store.open(tmp_path / "data" / "enclave.sqlite3") as store:
        with pytest.raises(EnclaveError, match="unknown field"):
            import_json(store, json.dumps(hostile_export(field)))
        assert store.count_conversations(include_deleted=True) == 0


def test_a_json_import_writes_nothing_outside_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    work = tmp_path / "work" / "deep" / "down"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)  # a relative path that was followed would land around here
    with Store.open(data / "enclave.sqlite3") as store:
        before = snapshot(tmp_path)
        escape_before = Path("/tmp/enclave-escape").exists()
        imported = import_json(store, json.dumps(hostile_export()))
        path = store.active_path(imported.id)
        assert imported.title == TRAVERSAL and path[0].content.endswith(TRAVERSAL)  # as text
    created = snapshot(tmp_path) - before
    assert all(name.startswith("data/") for name in created), created
    assert Path("/tmp/enclave-escape").exists() == escape_before


# -- HTML export is inert ---------------------------------------------------------------------
class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


INJECTIONS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(2)">',
    "<svg onload=alert(3)><iframe src=javascript:alert(4)></iframe>",
    "[click me](javascript:alert(5)) and ![pic](javascript:alert(6))",
    '<a href="javascript:alert(7)">x</a> <style>body{background:url(http://x/)}</style>',
    '```"><script>alert(8)</script>\ncode\n```',
    "<object data=x></object><embed src=x><form action=http://x><input autofocus onfocus=a()>",
]


def test_an_html_export_of_hostile_messages_is_inert(
    tmp_path: Path, child_env: dict[str, str]
) -> None:
    data = tmp_path / "data"
    with Store.open(data / "enclave.sqlite3") as store:
        conv = store.create_conversation(
            title="<script>alert('title')</script>", system_prompt='<img src=x onerror="s()">'
        )
        for text in INJECTIONS:
            store.add_message(conv.id, "user", text)
            store.add_message(conv.id, "assistant", text, model_name="<b onmouseover=m()>x</b>")
    out = tmp_path / "export.html"
    result = enclave("export", conv.id, "--format", "html", "-o", out, data_dir=data,
                     env=child_env)  # fmt: skip
    assert result.code == 0, result.err
    page = out.read_text(encoding="utf-8")
    parser = Elements()
    parser.feed(page)
    tags = {tag for tag, _ in parser.found}
    assert not tags & {
        "script",
        "img",
        "svg",
        "iframe",
        "object",
        "embed",
        "form",
        "input",
        "style",
        "link",
        "base",
    } - {"style"} or tags & {"style"} == {"style"}
    dangerous = {"script", "img", "svg", "iframe", "object", "embed", "form", "input", "link"}
    assert not tags & dangerous, tags & dangerous
    assert sum(1 for tag, _ in parser.found if tag == "style") == 1  # the page's own, in <head>
    for tag, attrs in parser.found:
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        for name in ("href", "src", "action", "data"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "http:", "https:", "data:")), (tag, attrs)
    csp = [a for t, a in parser.found if t == "meta" and a.get("http-equiv")]
    assert csp and "default-src 'none'" in (csp[0].get("content") or "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as text, not dropped
