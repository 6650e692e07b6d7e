"""The command line on an encrypted history whose key is out of reach: one line, exit 1, and
the database byte for byte as it was."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from app.core.config.policy import HistoryPolicy
from app.core.store import cipher, keys
from app.core.store.opening import open_history
from tests.helpers.cli import assert_one_clear_line, enclave
from tests.helpers.history_data import fill
from tests.helpers.keyring_fixtures import (  # noqa: F401 (fixtures used by name)
    keyring_env,
    own_secret_service,
    session_secret_service,
)


@pytest.fixture
def encrypted(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(data dir, database, policy requiring encryption) with three conversations."""
    data = tmp_path / "data"
    policy = tmp_path / "policy.toml"
    policy.write_text('[history]\nencrypt = "required"\n', encoding="utf-8")
    db = data / "enclave.sqlite3"
    with open_history(db, HistoryPolicy(encrypt="required")) as store:
        fill(store)
    return data, db, policy


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_cli_reads_an_encrypted_history(keyring_env: dict, encrypted) -> None:  # noqa: F811
    data, db, policy = encrypted
    listed = enclave("history", "list", "--json", data_dir=data, policy=policy, env=keyring_env)
    assert listed.code == 0, listed.err
    assert len(json.loads(listed.out)) == 3
    assert cipher.file_kind(db) == "encrypted"


@pytest.mark.parametrize("case", ["missing", "wrong", "no_keyring"])
def test_key_out_of_reach_is_one_line_exit_1_and_nothing_changes(
    keyring_env: dict,  # noqa: F811
    encrypted,
    case: str,
) -> None:
    data, db, policy = encrypted
    env = dict(keyring_env)
    if case == "missing":
        keys.delete_key(db)
    elif case == "wrong":
        keys.store_key(db, cipher.new_key())
    else:
        env["DBUS_SESSION_BUS_ADDRESS"] = ""  # no session bus: no keyring at all
    digest = _sha(db)
    for args in (
        ("history", "list"),
        ("history", "purge", "--all"),
        ("export", "1", "--format", "md"),
    ):
        line = assert_one_clear_line(enclave(*args, data_dir=data, policy=policy, env=env))
        assert {"missing": "not in this user's keyring", "wrong": "wrong key"}.get(
            case, "no keyring"
        ) in line
        assert "Nothing was changed" in line
    assert _sha(db) == digest


def test_locked_keyring_is_one_line_exit_1(request: pytest.FixtureRequest) -> None:
    own = request.getfixturevalue("own_secret_service")
    data, db, policy = request.getfixturevalue("encrypted")  # made in the test's own keyring
    own.lock()
    digest = _sha(db)
    line = assert_one_clear_line(
        enclave("history", "list", data_dir=data, policy=policy, env=own.env)
    )
    assert "locked" in line
    assert _sha(db) == digest
