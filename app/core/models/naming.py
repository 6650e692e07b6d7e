"""A model's display name, made from its GGUF header the one way every list and label uses.

`general.name` is often a training-run slug ("Smollm2 135M 8k Lc100K Mix1 Ep2"); the parts it
is made of say more: `general.basename` (the family, "smollm2"), `general.size_label` ("135M")
and `general.finetune` ("Instruct"), then the quantisation. A finetune that is a run tag (it has
digits: "8k-lc100k-mix1-ep2") gives way to the role words of the file name ("…-instruct-q8_0").
A `general.name` that is not just the converter's spelling of those parts was written by someone
on purpose ("Office assistant") and is shown as written. Without a basename, the file name is
the name: it is what the user downloaded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SEPARATOR = " · "
MAX_NAME = 120  # a user's name longer than this is cut: it has to fit in lists

# Families whose usual spelling a lower-case basename loses ("smollm2" -> "SmolLM2").
_FAMILY_CASE = {
    "smollm": "SmolLM",
    "tinyllama": "TinyLlama",
    "llama": "Llama",
    "qwen": "Qwen",
    "gemma": "Gemma",
    "phi": "Phi",
    "mistral": "Mistral",
    "mixtral": "Mixtral",
    "deepseek": "DeepSeek",
    "olmo": "OLMo",
    "internlm": "InternLM",
    "granite": "Granite",
    "falcon": "Falcon",
    "glm": "GLM",
    "exaone": "EXAONE",
}
# Words of a file name that tell what a model was tuned for, with their usual spelling.
_ROLE_WORDS = {
    "instruct": "Instruct",
    "chat": "Chat",
    "it": "IT",
    "base": "Base",
    "coder": "Coder",
    "thinking": "Thinking",
    "reasoning": "Reasoning",
    "distill": "Distill",
}
_QUANT = re.compile(r"(?i)(?:^|[-_.])(I?Q[1-8](?:_[0-9A-Z]{1,2}){0,2}|BF16|F16|F32)(?=$|[-_.])")


def display_name(header: Any) -> str:
    """The name to show for a model, from a `GgufHeader` (metadata, path, quantization)."""
    return name_from_metadata(
        header.metadata, Path(header.path).name, getattr(header, "quantization", None)
    )


def name_from_metadata(
    metadata: Mapping[str, Any], file_name: str, quantization: str | None = None
) -> str:
    """E.g. "SmolLM2 135M Instruct · Q8_0" from the general.* keys, else the file name."""
    stem = file_name[:-5] if file_name.lower().endswith(".gguf") else file_name
    quant = _quant(quantization) or _quant_in(stem)
    basename = _text(metadata.get("general.basename"))
    if basename is None:
        base = _QUANT.sub("", stem).strip(" -_.") or stem
        return f"{base}{SEPARATOR}{quant}" if quant else base
    size = _text(metadata.get("general.size_label"))
    finetune = _text(metadata.get("general.finetune"))
    written = _text(metadata.get("general.name"))
    if written and _letters(written) != _letters(basename, size, finetune):
        return written
    words = [_family(basename)]
    if size and size.lower() not in words[0].lower():
        words.append(size)
    words += _roles(finetune, stem, " ".join(words))
    name = " ".join(words)
    return f"{name}{SEPARATOR}{quant}" if quant else name


def clean_user_name(name: str) -> str | None:
    """A name the user typed, trimmed to one line; None for an empty one (the header's)."""
    text = " ".join(name.split())[:MAX_NAME].strip()
    return text or None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _letters(*parts: str | None) -> str:
    return "".join(ch for part in parts if part for ch in part.lower() if ch.isalnum())


def _family(basename: str) -> str:
    words = re.split(r"[-_\s]+", basename)
    if basename != basename.lower():
        return " ".join(words)  # the converter kept the family's own spelling
    cased = []
    for word in words:
        known = next((k for k in _FAMILY_CASE if word.startswith(k)), None)
        cased.append(
            _FAMILY_CASE[known] + word[len(known) :] if known else word[:1].upper() + word[1:]
        )
    return " ".join(cased)


def _roles(finetune: str | None, stem: str, so_far: str) -> list[str]:
    """The finetune when it reads as words; otherwise the role words in the file name."""
    if finetune and not any(ch.isdigit() for ch in finetune):
        parts = [p for p in re.split(r"[-_\s]+", finetune) if p]
        words = [_ROLE_WORDS.get(p.lower(), p[:1].upper() + p[1:]) for p in parts]
    else:
        tokens = [t.lower() for t in re.split(r"[-_.\s]+", stem)]
        words = [_ROLE_WORDS[t] for t in dict.fromkeys(tokens) if t in _ROLE_WORDS]
    taken = so_far.lower().split()
    return [w for w in words if w.lower() not in taken]


def _quant(quantization: str | None) -> str | None:
    if not quantization or quantization == "unknown" or quantization.startswith("type "):
        return None
    return quantization


def _quant_in(stem: str) -> str | None:
    match = _QUANT.search(stem)
    return match.group(1).upper() if match else None
