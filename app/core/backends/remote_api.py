"""The shapes of the OpenAI-compatible API the remote backend speaks: the chat request it
sends, the model list and tokenizer answers it reads (vLLM, llama-server, llama-cpp-python,
Ollama differ in the details), and the estimate used when a server has no tokenizer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.core.types import ChatMessage, GenerationParams

TOKENIZERS = (  # (path from the server root, request body), tried in this order at load
    ("/tokenize", lambda model, text: {"content": text}),  # llama-server
    ("/tokenize", lambda model, text: {"model": model, "prompt": text}),  # vLLM
    ("/extras/tokenize/count", lambda model, text: {"input": text}),  # llama-cpp-python
)


@dataclass(frozen=True)
class RemoteModel:
    id: str
    n_ctx: int | None = None  # the context the server gives a request (vLLM's max_model_len)
    n_ctx_train: int | None = None  # what the model was trained for (llama-server's meta)
    digest: str = ""


def estimate_tokens(text: str) -> int:
    """Over-estimates for any tokenizer in use: ~4 bytes a token in English, 3 in CJK."""
    return -(-len(text.encode("utf-8")) // 2)


def chat_body(
    model: str, messages: Sequence[ChatMessage], params: GenerationParams
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": m.role, "content": m.content} for m in messages],
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": params.max_tokens,
        "temperature": params.temperature,
        "top_p": params.top_p,
        # Not in OpenAI's API, understood by llama.cpp and vLLM, ignored by the others.
        "top_k": params.top_k,
        "min_p": params.min_p,
        "repeat_penalty": params.repeat_penalty,
    }
    if params.seed is not None:
        body["seed"] = params.seed
    if params.stop:
        body["stop"] = list(params.stop)
    if params.ignore_eos:
        body["ignore_eos"] = True
    return body


def parse_chunk(data: str) -> dict[str, Any]:
    try:
        chunk = json.loads(data)
    except ValueError:
        return {}  # not JSON: an event this client does not know, ignored
    return chunk if isinstance(chunk, dict) else {}


def whole_as_chunk(body: bytes) -> dict[str, Any]:
    """A non-streamed `chat.completion` in the shape of one streamed chunk."""
    whole = parse_chunk(body.decode("utf-8", "replace"))
    choices = [
        {"delta": c.get("message") or {}, "finish_reason": c.get("finish_reason") or "stop"}
        for c in whole.get("choices") or ()
        if isinstance(c, dict)
    ]
    return {**whole, "choices": choices}


def token_count(data: dict[str, Any]) -> int | None:
    if isinstance(data.get("count"), int):
        return data["count"]
    tokens = data.get("tokens")
    return len(tokens) if isinstance(tokens, list) else None


def remote_model(entry: dict[str, Any]) -> RemoteModel:
    meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
    digest = str(entry.get("digest") or entry.get("sha256") or "").removeprefix("sha256:")
    return RemoteModel(
        id=str(entry.get("id") or ""),
        n_ctx=_positive(entry.get("max_model_len")),
        n_ctx_train=_positive(meta.get("n_ctx_train")),
        digest=digest.lower() if len(digest) == 64 else "",
    )


def _positive(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
