"""Will a model fit in memory? An estimate of the RAM llama.cpp uses, against what is free.

The estimate follows what llama.cpp allocates on the CPU and actually touches:

* the weights: the whole file is memory-mapped and every page is read while generating;
* the KV cache: for each layer, n_ctx cells of (n_head_kv × head_dim_k + n_head_kv × head_dim_v)
  values, 2 bytes each in f16. Sliding-window layers (Gemma 2/3, Cohere 2) need only
  n_swa + n_ubatch cells when llama.cpp is told `swa_full=False`; llama-cpp-python's default
  keeps them full-size, so that is the default here too;
* the compute buffer in use: one micro-batch of activations, plus its attention scores against
  the whole context (n_ubatch × n_ctx × n_head floats) unless flash attention is on;
* the runtime: the tokenizer's tables (about 96 bytes per vocabulary entry) and a fixed
  allowance for llama.cpp and the Python bindings.

Measured against the default model (tests/core/test_models_fit.py) the estimate lands within a
few percent of the resident memory after a long prompt, and a little above it right after load.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from app.core.models.gguf_check import GgufHeader
from app.core.models.gguf_limits import LLAMA_MAX_LAYERS

MiB = 1 << 20
RUNTIME_BYTES = 32 * MiB
VOCAB_ENTRY_BYTES = 96
DEFAULT_UBATCH = 512
TIGHT_RATIO = 0.8  # above 80% of available memory the system may start swapping
# Layers that attend to a sliding window, when the GGUF does not say: every Nth layer is global.
_SWA_PATTERN = {"gemma2": 2, "gemma3": 6, "cohere2": 4}

Verdict = Literal["fits", "tight", "too_big"]


@dataclass(frozen=True)
class MemoryEstimate:
    n_ctx: int
    weights_bytes: int
    kv_cache_bytes: int
    compute_bytes: int
    runtime_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_cache_bytes + self.compute_bytes + self.runtime_bytes


@dataclass(frozen=True)
class FitResult:
    verdict: Verdict
    needed_bytes: int
    available_bytes: int
    estimate: MemoryEstimate

    @property
    def summary(self) -> str:
        words = {"fits": "fits", "tight": "is tight", "too_big": "is too big"}[self.verdict]
        return (
            f"{words}: needs about {format_bytes(self.needed_bytes)} at {self.estimate.n_ctx} "
            f"tokens of context, {format_bytes(self.available_bytes)} available"
        )


def estimate_memory(
    header: GgufHeader,
    n_ctx: int,
    *,
    n_ubatch: int = DEFAULT_UBATCH,
    kv_bytes_per_value: int = 2,
    swa_full: bool = True,
    flash_attention: bool = False,
) -> MemoryEstimate:
    """RAM needed to run `header`'s model on the CPU with a context of `n_ctx` tokens."""
    n_ctx = max(1, n_ctx)
    n_ubatch = min(n_ubatch, n_ctx)
    arch = header.arch_value
    # check_gguf refuses more layers; bounded here too, as every loop below runs per layer.
    n_layer = min(_int(arch("block_count"), 0), LLAMA_MAX_LAYERS)
    n_embd = _int(arch("embedding_length"), 0)
    n_head = _per_layer(arch("attention.head_count"), n_layer, 0)
    n_head_kv = _per_layer(arch("attention.head_count_kv"), n_layer, None) or n_head
    head_max = max(n_head, default=0)
    default_dim = n_embd // head_max if head_max else 0
    dim_k = _int(arch("attention.key_length"), default_dim)
    dim_v = _int(arch("attention.value_length"), default_dim)
    swa_layers = _swa_layers(header, n_layer)
    n_swa = _int(arch("attention.sliding_window"), 0)

    kv = 0
    for layer in range(n_layer):
        cells = n_ctx
        if not swa_full and n_swa and layer in swa_layers:
            cells = min(n_ctx, _pad(n_swa + n_ubatch, 256))
        kv += cells * n_head_kv[layer] * (dim_k + dim_v) * kv_bytes_per_value

    n_ff = _int(arch("feed_forward_length"), 4 * n_embd) if n_layer else 0
    compute = n_ubatch * (4 * n_embd + 2 * n_ff) * 4
    if not flash_attention:
        compute += n_ubatch * n_ctx * head_max * 4
    runtime = RUNTIME_BYTES + (header.n_vocab or 0) * VOCAB_ENTRY_BYTES
    return MemoryEstimate(n_ctx, header.file_size, kv, compute, runtime)


def available_memory() -> int:
    """Memory the system can give a new process without swapping."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except (ImportError, OSError):  # psutil missing or /proc unreadable: best effort
        return _meminfo_available()


def check_fit(estimate: MemoryEstimate, available: int | None = None) -> FitResult:
    """fits: under 80% of available memory; tight: under 100%; too_big: above."""
    free = available_memory() if available is None else available
    needed = estimate.total_bytes
    if needed <= free * TIGHT_RATIO:
        verdict: Verdict = "fits"
    elif needed <= free:
        verdict = "tight"
    else:
        verdict = "too_big"
    return FitResult(verdict, needed, free, estimate)


def format_bytes(n: int | float) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if abs(value) < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit in ("B", "KB") else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def _int(value: object, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, tuple) and value and all(isinstance(v, int) for v in value):
        return max(value)
    return default


def _per_layer(value: object, n_layer: int, default: int | None) -> list[int]:
    """A head count given once for all layers, or per layer (some models vary it)."""
    if isinstance(value, tuple) and len(value) == n_layer:
        return [int(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return [value] * n_layer
    return [] if default is None else [default] * n_layer


def _swa_layers(header: GgufHeader, n_layer: int) -> set[int]:
    pattern = header.arch_value("attention.sliding_window_pattern")
    if isinstance(pattern, tuple) and len(pattern) == n_layer:  # per layer: true = sliding
        return {i for i, sliding in enumerate(pattern) if sliding}
    period = pattern if isinstance(pattern, int) and pattern > 0 else None
    period = period or _SWA_PATTERN.get(header.architecture)
    if not period or not header.arch_value("attention.sliding_window"):
        return set()
    return {i for i in range(n_layer) if (i + 1) % period}


def _pad(n: int, multiple: int) -> int:
    return -(-n // multiple) * multiple


def _meminfo_available() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return (
        os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES") if hasattr(os, "sysconf") else 0
    )
