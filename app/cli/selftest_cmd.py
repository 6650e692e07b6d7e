"""`enclave self-test`: is this desktop ready? Policy, data dir, store, model, generation.

Fleet tools read `--json`: {"ok", "checks": [{"name", "ok", "detail"}], "model": {"path",
"sha256"}, "load_s", "prompt_tokens_per_s", "decode_tokens_per_s"}. Exit 0 only if every
check passed.
"""

from __future__ import annotations

import argparse
import json
import stat
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.core.config.runtime import Runtime
from app.core.errors import EnclaveError, PolicyRefused

PROBE_PROMPT = "The capital of France is"


@dataclass
class Report:
    checks: list[dict[str, Any]] = field(default_factory=list)
    model: dict[str, str | None] = field(default_factory=lambda: {"path": None, "sha256": None})
    load_s: float | None = None
    prompt_tokens_per_s: float | None = None
    decode_tokens_per_s: float | None = None

    def check(self, name: str, fn: Callable[[], str]) -> bool:
        try:
            detail, ok = fn(), True
        except EnclaveError as exc:
            detail, ok = str(exc), False
        except Exception as exc:  # a self-test reports, it does not crash
            detail, ok = f"{type(exc).__name__}: {exc}", False
        self.checks.append({"name": name, "ok": ok, "detail": detail})
        return ok

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c["ok"] for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checks": self.checks,
            "model": self.model,
            "load_s": self.load_s,
            "prompt_tokens_per_s": self.prompt_tokens_per_s,
            "decode_tokens_per_s": self.decode_tokens_per_s,
        }


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("self-test", help="check the policy, data, model and generation")
    p.add_argument("--json", action="store_true", help="print a JSON report for fleet tools")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    report = Report()
    report.check("policy", lambda: _policy(runtime))
    report.check("data directory", lambda: _data_dir(runtime))
    report.check("store", lambda: _store(runtime))
    state: dict[str, Any] = {}
    if report.check("model file", lambda: _model_file(runtime, report, state)) and report.check(
        "model load", lambda: _model_load(runtime, report, state)
    ):
        report.check("generation", lambda: _generation(report, state))
    if "engine" in state:
        state["engine"].unload()
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        for c in report.checks:
            print(f"{'ok  ' if c['ok'] else 'FAIL'}  {c['name']}: {c['detail']}")
        print("Enclave is ready." if report.ok else "Enclave is NOT ready: see FAIL above.")
    return 0 if report.ok else 1


def _policy(runtime: Runtime) -> str:
    p = runtime.policy
    if p.source is None:
        return "no admin policy installed (defaults apply)"
    return f"{p.source} is valid"


def _data_dir(runtime: Runtime) -> str:
    d = runtime.paths.data_dir
    mode = stat.S_IMODE(d.stat().st_mode)
    if mode & 0o077:
        raise EnclaveError(f"{d} is readable by other users (mode {mode:o}); run chmod 700 {d}.")
    return f"{d} (mode {mode:o})"


def _store(runtime: Runtime) -> str:
    db = runtime.paths.database
    if not runtime.policy.history.enabled:
        runtime.open_store().close()
        return "history is off by policy: nothing is written"
    from app.core.store.database import write_engine

    # Through the store: an encrypted history is checked with its key from the keyring.
    with runtime.open_store() as store:
        problems = store.integrity_check()
        if problems:
            raise EnclaveError(f"The database {db} is damaged ({problems[0]}).")
        with write_engine(store.engine).begin():
            pass  # BEGIN IMMEDIATE: proves we can take the write lock
        encrypted = store.encrypted
    mode = stat.S_IMODE(db.stat().st_mode)
    if mode & 0o077:
        raise EnclaveError(f"{db} is readable by other users (mode {mode:o}).")
    form = "encrypted, " if encrypted else ""
    return f"{db} is intact and writable ({form}mode {mode:o})"


def _model_file(runtime: Runtime, report: Report, state: dict[str, Any]) -> str:
    from app.core import default_model
    from app.core.models.resolve import resolve

    chosen = resolve(runtime.settings.current.model or None, runtime.paths, runtime.policy)
    path = chosen.path
    digest = default_model.sha256_file(path)
    report.model = {"path": str(path), "sha256": digest}
    try:
        runtime.models.choose()  # the allowlist, decided on the file itself as for every load
    except PolicyRefused as exc:
        raise EnclaveError(f"{path.name} is not on the administrator's allowlist.") from exc
    # Integrity: the checksum recorded when the model was installed, or the bundled model's own.
    bundled = (
        default_model.bundled_model_path(),
        runtime.paths.models_dir / default_model.DEFAULT_MODEL_FILE,
    )
    expected = chosen.model.sha256 if chosen.model else None
    if expected is None and path in bundled:
        expected = default_model.DEFAULT_MODEL_SHA256
    if expected and digest != expected:
        raise EnclaveError(
            f"{path} is damaged: its sha256 is {digest[:12]}…, not the {expected[:12]}… it had "
            f"when installed; reinstall it (or Enclave, for the bundled model)."
        )
    state["path"] = path
    how = "matches the recorded checksum" if expected else "(not installed: nothing to compare)"
    return f"{path} sha256 {digest[:12]}… {how}"


def _model_load(runtime: Runtime, report: Report, state: dict[str, Any]) -> str:
    from app.core.backends import local_backend
    from app.core.types import LoadOptions

    s = runtime.settings.current
    engine = local_backend()
    start = time.perf_counter()
    options = LoadOptions(min(s.context_size, 2048), s.threads, s.gpu_layers)
    info = engine.load(state["path"], options)
    report.load_s = round(time.perf_counter() - start, 3)
    state["engine"] = engine
    where = "GPU" if info.gpu_layers else "CPU"
    return f"{info.name} ({info.architecture}) loaded in {report.load_s:.2f} s on {where}"


def _generation(report: Report, state: dict[str, Any]) -> str:
    from app.core.types import GenerationParams

    stream = state["engine"].complete(
        PROBE_PROMPT, GenerationParams(max_tokens=16, temperature=0.0)
    )
    text = "".join(stream)
    s = stream.stats
    if s.generated_tokens < 1:
        raise EnclaveError("The model loaded but generated nothing.")
    report.prompt_tokens_per_s = round(s.prompt_tokens_per_s, 1)
    report.decode_tokens_per_s = round(s.decode_tokens_per_s, 1)
    sys.stderr.flush()
    return (
        f"{s.generated_tokens} tokens at {s.decode_tokens_per_s:.1f} tokens/s: "
        f"{(PROBE_PROMPT + text).strip()[:60]!r}"
    )
