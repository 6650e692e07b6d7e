"""The audit trail: hash-chained JSON lines; any edit, removal, reordering or cut is named."""

from __future__ import annotations

import json
import multiprocessing
import socket
import stat
from pathlib import Path

import pytest

from app.core.audit import AuditTrail, record_app_start, trail_for
from app.core.config.policy import AuditPolicy
from tests.helpers.cli import assert_one_clear_line, enclave


def _trail(tmp_path: Path, n: int = 5) -> AuditTrail:
    trail = AuditTrail(tmp_path / "audit" / "audit.jsonl")
    for i in range(n):
        trail.record("export", format="md", destination=f"/tmp/out{i}.md", count=i)
    return trail


def _lines(trail: AuditTrail) -> list[str]:
    assert trail.path is not None
    return trail.path.read_text(encoding="utf-8").splitlines()


def _rewrite(trail: AuditTrail, lines: list[str]) -> None:
    assert trail.path is not None
    trail.path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def test_events_are_chained_private_and_verify(tmp_path: Path) -> None:
    trail = _trail(tmp_path)
    events = trail.events()
    assert [e["event"] for e in events] == ["export"] * 5
    assert events[2]["fields"] == {"format": "md", "destination": "/tmp/out2.md", "count": 2}
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5]
    assert trail.verify().ok and trail.verify().lines == 5
    assert trail.path is not None
    assert stat.S_IMODE(trail.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(trail.path.parent.stat().st_mode) == 0o700


def test_an_edited_line_is_named(tmp_path: Path) -> None:
    trail = _trail(tmp_path)
    lines = _lines(trail)
    lines[2] = lines[2].replace("out2", "elsewhere")
    _rewrite(trail, lines)
    result = trail.verify()
    assert not result.ok and result.bad_line == 3 and "altered" in result.reason


def test_a_removed_line_is_named(tmp_path: Path) -> None:
    trail = _trail(tmp_path)
    lines = _lines(trail)
    del lines[1]
    _rewrite(trail, lines)
    assert trail.verify().bad_line == 2


def test_reordered_lines_are_named(tmp_path: Path) -> None:
    trail = _trail(tmp_path)
    lines = _lines(trail)
    lines[1], lines[3] = lines[3], lines[1]
    _rewrite(trail, lines)
    assert trail.verify().bad_line == 2


def test_lines_cut_off_the_end_are_seen(tmp_path: Path) -> None:
    trail = _trail(tmp_path)
    _rewrite(trail, _lines(trail)[:3])
    result = trail.verify()
    assert not result.ok and result.bad_line == 4 and "cut short" in result.reason


def test_a_torn_last_line_is_named(tmp_path: Path) -> None:
    trail = _trail(tmp_path)
    assert trail.path is not None
    data = trail.path.read_bytes()
    trail.path.write_bytes(data[:-20])
    assert trail.verify().bad_line == 5


def test_disabled_trail_writes_nothing(tmp_path: Path) -> None:
    trail = trail_for(AuditPolicy(enabled=False), tmp_path)
    trail.record("app_start", version="x")
    assert not trail.enabled and trail.events() == [] and not (tmp_path / "audit").exists()


def test_policy_directory_gets_one_folder_per_user(tmp_path: Path) -> None:
    trail = trail_for(AuditPolicy(directory=tmp_path / "central"), tmp_path / "data")
    trail.record("app_start", version="x")
    assert trail.path is not None and trail.path.parent.parent == tmp_path / "central"


def test_only_plain_values_are_accepted(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "a.jsonl")
    with pytest.raises(TypeError):
        trail.record("export", destination=Path("/x"))  # type: ignore[arg-type]


def _append_many(path: str, worker: int) -> None:
    trail = AuditTrail(Path(path))
    for i in range(40):
        trail.record("api_request", worker=worker, n=i)


def test_processes_appending_at_once_keep_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit" / "audit.jsonl"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(str(path), w)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    trail = AuditTrail(path)
    assert trail.verify().ok, trail.verify()
    assert len(trail.events()) == 160


def test_events_reach_a_journal_socket(tmp_path: Path) -> None:
    sock_path = tmp_path / "journal.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(sock_path))
        server.settimeout(5)
        trail = AuditTrail(tmp_path / "a.jsonl", journal_socket=sock_path)
        trail.record("model_removed", name="m.gguf", sha256="ab" * 32)
        datagram = server.recv(65536)
    assert b"ENCLAVE_AUDIT_EVENT=model_removed\n" in datagram
    assert b'"sha256":"' + b"ab" * 32 in datagram


def test_app_start_names_the_policy_and_its_hash(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[history]\nenabled = true\n", encoding="utf-8")
    trail = AuditTrail(tmp_path / "a.jsonl")
    record_app_start(trail, policy)
    fields = trail.events()[0]["fields"]
    assert fields["policy_file"] == str(policy)
    assert fields["policy_sha256"] == __import__("hashlib").sha256(policy.read_bytes()).hexdigest()


@pytest.mark.model  # `models list` assembles the default model in a fresh data dir
def test_cli_show_and_verify(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert enclave("models", "list", data_dir=data).code == 0
    shown = enclave("audit", "show", "--json", data_dir=data)
    assert shown.code == 0
    assert [e["event"] for e in json.loads(shown.out)] == ["app_start"]
    assert enclave("audit", "verify", data_dir=data).code == 0
    trail_file = data / "audit" / "audit.jsonl"
    trail_file.write_text(trail_file.read_text().replace("0.1", "9.9"), encoding="utf-8")
    line = assert_one_clear_line(enclave("audit", "verify", data_dir=data))
    assert "line 1" in line


def test_settings_changes_are_audited_by_name_only(tmp_path: Path) -> None:
    from app.core.config.runtime import Runtime

    runtime = Runtime.create(tmp_path / "data")
    runtime.settings.update(system_prompt="Speak like Quetzalcoatlus", temperature=0.2)
    events = runtime.audit.events()
    assert [(e["event"], e["fields"]) for e in events] == [
        ("settings_changed", {"names": "system_prompt,temperature"})
    ]
    assert b"Quetzalcoatlus" not in runtime.audit.path.read_bytes()


def test_erasures_are_audited_by_counts(tmp_path: Path) -> None:
    from app.core.config.runtime import Runtime
    from tests.helpers.history_data import fill

    runtime = Runtime.create(tmp_path / "data")
    with runtime.open_store() as store:
        filled = fill(store)
        store.erase_conversations([filled.ids["alpha"]])
        store.purge_all()
    events = [(e["event"], e["fields"]) for e in runtime.audit.events()]
    assert events == [
        (
            "conversation_deleted",
            {"reason": "now", "conversations": 1, "messages": 2, "documents": 1},
        ),
        ("history_purged", {"reason": "all", "conversations": 2, "messages": 4, "documents": 2}),
    ]


def test_model_import_download_and_removal_are_audited(
    tmp_path: Path, server, variant_model: tuple[Path, str], model_path: Path, monkeypatch
) -> None:
    from app.core.config.runtime import Runtime
    from app.core.models.manager import ModelManager

    monkeypatch.setenv("ENCLAVE_BUNDLED_MODEL", str(model_path))
    path, sha = variant_model
    manager = ModelManager(Runtime.create(tmp_path / "imports"))
    imported = manager.import_file(path, "symlink").model
    manager.remove(imported)
    url = server.serve("/m/gemma-3-test.gguf", path, sha256=sha, publish="etag")
    downloader = ModelManager(Runtime.create(tmp_path / "downloads"))
    downloader.pull(downloader.plan_pull(url))
    events = [
        (e["event"], e["fields"]["sha256"], e["fields"]["source"])
        for runtime in (manager.runtime, downloader.runtime)
        for e in runtime.audit.events()
        if e["event"].startswith("model_")
    ]
    assert events == [
        ("model_imported", sha, str(path)),
        ("model_removed", sha, str(imported.path)),
        ("model_downloaded", sha, url),
    ]
