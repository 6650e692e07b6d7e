"""Every admin policy key, end to end: the real `enclave` command, the real model, real files.

One test (or a pair: refused with the key, allowed without it) per key of docs/admin.md's
policy reference. Downloads go to a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.core.default_model import DEFAULT_MODEL_FILE, DEFAULT_MODEL_SHA256, sha256_file
from app.core.store import Store
from tests.helpers.cli import Result, assert_one_clear_line, enclave
from tests.helpers.gguf_edit import copy_with_metadata
from tests.helpers.http_server import ModelServer

pytestmark = pytest.mark.model
HF_URL = "https://huggingface.co/org/repo/resolve/main/office.gguf"
OTHER_SHA256 = "0" * 64


def _link_or_copy(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)
    return dst


@pytest.fixture
def data_dir(tmp_path: Path, model_path: Path) -> Path:
    """A data dir whose models folder already holds the default model (no re-assembly)."""
    data = tmp_path / "data"
    _link_or_copy(model_path, data / "models" / DEFAULT_MODEL_FILE)
    return data


@pytest.fixture
def write_policy(tmp_path: Path):
    def write(text: str) -> Path:
        path = tmp_path / "policy.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def other_model(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> tuple[Path, str]:
    """A second real model: the same weights under another name, so another sha256."""
    path = tmp_path_factory.mktemp("other") / "office.gguf"
    copy_with_metadata(model_path, path, {"general.name": "Office"})
    return path, sha256_file(path)


@pytest.fixture
def office_model(tmp_path: Path, other_model: tuple[Path, str]) -> Iterator[Path]:
    """The second model on a read-only share."""
    share = tmp_path / "share"
    model = _link_or_copy(other_model[0], share / "office.gguf")
    share.chmod(0o555)
    yield model
    share.chmod(0o755)


def _messages(data_dir: Path) -> list[dict]:
    with sqlite3.connect(data_dir / "enclave.sqlite3") as con:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("SELECT * FROM messages ORDER BY id")]


def _self_test(data_dir: Path, policy: Path | None) -> tuple[Result, dict]:
    result = enclave("self-test", "--json", data_dir=data_dir, policy=policy)
    return result, json.loads(result.out)


def _failed_checks(report: dict) -> list[str]:
    return [c["name"] for c in report["checks"] if not c["ok"]]


# -- [network] ---------------------------------------------------------------------------------
def test_downloads_off_refuses_a_pull_before_any_request(
    tmp_path: Path, other_model: tuple[Path, str], write_policy
) -> None:
    policy = write_policy("[network]\nallow_model_downloads = false\n")
    with ModelServer() as server:
        url = server.serve("/m.gguf", other_model[0], sha256=other_model[1], publish="sidecar")
        result = enclave("models", "pull", url, data_dir=tmp_path / "data", policy=policy)
        line = assert_one_clear_line(result, code=3)
        assert "administrator" in line
        assert server.requests == []
    assert not list((tmp_path / "data" / "models").glob("m.gguf*"))


def test_downloads_allowed_pull_fetches_from_the_server(
    data_dir: Path, other_model: tuple[Path, str]
) -> None:
    """The control for the test above: the same pull without the policy downloads the file."""
    with ModelServer() as server:
        url = server.serve("/m.gguf", other_model[0], sha256=other_model[1], publish="sidecar")
        result = enclave("models", "pull", url, data_dir=data_dir)
        assert result.code == 0, result.err
        assert server.gets("/m.gguf")
    listed = enclave("models", "list", "--json", data_dir=data_dir)
    assert other_model[1] in {m["sha256"] for m in json.loads(listed.out)["models"]}


def test_allowed_hosts_refuses_another_host(
    tmp_path: Path, other_model: tuple[Path, str], write_policy
) -> None:
    policy = write_policy('[network]\nallowed_hosts = ["models.intranet.example"]\n')
    with ModelServer() as server:
        url = server.serve("/m.gguf", other_model[0], sha256=other_model[1], publish="sidecar")
        result = enclave("models", "pull", url, data_dir=tmp_path / "data", policy=policy)
        line = assert_one_clear_line(result, code=3)
        assert "127.0.0.1" in line and "models.intranet.example" in line
        assert server.requests == []


# -- [models] ----------------------------------------------------------------------------------
def test_mirror_url_fetches_from_the_mirror_instead(
    data_dir: Path, other_model: tuple[Path, str], write_policy
) -> None:
    with ModelServer() as server:
        server.serve("/gguf/office.gguf", other_model[0], publish="none")
        policy = write_policy(
            f'[network]\nallowed_hosts = ["127.0.0.1"]\n'
            f'[models]\nmirror_url = "{server.url("/gguf/")}"\n'
        )
        result = enclave(
            "models", "pull", HF_URL, "--sha256", other_model[1], data_dir=data_dir, policy=policy
        )
        assert result.code == 0, result.err
        assert server.gets("/gguf/office.gguf"), server.requests


def test_allowlist_refuses_a_model_not_on_it(
    data_dir: Path, model_path: Path, write_policy
) -> None:
    policy = write_policy(f'[models]\nallowlist_sha256 = ["{OTHER_SHA256}"]\n')
    chat = enclave(
        "chat", "-m", model_path, "--max-tokens", "2", "Hi", data_dir=data_dir, policy=policy
    )
    assert_one_clear_line(chat, code=3)
    result, report = _self_test(data_dir, policy)
    assert result.code == 1
    assert "model file" in _failed_checks(report)


def test_allowlist_lets_a_listed_model_run(data_dir: Path, model_path: Path, write_policy) -> None:
    policy = write_policy(f'[models]\nallowlist_sha256 = ["{DEFAULT_MODEL_SHA256}"]\n')
    chat = enclave(
        "chat", "-m", model_path, "--max-tokens", "2", "Hi", data_dir=data_dir, policy=policy
    )
    assert chat.code == 0, chat.err


def test_models_directory_lists_shared_models_used_in_place(
    tmp_path: Path, office_model: Path, write_policy
) -> None:
    data = tmp_path / "data"
    policy = write_policy(f'[models]\ndirectory = "{office_model.parent}"\n')
    result = enclave("models", "list", "--json", data_dir=data, policy=policy)
    assert result.code == 0, result.err
    shared = [m for m in json.loads(result.out)["models"] if m["path"] == str(office_model)]
    assert shared and shared[0]["source"] == "shared"
    assert not (data / "models" / office_model.name).exists(), "a shared model was copied"


def test_default_model_from_the_policy_is_loaded(
    tmp_path: Path, office_model: Path, write_policy
) -> None:
    data = tmp_path / "data"
    policy = write_policy(
        f'[models]\ndirectory = "{office_model.parent}"\ndefault = "office.gguf"\n'
    )
    result, report = _self_test(data, policy)
    assert result.code == 0, result.out + result.err
    assert report["model"]["path"] == str(office_model)
    listed = json.loads(enclave("models", "list", "--json", data_dir=data, policy=policy).out)
    assert [m["path"] for m in listed["models"] if m["default"]] == [str(office_model)]


def test_default_model_missing_is_a_clear_error(data_dir: Path, write_policy) -> None:
    policy = write_policy('[models]\ndefault = "not-installed.gguf"\n')
    line = assert_one_clear_line(
        enclave("chat", "--max-tokens", "2", "Hi", data_dir=data_dir, policy=policy)
    )
    assert "not-installed.gguf" in line and "administrator" in line


# -- [history] ---------------------------------------------------------------------------------
def test_history_off_writes_no_database(data_dir: Path, write_policy) -> None:
    policy = write_policy("[history]\nenabled = false\n")
    chat = enclave("chat", "--max-tokens", "4", "Hello", data_dir=data_dir, policy=policy)
    assert chat.code == 0, chat.err
    assert chat.out.strip()
    written = [p.name for p in data_dir.rglob("*") if "sqlite" in p.name or p.suffix == ".db"]
    assert written == []


def test_retention_purges_old_conversations_at_start(data_dir: Path, write_policy) -> None:
    db = data_dir / "enclave.sqlite3"
    forty_days_ago = datetime.now(UTC) - timedelta(days=40)
    with Store.open(db, clock=lambda: forty_days_ago) as old_store:
        old = old_store.create_conversation(title="old")
        old_store.add_message(old.id, "user", "from long ago")
    with Store.open(db) as store:
        recent = store.create_conversation(title="recent")
        store.add_message(recent.id, "user", "from today")
    policy = write_policy("[history]\nretention_days = 30\n")
    chat = enclave("chat", "--max-tokens", "2", "Hi", data_dir=data_dir, policy=policy)
    assert chat.code == 0, chat.err
    with Store.open(db) as store:
        titles = {c.title for c in store.list_conversations()}
        assert store.find_conversation(old.id) is None
        assert "recent" in titles


# -- [settings] --------------------------------------------------------------------------------
def test_policy_values_replace_the_users_settings(data_dir: Path, write_policy) -> None:
    (data_dir / "settings.json").write_text(json.dumps({"temperature": 1.7}), encoding="utf-8")
    policy = write_policy('[settings]\nlocked = ["temperature"]\ntemperature = 0.125\n')
    chat = enclave(
        "chat", "--max-tokens", "2", "--seed", "1", "Hi", data_dir=data_dir, policy=policy
    )
    assert chat.code == 0, chat.err
    reply = _messages(data_dir)[-1]
    assert json.loads(reply["params"])["temperature"] == pytest.approx(0.125)


def test_locked_settings_refuse_command_line_overrides(
    data_dir: Path, model_path: Path, write_policy
) -> None:
    policy = write_policy('[settings]\nlocked = ["temperature", "model"]\ntemperature = 0.125\n')
    hot = enclave(
        "chat", "--temperature", "1.5", "--max-tokens", "2", "Hi", data_dir=data_dir, policy=policy
    )
    assert_one_clear_line(hot, code=3)
    other = enclave(
        "chat", "-m", model_path, "--max-tokens", "2", "Hi", data_dir=data_dir, policy=policy
    )
    assert_one_clear_line(other, code=3)


# -- an invalid policy -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "[network\nallow_model_downloads = false\n",
        '[network]\nallow_model_downloads = "no"\n',
        "[models]\nallow_list = []\n",
        "[history]\nretention_days = -1\n",
        '[settings]\nlocked = ["colour"]\n',
    ],
    ids=["not-toml", "wrong-type", "unknown-key", "negative-retention", "unknown-setting"],
)
def test_an_invalid_policy_stops_with_one_line(tmp_path: Path, write_policy, text: str) -> None:
    policy = write_policy(text)
    data = tmp_path / "data"
    line = assert_one_clear_line(enclave("chat", "Hi", data_dir=data, policy=policy))
    assert str(policy) in line
    assert not data.exists(), "Enclave went on after rejecting the policy"
