"""`enclave summarize` in a subprocess, with the real bundled model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.config.paths import Paths
from app.core.store import Store
from tests.helpers import make_documents as make
from tests.helpers.cli import assert_one_clear_line, enclave

pytestmark = pytest.mark.model


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data dir whose settings keep the run small: a 512-token context, one thread."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "settings.json").write_text(json.dumps({"context_size": 512, "threads": 1}))
    return folder


@pytest.fixture
def env(model_path: Path) -> dict[str, str]:
    return {"ENCLAVE_BUNDLED_MODEL": str(model_path)}


def test_missing_file_is_one_line_and_exit_1(tmp_path: Path, data_dir: Path) -> None:
    result = enclave("summarize", tmp_path / "nope.pdf", data_dir=data_dir)
    line = assert_one_clear_line(result, 1)
    assert "nope.pdf" in line and "does not exist" in line
    assert result.out == ""


def test_usage_error_is_exit_2(data_dir: Path) -> None:
    result = enclave("summarize", "--lang", "de", "x.txt", data_dir=data_dir)
    assert result.code == 2 and "invalid choice" in result.err


def test_text_file_to_markdown_with_progress(tmp_path: Path, data_dir: Path, env) -> None:
    source = tmp_path / "notes.txt"
    source.write_text(make.LOREM + "\n\n" + make.LOREM)
    result = enclave("summarize", "--max-tokens", "24", source, data_dir=data_dir, env=env)
    assert result.code == 0, result.err
    assert result.out.startswith("**Summary of notes.txt**")
    assert "(notes.txt, p. ~1)" in result.out
    assert "notes.txt: reading…" in result.err and "notes.txt: done in" in result.err
    assert "[saved as conversation 1]" in result.err
    with Store.open(Paths(data_dir).database) as store:
        [document] = store.documents(1)
        assert document.name == "notes.txt" and document.path == str(source.resolve())


def test_pdf_to_json_file_in_french(tmp_path: Path, data_dir: Path, env) -> None:
    pages = [f"Page {n}. {make.LOREM_FR}" for n in range(1, 9)]
    pdf = make.make_pdf(tmp_path / "rapport.pdf", pages)
    bad = tmp_path / "binary.txt"
    bad.write_bytes(bytes(range(256)) * 4)
    out = tmp_path / "out.json"
    result = enclave(
        "summarize",
        pdf,
        bad,
        "--json",
        "-o",
        out,
        "--max-tokens",
        "16",
        data_dir=data_dir,
        env=env,
    )
    assert result.code == 1, result.err  # one file failed, the other was summarised
    assert "enclave: binary.txt: this is a binary file" in result.err
    assert result.out == ""
    data = json.loads(out.read_text())
    [doc] = data["documents"]
    assert data["errors"][0]["file"] == str(bad) and "binary" in data["errors"][0]["error"]
    assert (doc["name"], doc["format"], doc["pages"], doc["language"]) == (
        "rapport.pdf",
        "pdf",
        8,
        "fr",
    )
    assert doc["mode"] == "map-reduce" and doc["chunks"] == len(doc["sections"]) >= 2
    assert doc["sections"][0]["page_start"] == 1 and doc["sections"][-1]["page_end"] == 8
    assert doc["sections"][0]["pages"].startswith("p. 1")
    assert doc["summary"].startswith("**Résumé de rapport.pdf**")
    assert "**Par partie**" in doc["summary"]
    assert set(doc["stats"]) == {"prompt_tokens", "generated_tokens", "model_s", "wall_s"}
    assert doc["stats"]["prompt_tokens"] > 0 and not doc["cancelled"]
    assert "rapport.pdf: part 1 of" in result.err


def test_encrypted_pdf_without_a_terminal_explains(tmp_path: Path, data_dir: Path, env) -> None:
    locked = make.make_pdf(tmp_path / "locked.pdf", ["Salaries"], password="pw")
    result = enclave("summarize", locked, data_dir=data_dir, env=env)
    assert result.code == 1 and "Traceback" not in result.err
    errors = [line for line in result.err.splitlines() if line.startswith("enclave: ")]
    assert errors == [
        "enclave: locked.pdf: this PDF is encrypted with a password; open it with the password "
        "and save an unprotected copy (or print it to PDF), then try again."
    ]


def test_ctrl_c_keeps_the_parts_done_and_exits_130(tmp_path: Path, data_dir: Path, env) -> None:
    pages = [f"Page {n}. {make.LOREM}" for n in range(1, 13)]
    pdf = make.make_pdf(tmp_path / "long.pdf", pages)
    argv = [
        sys.executable,
        "-m",
        "app",
        "--data-dir",
        str(data_dir),
        "summarize",
        str(pdf),
        "--max-tokens",
        "16",
    ]
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **env}
    )
    seen = []
    for line in proc.stderr:  # progress lines, one per step (stderr is not a terminal)
        seen.append(line)
        if "long.pdf: part 2 of" in line:
            proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, "".join(seen) + err
    assert "cancelled; what was summarised so far is saved" in err
    assert out.startswith("**Summary of long.pdf**") and "**By part**" in out
    with Store.open(Paths(data_dir).database) as store:
        reply = store.active_path(1)[-1]
        assert reply.status == "cancelled" and reply.content == out.rstrip("\n") + "\n"
        assert store.documents(1)[0].name == "long.pdf"
