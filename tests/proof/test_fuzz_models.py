"""A GGUF fuzzing campaign: mutated real models through import, info, fit, and load + one token.

Every case must end in a clear error (an EnclaveError, one line) or a working model: never an
abort or a segfault (loads run in a child process, so one is caught and counted), a hang, or an
unbounded allocation (the child's address space is capped; the header stage has a time bound).

Budget in ./test (derandomised): 120 header cases (check, fit, import, info) and 24 load cases,
of which those that pass the header check are loaded in a child. `ENCLAVE_FUZZ_SCALE=N` runs
N times as many, `ENCLAVE_FUZZ_RANDOM=1` explores new ones. A failing case is saved as a JSON
recipe under $ENCLAVE_FUZZ_FINDINGS (or $TMPDIR)/enclave-fuzz/; copied to
tests/fixtures/hostile/gguf/ it is replayed by test_hostile_fixtures.py.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from app.core.config.runtime import Runtime
from app.core.errors import EnclaveError
from app.core.models.admission import check_model_file
from app.core.models.fit import check_fit, estimate_memory
from app.core.models.manager import ModelManager
from tests.helpers import gguf_fuzz
from tests.helpers.fuzz import assert_clear, fuzz_settings, keep_finding

HEADER_CASE_SECONDS = 20  # generous on a loaded 2-core machine; a hang runs far past it
# pytest-timeout's limit grows with the campaign (each test runs all its examples).
SCALED_TIMEOUT = 300 * max(1, int(os.environ.get("ENCLAVE_FUZZ_SCALE", "1") or 1))
_stats: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def bundled_seed(model_path: Path) -> None:
    gguf_fuzz.use_bundled(model_path)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gguf-campaign")


def count(outcome: str) -> None:
    _stats[outcome] = _stats.get(outcome, 0) + 1


def header_stage(recipe: dict[str, Any], folder: Path) -> str:
    """Import, info and fit of the mutated file: 'refused' with a clear error, or 'passed'."""
    path = gguf_fuzz.build(recipe, folder / "case.gguf", weights=False)
    started = time.monotonic()
    try:
        try:
            header = check_model_file(path)
        except EnclaveError as exc:
            assert_clear(exc)
            return "refused"
        check_fit(estimate_memory(header, 4096))
        manager = ModelManager(Runtime.create(folder / "data"))
        placement = "symlink" if recipe["seed"] == "bundled" else "copy"
        added = manager.import_file(path, placement=placement)
        assert added.model.sha256 and added.model.present
        manager.inspect(str(path))
        return "passed"
    except EnclaveError as exc:  # import or info refusing what the check let through
        assert_clear(exc)
        return "refused later"
    except Exception as exc:
        kept = keep_finding(folder / "recipe.json", gguf_fuzz.recipe_text(recipe).encode())
        raise AssertionError(f"{type(exc).__name__}: {exc} (recipe kept as {kept})") from exc
    finally:
        elapsed = time.monotonic() - started
        assert elapsed < HEADER_CASE_SECONDS, f"{elapsed:.0f} s for {recipe}"


def load_stage(recipe: dict[str, Any], folder: Path) -> str:
    path = gguf_fuzz.build(recipe, folder / "load.gguf", weights=False)
    try:
        check_model_file(path)
    except EnclaveError as exc:
        assert_clear(exc)
        return "refused"
    path = gguf_fuzz.build(recipe, path, weights=True)  # the real weights only to load
    outcome, detail = gguf_fuzz.load_in_child(path)
    path.unlink()
    if outcome in ("crash", "hang"):
        kept = keep_finding(folder / "recipe.json", gguf_fuzz.recipe_text(recipe).encode())
        raise AssertionError(f"load {outcome}: {detail} (recipe kept as {kept})")
    return f"load {outcome}"


KEPT = sorted((Path(__file__).parents[1] / "fixtures" / "hostile" / "gguf").glob("*.json"))


@pytest.mark.parametrize("kept", KEPT, ids=[p.stem for p in KEPT])
def test_kept_recipes_are_refused_before_llama_cpp(workdir: Path, kept: Path) -> None:
    """Cases that once aborted or hung: refused by the header check, at import, in one line."""
    recipe = json.loads(kept.read_text(encoding="utf-8"))
    folder = workdir / kept.stem
    folder.mkdir()
    assert header_stage(recipe, folder) == "refused", recipe["found"]
    assert load_stage(recipe, folder) == "refused"


def test_the_seeds_load_and_answer(workdir: Path) -> None:
    for seed in gguf_fuzz.SEEDS:
        assert load_stage({"seed": seed, "ops": []}, workdir) == "load ok", seed


@pytest.mark.timeout(SCALED_TIMEOUT)
@fuzz_settings(examples=120)
@given(recipe=gguf_fuzz.recipes(("smol", "smol", "smol-chat", "bundled")))
def test_mutated_models_import_info_and_fit_clearly(
    tmp_path_factory: pytest.TempPathFactory, recipe: dict[str, Any]
) -> None:
    count(header_stage(recipe, tmp_path_factory.mktemp("case")))


@pytest.mark.timeout(SCALED_TIMEOUT)
@fuzz_settings(examples=24)
@given(recipe=gguf_fuzz.recipes(("smol", "smol", "smol-chat", "bundled")))
def test_mutated_models_load_or_refuse_never_crash(
    tmp_path_factory: pytest.TempPathFactory, recipe: dict[str, Any]
) -> None:
    count(load_stage(recipe, tmp_path_factory.mktemp("load")))


def test_campaign_report(capsys: pytest.CaptureFixture[str]) -> None:
    """The campaign's size and outcomes, printed for the run's log (-s shows them)."""
    with capsys.disabled():
        print(f"\nGGUF campaign: {sum(_stats.values())} cases: {dict(sorted(_stats.items()))}")
    assert _stats.get("refused", 0) > 0
