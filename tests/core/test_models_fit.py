"""The memory estimate: its parts for the default model, the verdicts, and — the part that
matters — agreement with the resident memory the real engine takes after loading the model."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from app.core.models.fit import MiB, check_fit, estimate_memory
from app.core.models.gguf_check import check_gguf

# Runs in a fresh process so that nothing else in the test session skews the numbers.
MEASURE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import psutil
    from app.core.engine import LocalEngine
    from app.core.types import ChatMessage, GenerationParams, LoadOptions

    proc = psutil.Process()
    engine = LocalEngine()
    before = proc.memory_info().rss
    engine.load(Path(sys.argv[1]), LoadOptions(context_size=int(sys.argv[2]), threads=2))
    loaded = proc.memory_info().rss
    prompt = "The quick brown fox jumps over the lazy dog. " * 60
    for _ in engine.generate([ChatMessage("user", prompt)], GenerationParams(max_tokens=8, seed=1)):
        pass
    used = proc.memory_info().rss
    engine.unload()
    print(json.dumps({"before": before, "loaded": loaded, "used": used}))
    """
)


def test_kv_cache_of_the_default_model(model_path: Path) -> None:
    header = check_gguf(model_path)
    estimate = estimate_memory(header, 4096)
    # 18 layers x 4096 cells x 1 KV head x (256 + 256) dims x 2 bytes (f16)
    assert estimate.kv_cache_bytes == 18 * 4096 * 1 * 512 * 2
    assert estimate.weights_bytes == 253_113_024
    assert estimate.total_bytes > estimate.weights_bytes + estimate.kv_cache_bytes


def test_sliding_window_layers_need_only_their_window(model_path: Path) -> None:
    header = check_gguf(model_path)
    full = estimate_memory(header, 8192, swa_full=True)
    windowed = estimate_memory(header, 8192, swa_full=False)
    # Gemma 3: 3 of 18 layers are global; the 15 others keep 512 + 512 cells, not 8192.
    per_cell_layer = 1 * 512 * 2
    assert windowed.kv_cache_bytes == (3 * 8192 + 15 * 1024) * per_cell_layer
    assert full.kv_cache_bytes == 18 * 8192 * per_cell_layer


def test_per_layer_head_counts(model_path: Path) -> None:
    header = check_gguf(model_path)
    meta = dict(header.metadata)
    meta["gemma3.attention.head_count_kv"] = tuple([1] * 9 + [2] * 9)
    varied = replace(header, metadata=meta)
    assert estimate_memory(varied, 1024).kv_cache_bytes == (9 * 1 + 9 * 2) * 1024 * 512 * 2


def test_estimate_grows_with_context(model_path: Path) -> None:
    header = check_gguf(model_path)
    totals = [estimate_memory(header, n).total_bytes for n in (512, 2048, 8192, 32768)]
    assert totals == sorted(totals) and len(set(totals)) == 4


def test_verdicts(model_path: Path) -> None:
    estimate = estimate_memory(check_gguf(model_path), 4096)
    need = estimate.total_bytes
    assert check_fit(estimate, available=need * 2).verdict == "fits"
    assert check_fit(estimate, available=int(need * 1.1)).verdict == "tight"
    assert check_fit(estimate, available=need - 1).verdict == "too_big"
    result = check_fit(estimate, available=need * 2)
    assert "needs about" in result.summary and "4096 tokens" in result.summary


def test_available_memory_is_measured(model_path: Path) -> None:
    result = check_fit(estimate_memory(check_gguf(model_path), 4096))
    assert result.available_bytes > 64 * MiB


@pytest.mark.model
@pytest.mark.parametrize("n_ctx", [4096])
def test_estimate_matches_the_measured_memory_of_the_real_engine(
    model_path: Path, n_ctx: int
) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, str(model_path), str(n_ctx)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    rss = json.loads(proc.stdout.strip().splitlines()[-1])
    after_load = rss["loaded"] - rss["before"]
    in_use = rss["used"] - rss["before"]
    estimate = estimate_memory(check_gguf(model_path), n_ctx).total_bytes
    report = (
        f"n_ctx {n_ctx}: estimate {estimate / MiB:.0f} MiB, RSS increase after load "
        f"{after_load / MiB:.0f} MiB ({estimate / after_load - 1:+.0%}), after a 700-token "
        f"prompt {in_use / MiB:.0f} MiB ({estimate / in_use - 1:+.0%})"
    )
    print(report)
    assert abs(estimate - after_load) <= 0.25 * after_load, report
    assert abs(estimate - in_use) <= 0.25 * in_use, report
