"""`enclave chat`: stream an answer to stdout and save the exchange as a conversation."""

from __future__ import annotations

import argparse
import sys

from app.core.errors import EnclaveError, PolicyRefused
from app.core.types import CancelToken, ChatMessage, GenerationParams
from app.core.config.runtime import Runtime


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chat", help="stream an answer to stdout (saved as a conversation)")
    p.add_argument("prompt", metavar="PROMPT", help="the message; '-' reads it from stdin")
    p.add_argument("-m", "--model", help="installed model id or name, or a .gguf path")
    p.add_argument("--system", help="system prompt for a new conversation")
    p.add_argument(
        "--continue",
        dest="continue_id",
        type=int,
        metavar="ID",
        help="add to conversation ID instead of starting a new one",
    )
    p.add_argument("--max-tokens", type=int, metavar="N")
    p.add_argument("--temperature", type=float, metavar="T")
    p.add_argument("--seed", type=int, metavar="N")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    if not prompt.strip():
        raise EnclaveError("The prompt is empty; type a message after 'enclave chat'.")
    settings = runtime.settings.current
    if args.model and runtime.policy.is_locked("model"):
        raise PolicyRefused("The administrator has locked the model; -m cannot change it.")
    if args.temperature is not None and runtime.policy.is_locked("temperature"):
        raise PolicyRefused(
            "The administrator has locked the temperature; --temperature cannot change it."
        )
    model_path = runtime.resolve_model(args.model)
    params = GenerationParams(
        max_tokens=args.max_tokens if args.max_tokens is not None else settings.max_tokens,
        temperature=settings.temperature if args.temperature is None else args.temperature,
        top_p=settings.top_p,
        top_k=settings.top_k,
        min_p=settings.min_p,
        repeat_penalty=settings.repeat_penalty,
        seed=args.seed,
    )
    if args.max_tokens is not None and args.max_tokens < 1:
        raise EnclaveError("--max-tokens must be 1 or more.")

    from app.core.engine import LocalEngine  # llama.cpp loads only when needed

    store = runtime.open_store()
    engine = LocalEngine()
    try:
        store.mark_interrupted()
        if args.continue_id is not None:
            store.get_conversation(args.continue_id)  # an unknown id fails before the load
        info = engine.load(model_path, runtime.load_options(model_path))
        if not runtime.policy.model_allowed(info.sha256):
            raise PolicyRefused(
                f"The administrator's model allowlist does not include {info.name}."
            )
        if args.continue_id is not None:
            conversation = store.get_conversation(args.continue_id)
        else:
            system = settings.system_prompt if args.system is None else args.system
            conversation = store.create_conversation(system_prompt=system)
        messages = (
            [ChatMessage("system", conversation.system_prompt)]
            if (conversation.system_prompt)
            else []
        )
        messages += [
            ChatMessage(m.role, m.content)
            for m in store.active_path(conversation.id)
            if m.role in ("user", "assistant") and m.content
        ]
        messages.append(ChatMessage("user", prompt))
        store.add_message(conversation.id, "user", prompt)
        reply = store.add_message(
            conversation.id,
            "assistant",
            "",
            status="streaming",
            model_name=info.name,
            model_sha256=info.sha256,
            params=params.as_dict(),
        )
        if store.documents(conversation.id):
            return _answer_from_documents(engine, store, conversation.id, reply.id, prompt, params)
        return _stream(engine, store, conversation.id, reply.id, messages, params)
    finally:
        engine.unload()
        store.close()


def _stream(engine, store, conversation_id: int, reply_id: int, messages, params) -> int:
    cancel = CancelToken()
    writer = store.stream_writer(reply_id)
    stream = engine.generate(messages, params, cancel)
    try:
        for piece in stream:
            writer.append(piece)
            sys.stdout.write(piece)
            sys.stdout.flush()
    except KeyboardInterrupt:
        cancel.cancel()
        writer.finish("cancelled", stream.stats.as_dict())
        sys.stdout.write("\n")
        print(
            f"enclave: cancelled; the partial answer is saved in conversation {conversation_id}",
            file=sys.stderr,
        )
        return 130
    except EnclaveError:
        writer.finish("failed", stream.stats.as_dict())
        raise
    status = "cancelled" if stream.stats.stop_reason == "cancelled" else "complete"
    writer.finish(status, stream.stats.as_dict())
    sys.stdout.write("\n")
    s = stream.stats
    print(
        f"[conversation {conversation_id} · {s.generated_tokens} tokens · "
        f"{s.decode_tokens_per_s:.1f} tokens/s · first token {s.time_to_first_token_s:.2f} s]",
        file=sys.stderr,
    )
    return 0


def _answer_from_documents(
    engine, store, conversation_id: int, reply_id: int, question: str, params: GenerationParams
) -> int:
    """A conversation with documents attached is answered from them, with page citations."""
    from app.core.documents.retrieve import ask

    cancel = CancelToken()
    writer = store.stream_writer(reply_id)

    def show(piece: object) -> None:
        if isinstance(piece, str):
            writer.append(piece)
            sys.stdout.write(piece)
            sys.stdout.flush()

    try:
        answer = ask(engine, store, conversation_id, question, params, cancel, show)
    except KeyboardInterrupt:
        cancel.cancel()
        writer.finish("cancelled")
        print(
            f"\nenclave: cancelled; the partial answer is saved in conversation {conversation_id}",
            file=sys.stderr,
        )
        return 130
    except EnclaveError:
        writer.finish("failed")
        raise
    writer.finish("complete", answer.stats.as_dict())
    store.update_message(reply_id, content=answer.text)  # the answer with its numbered sources
    if not answer.citations:  # nothing matched: the answer is a fixed sentence, not streamed
        sys.stdout.write(answer.text + "\n")
    else:
        sys.stdout.write("\n\n" + answer.text.rpartition("\n\n")[2] + "\n")
    return 0
