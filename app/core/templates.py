"""Chat templates: turn a conversation into the prompt text a model was trained on.

The GGUF's own `tokenizer.chat_template` (Jinja) wins; it is rendered in Jinja's immutable
sandbox, in a helper process with time and memory limits (template_sandbox), because a model
file is untrusted input. Without one, a built-in template is chosen by
architecture, and failing that a plain "User: … / Assistant:" completion style is used.

Every template renders a `PromptText`: its own markers are markup, each message's text is
`Content`, so no message can spell its way into a control token (app.core.prompt).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.core.errors import ModelError
from app.core.prompt import Content, PromptText
from app.core.template_marking import Defused, Placeholders
from app.core.template_sandbox import SandboxFailure, TemplateSandbox
from app.core.types import ChatMessage

_log = logging.getLogger(__name__)


Renderer = Callable[[Sequence[ChatMessage]], PromptText]


class ChatTemplateError(ModelError):
    """A chat template is unknown, broken, or tried something the sandbox forbids."""


@dataclass(frozen=True)
class ChatTemplate:
    family: str  # a built-in family name, or "gguf"
    source: str  # "gguf", "builtin:<family>" or "completion" (as in ModelInfo)
    stop: tuple[str, ...]  # strings that end a reply
    renderer: Renderer
    closer: Callable[[], None] | None = None  # ends a GGUF template's helper process

    def render(self, messages: Sequence[ChatMessage]) -> PromptText:
        """The prompt for `messages`, ending where the assistant's reply starts.

        Its markup is the template's; every message's text is `Content` (never control tokens).
        """
        return self.renderer(messages)

    def close(self) -> None:
        """Release what the template holds (a helper process); built-in ones hold nothing."""
        if self.closer is not None:
            self.closer()


def _split_system(messages: Sequence[ChatMessage]) -> tuple[str, list[ChatMessage]]:
    """System messages joined into one text, and the remaining turns."""
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    return system, [m for m in messages if m.role != "system"]


def _fold_system(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    """For formats without a system role: the system text opens the first user turn."""
    system, turns = _split_system(messages)
    if not system:
        return turns
    for i, message in enumerate(turns):
        if message.role == "user":
            turns[i] = ChatMessage("user", f"{system}\n\n{message.content}")
            return turns
    return [ChatMessage("user", system), *turns]


def render_gemma(messages: Sequence[ChatMessage]) -> PromptText:
    parts: list[str] = []
    for m in _fold_system(messages):
        role = "model" if m.role == "assistant" else "user"
        parts += [f"<start_of_turn>{role}\n", Content(m.content.strip()), "<end_of_turn>\n"]
    parts.append("<start_of_turn>model\n")
    return PromptText(parts)


def render_llama3(messages: Sequence[ChatMessage]) -> PromptText:
    parts: list[str] = []
    for m in messages:
        parts += [
            f"<|start_header_id|>{m.role}<|end_header_id|>\n\n",
            Content(m.content.strip()),
            "<|eot_id|>",
        ]
    parts.append("<|start_header_id|>assistant<|end_header_id|>\n\n")
    return PromptText(parts)


def render_chatml(messages: Sequence[ChatMessage]) -> PromptText:
    parts: list[str] = []
    for m in messages:
        parts += [f"<|im_start|>{m.role}\n", Content(m.content), "<|im_end|>\n"]
    parts.append("<|im_start|>assistant\n")
    return PromptText(parts)


def render_mistral(messages: Sequence[ChatMessage]) -> PromptText:
    parts: list[str] = []
    for m in _fold_system(messages):
        if m.role == "user":
            parts += ["[INST] ", Content(m.content.strip()), " [/INST]"]
        else:
            parts += [" ", Content(m.content.strip()), "</s>"]
    return PromptText(parts)


def render_phi3(messages: Sequence[ChatMessage]) -> PromptText:
    parts: list[str] = []
    for m in messages:
        parts += [f"<|{m.role}|>\n", Content(m.content), "<|end|>\n"]
    parts.append("<|assistant|>\n")
    return PromptText(parts)


def render_completion(messages: Sequence[ChatMessage]) -> PromptText:
    system, turns = _split_system(messages)
    parts: list[str] = [Content(system), "\n\n"] if system else []
    for m in turns:
        speaker = "User" if m.role == "user" else "Assistant"
        parts += [f"{speaker}: ", Content(m.content.strip()), "\n"]
    parts.append("Assistant:")
    return PromptText(parts)


_BUILTIN: dict[str, tuple[Renderer, tuple[str, ...]]] = {
    "gemma": (render_gemma, ("<end_of_turn>", "<start_of_turn>")),
    "llama3": (render_llama3, ("<|eot_id|>", "<|start_header_id|>", "<|end_of_text|>")),
    "chatml": (render_chatml, ("<|im_end|>", "<|im_start|>", "<|endoftext|>")),
    "mistral": (render_mistral, ("</s>", "[INST]")),
    "phi3": (render_phi3, ("<|end|>", "<|user|>", "<|endoftext|>")),
    "completion": (render_completion, ("\nUser:",)),
}
FAMILIES = tuple(_BUILTIN)
_ALIASES = {
    "gemma2": "gemma", "gemma3": "gemma", "gemma3n": "gemma", "llama": "llama3",
    "llama-3": "llama3", "qwen": "chatml", "qwen2": "chatml", "qwen3": "chatml",
    "mistral3": "mistral", "inst": "mistral", "phi-3": "phi3", "plain": "completion",
}  # fmt: skip
# GGUF `general.architecture` -> family, when the file carries no template of its own.
_ARCHITECTURES = {
    "gemma": "gemma", "gemma2": "gemma", "gemma3": "gemma", "gemma3n": "gemma",
    "llama": "llama3", "qwen2": "chatml", "qwen3": "chatml", "qwen2moe": "chatml",
    "qwen3moe": "chatml", "mistral": "mistral", "mistral3": "mistral", "phi3": "phi3",
}  # fmt: skip


def builtin_template(family: str) -> ChatTemplate:
    name = _ALIASES.get(family.lower().strip(), family.lower().strip())
    if name not in _BUILTIN:
        raise ChatTemplateError(
            f"Unknown chat template {family!r}; choose one of: {', '.join(FAMILIES)}."
        )
    renderer, stop = _BUILTIN[name]
    source = "completion" if name == "completion" else f"builtin:{name}"
    return ChatTemplate(name, source, stop, renderer)


# --- the GGUF's own Jinja template, sandboxed in a helper process ----------------------------

_CHOOSE = "choose a template family in the settings to use this model."


def _template_error(failure: SandboxFailure) -> ChatTemplateError:
    if failure.kind == "invalid":
        text = f"The model's built-in chat template is invalid ({failure}); {_CHOOSE}"
    elif failure.kind == "unsafe":
        text = (
            f"The model's built-in chat template tried an unsafe operation and was stopped "
            f"({failure}); {_CHOOSE}"
        )
    elif failure.kind == "refused":
        text = f"The model's chat template refused the conversation: {failure}"
    elif failure.kind == "limit":
        text = (
            f"The model's built-in chat template used too much time or memory and was stopped "
            f"({failure}); {_CHOOSE}"
        )
    else:
        text = f"The model's built-in chat template failed ({failure}); {_CHOOSE}"
    return ChatTemplateError(text)


def gguf_template(source: str, *, bos_token: str = "", eos_token: str = "") -> ChatTemplate:
    """A template from a GGUF's `tokenizer.chat_template`, compiled in its sandbox process.

    Close the result (ChatTemplate.close) when the model unloads; dropping it also ends the
    process.
    """
    try:
        sandbox = TemplateSandbox(source)
    except SandboxFailure as exc:
        raise _template_error(exc) from exc

    def text(messages: Sequence[ChatMessage]) -> str:
        return sandbox.render(
            {
                "messages": [{"role": m.role, "content": m.content} for m in messages],
                "add_generation_prompt": True,
                "bos_token": bos_token,
                "eos_token": eos_token,
            }
        )

    def run(messages: Sequence[ChatMessage]) -> PromptText:
        """The prompt with its content parts found (see template_marking)."""
        marks = Placeholders(messages)
        prompt = marks.prompt(text(messages), text(marks.messages))
        if prompt is None:
            defused = Defused(messages)
            prompt = defused.prompt(text(defused.messages))
        return prompt

    def render(messages: Sequence[ChatMessage]) -> PromptText:
        try:
            try:
                return run(messages)
            except SandboxFailure as exc:
                if exc.kind != "refused" or not any(m.role == "system" for m in messages):
                    raise
                # Many templates reject a system role; fold it into the first user turn.
                return run(_fold_system(messages))
        except SandboxFailure as exc:
            raise _template_error(exc) from exc

    stop = (eos_token,) if eos_token else ()
    return ChatTemplate("gguf", "gguf", stop, render, sandbox.close)


def select_template(
    *,
    architecture: str,
    embedded: str | None,
    override: str | None = None,
    has_special_token: Callable[[str], bool] | None = None,
    bos_token: str = "",
    eos_token: str = "",
) -> ChatTemplate:
    """Pick the template for a model: override, else the GGUF's own, else by architecture.

    `has_special_token` lets a `llama`-architecture file that is really Mistral/Llama 2
    (no Llama 3 header tokens) get the [INST] format, and an unknown architecture with
    ChatML tokens get ChatML.
    """
    if override:
        return builtin_template(override)
    if embedded:
        template = gguf_template(embedded, bos_token=bos_token, eos_token=eos_token)
        try:
            template.render([ChatMessage("user", "Hello")])  # fail at load, not mid-conversation
        except ChatTemplateError:
            template.close()
            raise
        return template
    has = has_special_token or (lambda _text: False)
    family = _ARCHITECTURES.get(architecture.lower())
    if family == "llama3" and has_special_token and not has("<|start_header_id|>"):
        family = "mistral" if has("[INST]") or has("</s>") else "completion"
    if family is None and has("<|im_start|>"):
        family = "chatml"
    if family is None:
        _log.info("No chat template for architecture %r; using completion style", architecture)
        family = "completion"
    return builtin_template(family)
