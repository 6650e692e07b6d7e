"""`enclave chat`: stream an answer to stdout and save the exchange as a conversation.

A thin adapter over the conversation service: the flags become a turn's overrides (the policy
gate refuses a locked one, exit 3), the service chooses the model (the conversation's own with
--continue), streams the reply into the store and says how it ended.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from app.core.config.runtime import Runtime
from app.core.errors import EnclaveError
from app.core.loop_guard import LOOP_NOTE
from app.core.types import Thought

if TYPE_CHECKING:  # the chat stack loads only for `enclave chat`: other commands start faster
    from app.core.chat import TurnResult


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chat", help="stream an answer to stdout (saved as a conversation)")
    p.add_argument("prompt", metavar="PROMPT", help="the message; '-' reads it from stdin")
    p.add_argument(
        "-m", "--model", help="installed model id or name, a .gguf path, or SERVER/MODEL_ID"
    )
    p.add_argument("--system", help="system prompt for a new conversation")
    p.add_argument(
        "--continue",
        dest="continue_id",
        type=int,
        metavar="ID",
        help="add to conversation ID (with its own model) instead of starting a new one",
    )
    p.add_argument("--max-tokens", type=int, metavar="N")
    p.add_argument("--temperature", type=float, metavar="T")
    p.add_argument("--seed", type=int, metavar="N")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    if not prompt.strip():
        raise EnclaveError("The prompt is empty; type a message after 'enclave chat'.")
    from app.core.backends import local_backend  # llama.cpp loads only when needed
    from app.core.chat import ConversationService, TurnFailed

    store = runtime.open_store()
    engine = local_backend()
    try:
        store.mark_interrupted()
        service = ConversationService(runtime, store)
        turn = service.prepare(
            prompt,
            args.continue_id,
            model=args.model,
            system_prompt=args.system,
            overrides={"max_tokens": args.max_tokens, "temperature": args.temperature},
            seed=args.seed,
            via="the command line",
            check_model=True,  # a refused or missing model fails before anything is written
        )
        try:
            result = service.run(turn, engine, on_piece=_show)
        except KeyboardInterrupt:
            sys.stdout.write("\n")
            print(
                f"enclave: cancelled; the partial answer is saved in conversation "
                f"{turn.conversation_id}",
                file=sys.stderr,
            )
            return 130
        except TurnFailed as exc:
            if exc.result.text:  # end the partial answer's line before the error
                sys.stdout.write("\n")
            raise
        return _report(result)
    finally:
        engine.unload()
        store.close()


def _show(piece: object) -> None:
    if isinstance(piece, str) and not isinstance(piece, Thought):
        sys.stdout.write(piece)
        sys.stdout.flush()


def _report(result: TurnResult) -> int:
    stats = result.stats
    citations = stats.get("citations")
    if citations is not None:
        # The answer's numbered sources (or the fixed "nothing matched" sentence) follow it.
        shown = result.text.rpartition("\n\n")[2] if citations else result.text
        sys.stdout.write(("\n\n" if citations else "") + shown + "\n")
    else:
        sys.stdout.write("\n")
    if stats.get("stop_reason") == "loop":
        print(f"enclave: {LOOP_NOTE}", file=sys.stderr)
    model = result.record.model_name or "?"
    print(
        f"[conversation {result.turn.conversation_id} · {model} · "
        f"{stats.get('generated_tokens', 0)} tokens · "
        f"{stats.get('decode_tokens_per_s', 0.0):.1f} tokens/s · "
        f"first token {stats.get('time_to_first_token_s', 0.0):.2f} s]",
        file=sys.stderr,
    )
    return 130 if result.status == "cancelled" else 0
