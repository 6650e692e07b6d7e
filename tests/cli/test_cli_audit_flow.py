"""The audit trail after a real session: chat, import, export, delete and a policy refusal are
each an event, no event holds a word of the prompt or the reply, and an altered trail fails
`enclave audit verify` naming the line."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.helpers.cli import assert_one_clear_line, enclave

PROMPT = "Describe Quetzalcoatlus gliding above Zanzibarquartz lagoons"


@pytest.fixture
def session(tmp_path: Path, model_path: Path, variant_model: tuple[Path, str]) -> dict:
    data = tmp_path / "data"
    (data / "models").mkdir(parents=True)
    shutil.copyfile(model_path, data / "models" / model_path.name)
    chat = enclave("chat", "--max-tokens", "24", "--seed", "5", PROMPT, data_dir=data)
    assert chat.code == 0, chat.err
    imported = enclave("models", "import", "--link", str(variant_model[0]), data_dir=data)
    assert imported.code == 0, imported.err
    out = tmp_path / "exported.md"
    assert enclave("export", "1", "--format", "md", "-o", str(out), data_dir=data).code == 0
    assert enclave("history", "delete", "1", data_dir=data).code == 0
    locked = tmp_path / "policy.toml"
    locked.write_text('[settings]\nlocked = ["temperature"]\n', encoding="utf-8")
    refused = enclave("--policy", str(locked), "chat", "--temperature", "0.2", "Hi", data_dir=data)
    assert refused.code == 3, refused.err
    shown = enclave("audit", "show", "--json", data_dir=data)
    assert shown.code == 0, shown.err
    return {
        "data": data,
        "events": json.loads(shown.out),
        "reply": chat.out,
        "export": out,
        "variant_sha": variant_model[1],
    }


def test_each_action_is_an_event_without_content(session: dict) -> None:
    events = session["events"]
    names = [e["event"] for e in events]
    for expected in ("app_start", "model_loaded", "model_imported", "export"):
        assert expected in names, names
    assert "conversation_deleted" in names and "policy_refused" in names, names
    imported = next(e for e in events if e["event"] == "model_imported")["fields"]
    assert imported["sha256"] == session["variant_sha"]
    export = next(e for e in events if e["event"] == "export")["fields"]
    assert export["format"] == "md" and export["destination"] == str(session["export"])
    deleted = next(e for e in events if e["event"] == "conversation_deleted")["fields"]
    assert deleted["conversations"] == 1 and deleted["messages"] == 2
    # Not one word of what was said: neither the prompt's nor the model's reply's.
    text = json.dumps(events, ensure_ascii=False).lower()
    words = {w.lower() for w in re.findall(r"[^\W\d_]{6,}", PROMPT + " " + session["reply"])}
    assert words, "the reply had no word to look for"
    assert not {w for w in words if w in text} - {"enclave"}, words


def test_an_altered_line_fails_verify_and_is_named(session: dict) -> None:
    data = session["data"]
    assert enclave("audit", "verify", data_dir=data).code == 0
    trail = data / "audit" / "audit.jsonl"
    original = trail.read_text(encoding="utf-8").splitlines()
    for change in ("edit", "delete", "reorder"):
        lines = list(original)
        if change == "edit":
            lines[2] = lines[2].replace('"event":"', '"event":"x', 1)
        elif change == "delete":
            del lines[2]
        else:
            lines[2], lines[3] = lines[3], lines[2]
        trail.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        line = assert_one_clear_line(enclave("audit", "verify", data_dir=data))
        assert "fails at line 3" in line, (change, line)
