"""Two processes on one data dir: first runs, imports, settings and chats at the same instant.

Each trial releases real `enclave` commands together (tests/helpers/race.py) and then checks
that nothing was lost: every import registered, the default model assembled once and whole, no
temporary file left behind, and no error but a clear "busy, try again". Once two first runs
raced on the default model's `.assembling` file (one died with FileNotFoundError) and two
imports lost a registry entry in 4 of 6 trials.

Trials: 20 for imports and settings. A first run writes the 253 MB default model, so its
count is `ENCLAVE_RACE_TRIALS` (default 5 here, about 2 s each); set it to 20 or more for the
full campaign. Chats load the model: 3 trials unless ENCLAVE_RACE_TRIALS says more.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.default_model import DEFAULT_MODEL_FILE, DEFAULT_MODEL_SHA256, DEFAULT_MODEL_SIZE
from app.core.models.hashing import sha256_file
from tests.helpers.gguf_build import write_smol
from tests.helpers.race import Outcome, run_together

IMPORT_TRIALS = 20
_ENV_TRIALS = int(os.environ.get("ENCLAVE_RACE_TRIALS", "0") or 0)
FIRST_RUN_TRIALS = _ENV_TRIALS or 5
CHAT_TRIALS = _ENV_TRIALS or 3
BUSY = "is busy: another Enclave window or command is using it; try again"


def ok_or_busy(outcomes: list[Outcome]) -> list[Outcome]:
    """Every process succeeded, or said 'busy, try again' in one line; returns the successes."""
    for o in outcomes:
        assert "Traceback" not in o.err and "unexpected error" not in o.err, o.err
        if o.code != 0:
            assert o.code == 1 and BUSY in o.err and len(o.err.strip().splitlines()) == 1, o.err
    return [o for o in outcomes if o.code == 0]


def listed(data: Path) -> list[dict]:
    [out] = run_together([["--data-dir", str(data), "models", "list", "--json"]], data / "race")
    assert out.code == 0, out.err
    return json.loads(out.out)["models"]


def temporary_files(models: Path) -> list[str]:
    return [
        p.name
        for p in models.iterdir()
        if p.name.endswith((".importing", ".assembling", ".tmp", ".part"))
    ]


@pytest.mark.model  # assembles the real model, once per trial
def test_two_first_runs_assemble_the_default_model_once(tmp_path: Path) -> None:
    for trial in range(FIRST_RUN_TRIALS):
        data = tmp_path / f"data{trial}"
        argv = ["--data-dir", str(data), "models", "list", "--json"]
        done = ok_or_busy(run_together([argv, argv], tmp_path / "race"))
        assert len(done) == 2, f"trial {trial}: {[o.err for o in done]}"
        for o in done:
            [model] = json.loads(o.out)["models"]
            assert model["sha256"] == DEFAULT_MODEL_SHA256 and model["present"]
        models = data / "models"
        assert (models / DEFAULT_MODEL_FILE).stat().st_size == DEFAULT_MODEL_SIZE
        assert temporary_files(models) == [], trial
        if trial == 0:
            assert sha256_file(models / DEFAULT_MODEL_FILE) == DEFAULT_MODEL_SHA256
        shutil.rmtree(data)


@pytest.fixture
def bundled(model_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENCLAVE_BUNDLED_MODEL", str(model_path))


@pytest.fixture(scope="module")
def small_models(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Small, different, loadable models (different weights, so different sha256); no chat
    template, so an import starts no sandbox process (templates are checked elsewhere)."""
    folder = tmp_path_factory.mktemp("small")
    return [
        write_smol(folder / f"smol-{i}.gguf", seed=i, chat_template=None)
        for i in range(2 * IMPORT_TRIALS)
    ]


def test_imports_of_different_files_lose_nothing(
    tmp_path: Path, bundled: None, small_models: list[Path]
) -> None:
    data = tmp_path / "data"
    for trial in range(IMPORT_TRIALS):
        a, b = small_models[2 * trial], small_models[2 * trial + 1]
        commands = [["--data-dir", str(data), "models", "import", str(p)] for p in (a, b)]
        assert len(ok_or_busy(run_together(commands, tmp_path / "race"))) == 2, trial
    imported = [m for m in listed(data) if m["source"] == "import"]
    assert sorted(Path(m["path"]).name for m in imported) == sorted(p.name for p in small_models)
    assert len({m["sha256"] for m in imported}) == 2 * IMPORT_TRIALS
    assert temporary_files(data / "models") == []


def test_imports_of_the_same_file_register_it_once(
    tmp_path: Path, bundled: None, small_models: list[Path]
) -> None:
    data = tmp_path / "data"
    for trial in range(IMPORT_TRIALS):
        source = small_models[trial]
        argv = ["--data-dir", str(data), "models", "import", str(source)]
        assert len(ok_or_busy(run_together([argv, argv], tmp_path / "race"))) == 2, trial
        copies = sorted(p.name for p in (data / "models").glob(f"{source.stem}*.gguf"))
        assert copies == [source.name], (trial, copies)  # no orphan second copy
        sha = sha256_file(source)
        assert [m["sha256"] for m in registered(data)].count(sha) == 1, trial
    assert temporary_files(data / "models") == []
    assert len([m for m in listed(data) if m["source"] == "import"]) == IMPORT_TRIALS


def registered(data: Path) -> list[dict]:
    """The registry file itself: what every process reads."""
    raw = json.loads((data / "models" / "registry.json").read_text(encoding="utf-8"))
    return list(raw["models"].values())


def test_settings_changed_by_two_processes_are_both_kept(tmp_path: Path, bundled: None) -> None:
    data = tmp_path / "data"
    script = (
        "import sys\n"
        "from app.core.config.runtime import Runtime\n"
        "Runtime.create(sys.argv[1]).settings.update(**{sys.argv[2]: sys.argv[3]})\n"
    )
    for trial in range(IMPORT_TRIALS):
        values = {"model": f"model-{trial}", "system_prompt": f"prompt {trial}"}
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", script, str(data), name, value],
                stderr=subprocess.PIPE,
                text=True,
            )
            for name, value in values.items()
        ]
        for p in procs:
            _out, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
        saved = json.loads((data / "settings.json").read_text(encoding="utf-8"))
        assert {k: saved[k] for k in values} == values, trial


@pytest.mark.model
def test_two_command_line_chats_at_once_on_one_data_dir(tmp_path: Path, bundled: None) -> None:
    data = tmp_path / "data"
    for trial in range(CHAT_TRIALS):
        argv = ["--data-dir", str(data), "chat", "--max-tokens", "4", "--seed", "1", "Hello"]
        done = ok_or_busy(run_together([argv, argv], tmp_path / "race"))
        assert len(done) == 2, trial
    [history] = run_together([["--data-dir", str(data), "history", "list", "--json"]], tmp_path)
    assert history.code == 0, history.err
    assert len(json.loads(history.out)) == 2 * CHAT_TRIALS, history.out
