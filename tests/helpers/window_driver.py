"""Drive the real window from a script, as a user would, reporting what happens on stdout.

    python -m tests.helpers.window_driver --data-dir DIR [--prompt TEXT] [--continue ID]
        [--max-tokens N] [--context N] [--threads N] [--quit] [--no-load]

It opens the real `MainWindow` (real store, real model worker and engine, `QT_QPA_PLATFORM`
offscreen unless set), waits for the model, opens conversation ID if given, sends the prompt
through the window (`MainWindow.send`, what the composer's Enter does) and prints one JSON line
per event, flushed at once: `shown`, `loaded`, `started` (conversation, message), `text` (the
new text and the total length so far, as the chat view receives it), `finished` (status).
With `--quit` it closes the window after the reply; otherwise it streams until killed, which
is what the crash-safety harness does. Without `--prompt` it only loads the model and waits;
with `--no-load` it does not even load it (the benchmarks measure memory in each state).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any


def emit(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, "t": time.time(), **fields}) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="window_driver")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--prompt")
    parser.add_argument("--continue", dest="conversation", type=int)
    parser.add_argument("--max-tokens", type=int, default=2000)
    parser.add_argument("--context", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quit", action="store_true", help="close the window after the reply")
    parser.add_argument("--no-load", action="store_true", help="show the window, load nothing")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from app.core import netguard
    from app.core.config.runtime import Runtime
    from app.ui.application import create_qapp, open_window

    netguard.install()  # as the real entry point does
    runtime = Runtime.create(args.data_dir, None)
    runtime.settings.update(
        max_tokens=args.max_tokens, context_size=args.context, threads=args.threads
    )
    app = create_qapp()
    window = open_window(runtime)
    window.show()
    emit("shown")
    length = [0]

    def on_loaded(info: Any) -> None:
        emit("loaded", model=info.name)
        if args.prompt is None:
            return
        if args.conversation is not None:
            window.sidebar.select(args.conversation)
            window.show_conversation(args.conversation)
        window.send(args.prompt)

    def on_started(conversation_id: int, message_id: int) -> None:
        emit("started", conversation=conversation_id, message=message_id)

    def on_text(_message_id: int, text: str) -> None:
        emit("text", text=text[length[0] :], length=len(text))
        length[0] = len(text)

    def on_finished(_message_id: int, status: str, _stats: Any) -> None:
        emit("finished", status=status)
        if args.quit:
            window.close()
            app.quit()

    def on_failed(message: str) -> None:
        emit("failed", message=message)
        app.exit(1)

    window.worker.modelLoaded.connect(on_loaded)
    window.worker.modelFailed.connect(on_failed)
    window.controller.replyStarted.connect(on_started)
    window.controller.replyUpdated.connect(on_text)
    window.controller.replyFinished.connect(on_finished)
    if not args.no_load:
        window.load_model()
    try:
        return app.exec()
    finally:
        window.shutdown()


if __name__ == "__main__":
    sys.exit(main())
