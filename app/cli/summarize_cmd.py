"""`enclave summarize FILE... [-o OUT] [--lang auto|en|fr] [--json]`: progress on stderr.

Each file is read, attached to a new conversation (so `enclave chat --continue ID` and the
window can ask about it later), and summarised however long it is. The summaries go to stdout
(or OUT), Markdown or JSON. A file that cannot be read gets one line on stderr and the others
still run (exit 1); Ctrl-C stops at the next token, keeps what was summarised so far, and exits
130.
"""

from __future__ import annotations

import argparse
import getpass
import json
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from app.core.atomic_write import SHARED, write_text_atomic
from app.core.config.runtime import Runtime
from app.core.errors import DocumentError, EnclaveError
from app.core.types import CancelToken

EXIT_OK, EXIT_ERROR, EXIT_CANCELLED = 0, 1, 130
_PASSWORD_TRIES = 3


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "summarize",
        aliases=["summarise"],
        help="summarise documents locally, however long (progress on stderr)",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="PDF, DOCX, ODT, RTF, TXT, MD, …")
    p.add_argument("-o", "--output", metavar="OUT", help="write the summaries here, not stdout")
    p.add_argument(
        "--lang",
        choices=("auto", "en", "fr"),
        default="auto",
        help="summary language (default: the document's own)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--max-tokens",
        type=int,
        metavar="N",
        help="longest text the model writes per step (default 320 for the overview)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    from app.core.documents.extract.guards import not_a_file
    from app.core.documents.model import DocumentLimits
    from app.core.documents.summarise import SummaryOptions

    paths = [Path(f) for f in args.files]
    for path in paths:  # a typo fails at once, before the model loads
        problem = not_a_file(path)
        if problem:
            raise DocumentError(problem)
    if args.max_tokens is not None and args.max_tokens < 8:
        raise EnclaveError("--max-tokens must be 8 or more.")
    settings = runtime.settings.current
    limits = DocumentLimits.from_settings(settings)
    options = SummaryOptions(language=args.lang)
    if args.max_tokens:
        options = SummaryOptions(
            language=args.lang,
            map_max_tokens=min(options.map_max_tokens, args.max_tokens),
            reduce_max_tokens=args.max_tokens,
        )

    from app.core.backends import local_backend  # llama.cpp loads only when needed

    engine = local_backend()
    store = runtime.open_store()
    cancel = CancelToken()
    results: list[dict[str, Any]] = []
    failures: list[dict[str, str]] = []
    try:
        runtime.models.load(engine, runtime.models.choose())  # the allowlist is checked first
        with _sigint_cancels(cancel):
            for path in paths:
                if cancel.cancelled:
                    break
                try:
                    outcome = _summarise_one(engine, store, path, options, limits, cancel)
                except DocumentError as exc:
                    print(f"enclave: {exc}", file=sys.stderr)
                    failures.append({"file": str(path), "error": str(exc)})
                    continue
                results.append(_as_json(path, outcome))
    finally:
        engine.unload()
        store.close()
    _write(args, results, failures)
    if cancel.cancelled:
        print("enclave: cancelled; what was summarised so far is saved", file=sys.stderr)
        return EXIT_CANCELLED
    return EXIT_ERROR if failures else EXIT_OK


def _summarise_one(engine, store, path: Path, options, limits, cancel: CancelToken):
    """One file; an encrypted PDF asks for its password when someone is at the terminal."""
    from app.core.documents.extract import PasswordRequired
    from app.core.documents.pipeline import summarise_file

    password = None
    asked = 0
    while True:
        progress = _ProgressLine(path.name)
        try:
            return summarise_file(
                engine,
                store,
                path,
                options=options,
                limits=limits,
                cancel=cancel,
                progress=progress,
                password=password,
            )
        except PasswordRequired:
            if asked == _PASSWORD_TRIES or not sys.stdin.isatty():
                raise
            asked += 1
            password = getpass.getpass(f"Password for {path.name}: ")
        finally:
            progress.close()


class _ProgressLine:
    """'report.pdf: part 3 of 8 · about 40 s left' on stderr (redrawn in place on a terminal)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.tty = sys.stderr.isatty()
        self.started = time.perf_counter()
        self.drawn = False

    def __call__(self, event: Any) -> None:
        stage, done, total = event.stage, event.completed, event.total
        if stage == "extract":
            text = "reading…" if done == 0 else "read"
        elif stage == "map":
            text = f"part {min(done + 1, total)} of {total}" if done < total else f"{total} parts"
        elif stage == "reduce":
            if done and done == total:
                return  # "done" follows
            text = "merging the parts" + (f" ({done + 1} of {total})" if total > 1 else "")
        elif stage == "single":
            if done:
                return  # the "done" line follows at once
            text = "summarising"
        else:
            text = f"done in {time.perf_counter() - self.started:.0f} s"
        if event.eta_s and event.eta_s >= 1 and stage in ("map", "reduce"):
            text += f" · about {event.eta_s:.0f} s left"
        line = f"{self.name}: {text}"
        if self.tty:
            sys.stderr.write("\r\033[K" + line)
            self.drawn = True
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty and self.drawn:
            sys.stderr.write("\n")


@contextmanager
def _sigint_cancels(cancel: CancelToken):
    """Ctrl-C sets the token (checked between tokens) instead of tearing the run down."""
    try:
        previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    except ValueError:  # not the main thread (embedded use): keep the default behaviour
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _as_json(path: Path, outcome) -> dict[str, Any]:
    from app.core.documents.model import page_label

    summary = outcome.summary
    return {
        "file": str(path),
        "name": outcome.name,
        "sha256": outcome.sha256,
        "format": outcome.format,
        "pages": outcome.pages,
        "language": outcome.language,
        "mode": summary.mode,
        "chunks": summary.chunks_total,
        "cancelled": summary.cancelled,
        "conversation_id": outcome.conversation_id,
        "document_id": outcome.document_id,
        "overview": summary.overview,
        "sections": [
            {
                "index": s.index,
                "page_start": s.page_start,
                "page_end": s.page_end,
                "pages": page_label(summary.unit, s.page_start, s.page_end, summary.language),
                "text": s.text,
            }
            for s in summary.sections
        ],
        "summary": outcome.markdown,
        "stats": {
            "prompt_tokens": summary.prompt_tokens,
            "generated_tokens": summary.generated_tokens,
            "model_s": round(summary.generation_s, 3),
            "wall_s": round(summary.wall_s, 3),
        },
    }


def _write(args: argparse.Namespace, results: list[dict[str, Any]], failures: list) -> None:
    if args.json:
        text = json.dumps({"documents": results, "errors": failures}, ensure_ascii=False, indent=2)
    elif not results:
        return
    else:
        text = "\n---\n\n".join(r["summary"] for r in results).rstrip()
        ids = ", ".join(str(r["conversation_id"]) for r in results)
        print(f"[saved as conversation {ids}]", file=sys.stderr)
    if args.output:
        out = Path(args.output)
        try:
            write_text_atomic(out, text + "\n", mode=SHARED)
        except OSError as exc:
            raise EnclaveError(
                f"Cannot write {out}: {exc.strerror or exc}; the summaries are saved in the "
                f"conversations listed above."
            ) from exc
        print(f"[written to {out}]", file=sys.stderr)
    else:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
