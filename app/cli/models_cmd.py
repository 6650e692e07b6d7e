"""`enclave models …`: list, inspect, import, download, remove and verify models.

    enclave models list [--json]
    enclave models info PATH_OR_ID [--context N] [--json]
    enclave models import PATH [--link | --hardlink]
    enclave models pull NAME_OR_URL [--sha256 HEX] [--allow-unverified]
    enclave models remove ID [--yes]
    enclave models verify [ID]
    enclave models catalog [--json]
    enclave models default [ID]

Progress goes to stderr, results to stdout. A policy refusal exits 3; Ctrl-C during a download
pauses it (exit 130) and the same command resumes it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.config.runtime import Runtime
from app.core.errors import EnclaveError
from app.core.types import CancelToken

if TYPE_CHECKING:  # the model modules pull in gguf and numpy: load them only when used
    from app.core.models.manager import Added, Inspection, ModelManager
    from app.core.models.progress import Progress
    from app.core.models.registry import InstalledModel


def format_bytes(n: float) -> str:
    from app.core.models.fit import format_bytes as fmt

    return fmt(n)


EXIT_CANCELLED = 130


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models",
        help="list, import, download, remove and verify models",
        description="Manage the language models Enclave can use.",
    )
    parser.set_defaults(run=run, models_action=None)
    sub = parser.add_subparsers(dest="models_action", metavar="ACTION")

    p = sub.add_parser("list", help="installed models")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser("info", help="header facts, sha256 and memory fit of a model")
    p.add_argument("model", metavar="PATH_OR_ID")
    p.add_argument("--context", type=int, metavar="N", help="context size for the fit check")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("import", help="add a local .gguf file")
    p.add_argument("path", metavar="PATH")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--link", action="store_true", help="symbolic link instead of a copy")
    how.add_argument("--hardlink", action="store_true", help="hard link (same drive)")

    p = sub.add_parser("pull", help="download a catalog model or a .gguf URL")
    p.add_argument("spec", metavar="NAME_OR_URL")
    p.add_argument("--sha256", metavar="HEX", type=_sha256_arg, help="the file's expected sha256")
    p.add_argument(
        "--allow-unverified",
        action="store_true",
        help="accept a download whose sha256 nobody published (not recommended)",
    )

    p = sub.add_parser("remove", help="delete an installed model")
    p.add_argument("model", metavar="ID")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    p = sub.add_parser("verify", help="hash installed models again and compare")
    p.add_argument("model", nargs="?", metavar="ID")

    p = sub.add_parser("catalog", help="recommended models that can be downloaded")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("default", help="show or set the default model")
    p.add_argument("model", nargs="?", metavar="ID")


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    from app.core.models.manager import ModelManager

    manager = ModelManager(runtime)
    action = args.models_action or "list"
    handler = {
        "list": _list,
        "info": _info,
        "import": _import,
        "pull": _pull,
        "remove": _remove,
        "verify": _verify,
        "catalog": _catalog,
        "default": _default,
    }[action]
    return handler(args, manager)


# -- list / info / catalog ---------------------------------------------------------------
def _list(args: argparse.Namespace, manager: ModelManager) -> int:
    models = manager.installed()
    default = manager.default_model()
    for problem in manager.problems:
        print(f"enclave: note: {problem}", file=sys.stderr)
    for part in manager.partial_downloads():
        print(
            f"enclave: note: unfinished download {part.name}; run the same 'enclave models pull' "
            f"again to resume it.",
            file=sys.stderr,
        )
    if getattr(args, "json", False):
        rows = [_model_json(m, default) for m in models]
        print(json.dumps({"models": rows}, indent=2))
        return 0
    headers = ("", "ID", "NAME", "ARCH", "PARAMS", "QUANT", "SIZE", "CONTEXT", "LICENSE", "SOURCE")
    rows = [
        (
            "*" if default and m.id == default.id else ("!" if not m.present else ""),
            m.id,
            m.name,
            m.summary.architecture,
            m.summary.params_label,
            m.summary.quantization,
            format_bytes(m.size),
            str(m.summary.context_length or "?"),
            m.summary.license or "?",
            m.source,
        )
        for m in models
    ]
    _table(headers, rows)
    print("\n* default model" + ("   ! file missing" if any(not m.present for m in models) else ""))
    return 0


def _info(args: argparse.Namespace, manager: ModelManager) -> int:
    found: Inspection = manager.inspect(args.model, args.context)
    header, model, fit = found.header, found.model, found.fit
    if model is not None:
        sha = model.sha256
    else:
        from app.core.models.hashing import sha256_file

        sha = sha256_file(header.path)
    from app.core.models.naming import display_name

    info: dict[str, Any] = {
        "id": model.id if model else None,
        "name": model.name if model else display_name(header),
        "path": str(header.path),
        "architecture": header.architecture,
        "parameters": header.n_params,
        "parameters_label": header.params_label,
        "quantization": header.quantization,
        "context_length": header.context_length,
        "license": header.license,
        "chat_template": header.has_chat_template,
        "size_bytes": header.file_size,
        "sha256": sha,
        "gguf_version": header.version,
        "source": model.source if model else "not installed",
        "fit": {
            "verdict": fit.verdict,
            "context": fit.estimate.n_ctx,
            "needed_bytes": fit.needed_bytes,
            "available_bytes": fit.available_bytes,
            "weights_bytes": fit.estimate.weights_bytes,
            "kv_cache_bytes": fit.estimate.kv_cache_bytes,
            "compute_bytes": fit.estimate.compute_bytes + fit.estimate.runtime_bytes,
        },
    }
    if model is not None:
        info["settings"] = {
            "context_size": model.settings.context_size,
            "gpu_layers": model.settings.gpu_layers,
            "template_override": model.settings.template_override,
        }
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    template = "embedded" if header.has_chat_template else "none (Enclave supplies one)"
    lines = [
        ("Name", info["name"]),
        ("Id", info["id"] or "(not installed)"),
        ("Path", info["path"]),
        ("Architecture", header.architecture),
        ("Parameters", header.params_label),
        ("Quantisation", header.quantization),
        ("Context length", str(header.context_length or "unknown")),
        ("License", header.license or "not stated"),
        ("Chat template", template),
        ("File size", f"{format_bytes(header.file_size)} ({header.file_size} bytes)"),
        ("sha256", sha),
        ("Source", info["source"]),
        ("Memory", f"{fit.verdict.replace('_', ' ')} — {fit.summary}"),
    ]
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        print(f"{key:<{width}}  {value}")
    return 0


def _catalog(args: argparse.Namespace, manager: ModelManager) -> int:
    entries = manager.catalog()
    allowed = manager.policy.network.allow_model_downloads
    if args.json:
        rows = [entry.__dict__ for entry in entries]
        print(json.dumps({"downloads_allowed": allowed, "models": rows}, indent=2))
        return 0
    headers = ("ID", "NAME", "LICENSE", "CONTEXT", "TEMPLATE", "CHECKED")
    rows = [
        (
            e.id,
            e.name,
            e.license or "?",
            str(e.context_length or "?"),
            e.template_family or "?",
            "verified" if e.verified else "at download",
        )
        for e in entries
    ]
    _table(headers, rows)
    if not allowed:
        print("\nDownloads are turned off by your administrator's policy.")
    return 0


# -- import / pull -----------------------------------------------------------------------
def _import(args: argparse.Namespace, manager: ModelManager) -> int:
    placement = "symlink" if args.link else "hardlink" if args.hardlink else "copy"
    printer = _ProgressPrinter()
    added = manager.import_file(Path(args.path), placement, progress=printer)
    printer.done()
    _report_added(added, "Imported")
    return 0


def _pull(args: argparse.Namespace, manager: ModelManager) -> int:
    plan = manager.plan_pull(args.spec, sha256=args.sha256, allow_unverified=args.allow_unverified)
    if plan.sha256 is None:
        print(
            "enclave: warning: no sha256 is published for this file; it is downloaded "
            "UNVERIFIED because you asked for it.",
            file=sys.stderr,
        )
    else:
        print(f"Expected sha256 ({plan.sha256_source}): {plan.sha256}", file=sys.stderr)
    print(f"Downloading {plan.file_name} from {plan.url}", file=sys.stderr)
    printer = _ProgressPrinter()
    pause = CancelToken()
    try:
        added = manager.pull(plan, progress=printer, pause=pause)
    except KeyboardInterrupt:
        printer.done()
        print("enclave: download paused; run the same command again to resume it.", file=sys.stderr)
        return EXIT_CANCELLED
    printer.done()
    _report_added(added, "Downloaded")
    return 0


def _report_added(added: Added, verb: str) -> None:
    m = added.model
    if added.already_installed:
        print(f"Already installed: {m.name} (id {m.id}, {m.path}).")
    else:
        print(f"{verb} {m.name} as id {m.id} ({m.path}).")


# -- remove / verify / default -----------------------------------------------------------
def _remove(args: argparse.Namespace, manager: ModelManager) -> int:
    model = manager.find(args.model)
    refusal = manager.removal_refusal(model)
    if refusal is None and not args.yes:
        print(f"Remove {model.name} (id {model.id}, {model.path})? [y/N] ", end="", flush=True)
        try:
            answer = input()
        except EOFError:
            raise EnclaveError(
                f"Nothing removed: confirm with 'enclave models remove {model.id} --yes'."
            ) from None
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing removed.")
            return 1
    manager.remove(model)
    print(f"Removed {model.name} (id {model.id}).")
    return 0


def _verify(args: argparse.Namespace, manager: ModelManager) -> int:
    models = [manager.find(args.model)] if args.model else manager.installed()
    printer = _ProgressPrinter()
    results = manager.verify(models, progress=printer)
    printer.done()
    for result in results:
        print(
            f"{'OK' if result.ok else 'FAILED':<7} {result.model.id}  {result.model.name}"
            + ("" if result.ok else f" — {result.message}")
        )
    return 0 if all(r.ok for r in results) else 1


def _default(args: argparse.Namespace, manager: ModelManager) -> int:
    if args.model:
        model = manager.find(args.model)
        manager.set_default(model)
        print(f"Default model: {model.name} (id {model.id}).")
        return 0
    model = manager.default_model()
    if model is None:
        print("The default model is not installed.")
        return 1
    print(f"{model.id}  {model.name}  {model.path}")
    return 0


# -- output helpers ----------------------------------------------------------------------
def _sha256_arg(value: str) -> str:
    digest = value.strip().lower().removeprefix("sha256:")
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise argparse.ArgumentTypeError(f"{value!r} is not a sha256 (64 hexadecimal digits)")
    return digest


def _model_json(m: InstalledModel, default: InstalledModel | None) -> dict[str, Any]:
    data = m.to_json()
    data.update(present=m.present, default=bool(default and default.id == m.id))
    data["settings"] = m.settings.__dict__
    return data


def _table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


class _ProgressPrinter:
    """One updating line on a terminal; a line per 10% otherwise (logs, pipes)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last_step = -1
        self.shown = False

    def __call__(self, p: Progress) -> None:
        total = f"/{format_bytes(p.total)}" if p.total else ""
        speed = f"{format_bytes(p.speed_bps)}/s" if p.speed_bps else ""
        eta = f" {_duration(p.eta_s)} left" if p.eta_s is not None else ""
        pct = f"{p.fraction * 100:5.1f}% " if p.fraction is not None else ""
        line = f"{p.phase}: {pct}{format_bytes(p.done)}{total} {speed}{eta}"
        if self.tty:
            print(f"\r{line:<78}", end="", file=sys.stderr, flush=True)
            self.shown = True
            return
        step = int((p.fraction or 0) * 10)
        if step != self.last_step:
            self.last_step = step
            print(line, file=sys.stderr, flush=True)

    def done(self) -> None:
        if self.tty and self.shown:
            print(file=sys.stderr)
            self.shown = False


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"
