"""OpenAI's chat-completions format, in and out: a request becomes a turn's parts, a reply
becomes `chat.completion` (or its streamed chunks). No policy here: the gate decides.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from app.core.errors import EnclaveError
from app.core.types import ChatMessage

DEFAULT_MODEL = "enclave"  # "whatever model Enclave would use": the user's or policy's default
# Request field -> the setting it changes (the gate refuses a locked one with 403).
SETTING_FIELDS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "max_tokens": "max_tokens",
    "max_completion_tokens": "max_tokens",
    "top_k": "top_k",
    "min_p": "min_p",
    "repeat_penalty": "repeat_penalty",
}


class BadRequest(EnclaveError):
    """The request does not fit the API (HTTP 400)."""


@dataclass
class ChatRequest:
    prompt: str
    history: list[ChatMessage] = field(default_factory=list)  # earlier user/assistant turns
    system: str | None = None
    model: str | None = None  # None: the default
    overrides: dict[str, object] = field(default_factory=dict)
    seed: int | None = None
    stream: bool = False
    include_usage: bool = False

    @property
    def checked(self) -> dict[str, object]:
        """Everything the gate must allow, as setting names."""
        named = {"model": self.model, "system_prompt": self.system}
        return {**self.overrides, **{k: v for k, v in named.items() if v is not None}}


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: only text is understood
        parts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text":
                raise BadRequest("Only text content is supported (no images or audio).")
            parts.append(str(part.get("text", "")))
        return "".join(parts)
    if content is None:
        return ""
    raise BadRequest("A message's content must be text.")


def parse_chat(body: Any) -> ChatRequest:
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("messages must be a non-empty list.")
    system: list[str] = []
    turns: list[ChatMessage] = []
    for m in messages:
        role = m.get("role") if isinstance(m, dict) else None
        if role in ("system", "developer"):
            system.append(_text(m.get("content")))
        elif role in ("user", "assistant"):
            turns.append(ChatMessage(role, _text(m.get("content"))))
        else:
            raise BadRequest(f"Unsupported message role {role!r}; use system, user or assistant.")
    if not turns or turns[-1].role != "user":
        raise BadRequest("The last message must be the user's.")
    if body.get("n", 1) not in (1, None):
        raise BadRequest("Only n = 1 is supported.")
    if body.get("stop") or body.get("tools"):
        raise BadRequest("stop and tools are not supported by this API.")
    overrides: dict[str, object] = {}
    for name, setting in SETTING_FIELDS.items():
        value = body.get(name)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise BadRequest(f"{name} must be a number.")
            overrides[setting] = int(value) if setting in ("max_tokens", "top_k") else value
    model = body.get("model")
    seed = body.get("seed")
    options = body.get("stream_options") or {}
    return ChatRequest(
        prompt=turns[-1].content,
        history=turns[:-1],
        system="\n\n".join(system) if system else None,
        model=model if isinstance(model, str) and model and model != DEFAULT_MODEL else None,
        overrides=overrides,
        seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
        stream=bool(body.get("stream")),
        include_usage=bool(isinstance(options, dict) and options.get("include_usage")),
    )


def finish_reason(stats: dict[str, Any]) -> str:
    return "length" if stats.get("stop_reason") == "length" else "stop"


def usage(stats: dict[str, Any]) -> dict[str, int]:
    prompt = int(stats.get("prompt_tokens") or 0)
    completion = int(stats.get("generated_tokens") or 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}  # fmt: skip


def chunk(reply_id: int, model: str, delta: dict[str, Any], finish: str | None = None,
          extra: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "id": f"chatcmpl-{reply_id}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **(extra or {}),
    }


def completion(reply_id: int, model: str, text: str, reasoning: str,
               stats: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if reasoning:
        message["reasoning_content"] = reasoning
    return {
        "id": f"chatcmpl-{reply_id}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason(stats)}],
        "usage": usage(stats),
    }


def error(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": code}}
