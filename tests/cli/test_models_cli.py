"""`enclave models …` as a user or an admin runs it: the real command in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.cli import assert_one_clear_line, enclave
from tests.helpers.http_server import ModelServer

BUNDLED_ID = "a5fd3b62230a"
ROUTE = "/org/repo/resolve/main/gemma-3-test.gguf"


@pytest.fixture(autouse=True)
def bundled(model_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENCLAVE_BUNDLED_MODEL", str(model_path))


def error_line(result, code: int = 1) -> str:
    """Progress lines may precede it on stderr; the error itself is one 'enclave:' line."""
    assert result.code == code, (result.code, result.out, result.err)
    assert "Traceback" not in result.err
    errors = [line for line in result.err.splitlines() if line.startswith("enclave: ")]
    assert len(errors) == 1, result.err
    return errors[0]


def listed(data: Path, policy: Path | None = None) -> dict[str, dict]:
    result = enclave("models", "list", "--json", data_dir=data, policy=policy)
    assert result.code == 0, result.err
    return {m["id"]: m for m in json.loads(result.out)["models"]}


def test_list_shows_the_bundled_default(tmp_path: Path) -> None:
    result = enclave("models", "list", data_dir=tmp_path / "data")
    assert result.code == 0, result.err
    line = next(line for line in result.out.splitlines() if BUNDLED_ID in line)
    assert line.startswith("*") and "gemma3" in line and "Q4_K_M" in line and "bundled" in line
    models = listed(tmp_path / "data")
    assert models[BUNDLED_ID]["default"] is True and models[BUNDLED_ID]["present"] is True


def test_info_by_id_and_by_path(tmp_path: Path, model_path: Path) -> None:
    result = enclave("models", "info", BUNDLED_ID, data_dir=tmp_path / "data")
    assert result.code == 0, result.err
    for words in (
        "gemma3",
        "268M",
        "Q4_K_M",
        "32768",
        "gemma",
        "253113024 bytes",
        "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        "none (Enclave supplies one)",
        "needs about",
    ):
        assert words in result.out, words
    result = enclave(
        "models", "info", model_path, "--context", "2048", "--json", data_dir=tmp_path / "data"
    )
    info = json.loads(result.out)
    assert info["architecture"] == "gemma3" and info["chat_template"] is False
    assert info["fit"]["context"] == 2048
    assert info["fit"]["kv_cache_bytes"] == 18 * 2048 * 1024
    assert info["fit"]["verdict"] in ("fits", "tight", "too_big")


def test_import_list_verify_remove(tmp_path: Path, variant_model: tuple[Path, str]) -> None:
    data = tmp_path / "data"
    path, sha = variant_model
    result = enclave("models", "import", path, data_dir=data)
    assert result.code == 0, result.err
    assert f"Imported Gemma 3 Test as id {sha[:12]}" in result.out
    assert listed(data)[sha[:12]]["source"] == "import"
    result = enclave("models", "verify", data_dir=data)
    assert result.code == 0 and f"OK      {sha[:12]}" in result.out, result.out
    copy = data / "models" / path.name
    with copy.open("r+b") as fh:
        fh.seek(-1, 2)
        fh.write(b"\x01" if fh.read(1) != b"\x01" else b"\x02")
    result = enclave("models", "verify", sha[:8], data_dir=data)
    assert result.code == 1 and "FAILED" in result.out and "MISMATCH" in result.out
    result = enclave("models", "remove", sha[:12], data_dir=data, stdin="n\n")
    assert result.code == 1 and "Nothing removed" in result.out and copy.exists()
    result = enclave("models", "remove", sha[:12], data_dir=data, stdin="y\n")
    assert result.code == 0 and not copy.exists()
    assert sha[:12] not in listed(data)


def test_remove_without_a_terminal_needs_yes(tmp_path: Path, variant_model) -> None:
    data = tmp_path / "data"
    enclave("models", "import", variant_model[0], "--link", data_dir=data)
    result = enclave("models", "remove", variant_model[1][:12], data_dir=data, stdin="")
    assert "--yes" in assert_one_clear_line(result)
    assert enclave("models", "remove", variant_model[1][:12], "--yes", data_dir=data).code == 0
    assert variant_model[0].is_file()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty (0 bytes)"),
        (b"hello, world\n" * 10, "text file"),
        (b"GGUF\x03\x00\x00\x00" + b"\xff" * 16 + bytes(64), "claims"),
    ],
)
def test_import_of_a_bad_file_is_one_clear_line(tmp_path: Path, content: bytes, words: str):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(content)
    line = assert_one_clear_line(enclave("models", "import", bad, data_dir=tmp_path / "data"))
    assert words in line
    assert set(listed(tmp_path / "data")) == {BUNDLED_ID}


def test_bundled_model_cannot_be_removed(tmp_path: Path) -> None:
    result = enclave("models", "remove", BUNDLED_ID, "--yes", data_dir=tmp_path / "data")
    assert "bundled default model" in assert_one_clear_line(result, code=1)


def test_pull_from_a_local_server(tmp_path: Path, variant_model: tuple[Path, str]) -> None:
    path, sha = variant_model
    with ModelServer() as server:
        url = server.serve(ROUTE, path, sha256=sha, publish="linked-etag", redirect=True)
        result = enclave("models", "pull", url, data_dir=tmp_path / "data")
    assert result.code == 0, result.err
    assert f"Expected sha256 (server): {sha}" in result.err
    assert "downloading: 100.0%" in result.err
    assert f"as id {sha[:12]}" in result.out
    assert listed(tmp_path / "data")[sha[:12]]["source"] == "download"


def test_pull_with_a_wrong_sha256_installs_nothing(tmp_path: Path, variant_model) -> None:
    with ModelServer() as server:
        url = server.serve(ROUTE, variant_model[0], publish="none")
        result = enclave("models", "pull", url, "--sha256", "0" * 64, data_dir=tmp_path / "data")
    assert "was expected" in error_line(result)
    assert set(listed(tmp_path / "data")) == {BUNDLED_ID}


def test_pull_404_is_one_clear_line(tmp_path: Path) -> None:
    with ModelServer() as server:
        result = enclave("models", "pull", server.url("/missing.gguf"), data_dir=tmp_path / "data")
    assert "HTTP 404" in assert_one_clear_line(result)


def test_pull_refused_by_policy_exits_3(tmp_path: Path, variant_model) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[network]\nallow_model_downloads = false\n", encoding="utf-8")
    with ModelServer() as server:
        url = server.serve(ROUTE, variant_model[0], sha256=variant_model[1])
        result = enclave("models", "pull", url, data_dir=tmp_path / "data", policy=policy)
        assert server.requests == []
    assert "turned off by your administrator" in assert_one_clear_line(result, code=3)
    catalog = enclave("models", "catalog", data_dir=tmp_path / "data", policy=policy)
    assert "Downloads are turned off" in catalog.out


def test_import_refused_by_the_allowlist_exits_3(tmp_path: Path, variant_model) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(f'[models]\nallowlist_sha256 = ["{"a" * 64}"]\n', encoding="utf-8")
    result = enclave(
        "models", "import", variant_model[0], data_dir=tmp_path / "data", policy=policy
    )
    assert "does not allow" in error_line(result, code=3)
    assert "copying" not in result.err  # refused before a byte was copied


def test_default_model_can_be_set(tmp_path: Path, variant_model) -> None:
    data = tmp_path / "data"
    enclave("models", "import", variant_model[0], "--link", data_dir=data)
    assert enclave("models", "default", "Gemma 3 Test", data_dir=data).code == 0
    shown = enclave("models", "default", data_dir=data)
    assert shown.out.startswith(variant_model[1][:12])
    assert listed(data)[variant_model[1][:12]]["default"] is True


def test_catalog_lists_verified_and_unverified(tmp_path: Path) -> None:
    result = enclave("models", "catalog", "--json", data_dir=tmp_path / "data")
    data = json.loads(result.out)
    assert data["downloads_allowed"] is True
    verified = {m["id"]: m["verified"] for m in data["models"]}
    assert verified["gemma-3-270m"] is True and verified["qwen2.5-7b-instruct"] is False


def test_a_malformed_sha256_is_a_usage_error(tmp_path: Path) -> None:
    result = enclave(
        "models", "pull", "qwen2.5-1.5b-instruct", "--sha256", "xyz", data_dir=tmp_path / "data"
    )
    assert result.code == 2 and "is not a sha256" in result.err
