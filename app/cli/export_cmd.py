"""`enclave export ID --format md|html|pdf|json [-o OUT]`: a conversation to a file or stdout."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.core.atomic_write import SHARED, write_text_atomic
from app.core.config.runtime import Runtime
from app.core.errors import EnclaveError

FORMATS = ("md", "html", "pdf", "json")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export a conversation to Markdown, HTML, PDF or JSON")
    p.add_argument("conversation_id", type=int, metavar="CONVERSATION_ID")
    p.add_argument("--format", choices=FORMATS, required=True)
    p.add_argument(
        "-o", "--output", metavar="OUT", help="file to write (default: stdout; PDF needs a file)"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    from app.core import export

    store = runtime.open_store()
    try:
        conversation = store.get_conversation(args.conversation_id)
        messages = store.active_path(conversation.id)
    finally:
        store.close()
    if args.format == "pdf":
        if not args.output:
            raise EnclaveError("PDF export needs a file: add -o FILE.pdf.")
        from app.ui.export_pdf import html_to_pdf

        html_to_pdf(export.to_html(conversation, messages), Path(args.output))
        _audit(store, args, conversation.id)
        return 0
    render = {"md": export.to_markdown, "html": export.to_html, "json": export.to_json}
    text = render[args.format](conversation, messages)
    if not isinstance(text, str):
        import json

        text = json.dumps(text, ensure_ascii=False, indent=2)
    if args.output:
        _write(Path(args.output), text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    _audit(store, args, conversation.id)
    return 0


def _audit(store, args: argparse.Namespace, conversation_id: int) -> None:
    from app.core.export import record_export

    destination = str(Path(args.output).absolute()) if args.output else "stdout"
    record_export(store, conversation_id, args.format, destination)


def _write(path: Path, text: str) -> None:
    try:
        write_text_atomic(path, text, mode=SHARED)
    except OSError as exc:
        raise EnclaveError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
