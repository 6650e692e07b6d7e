"""What a model file must pass to be installed: the checks a load makes, made at import.

A file that imports but cannot load is worse than a refused import: it shows up in every list,
may become the default, and fails each time it is chosen. So import, download and the scan of
the models folder run the header check (`check_gguf`, llama.cpp's limits included) and render
the GGUF's own chat template once in its sandbox, as the engine does when it loads the model.
"""

from __future__ import annotations

from pathlib import Path

from app.core.errors import ModelError
from app.core.models.gguf_check import GgufHeader, check_gguf
from app.core.types import ChatMessage


def check_model_file(path: Path) -> GgufHeader:
    """The header of a file Enclave can load, or a ModelError naming why not."""
    header = check_gguf(path)
    check_chat_template(header)
    return header


def check_chat_template(header: GgufHeader) -> None:
    """Render the GGUF's chat template once, as loading does (nothing to do without one)."""
    source = header.metadata.get("tokenizer.chat_template")
    if not isinstance(source, str) or not source.strip():
        return
    from app.core.templates import gguf_template  # jinja2's sandbox: not needed to start

    try:
        # No bos/eos text: it lies in the vocabulary the header check skips, and templates
        # only paste it in.
        template = gguf_template(source)
        try:
            template.render([ChatMessage("user", "Hello")])
        finally:
            template.close()
    except ModelError as exc:
        raise ModelError(f"{header.path.name} was not installed: {exc}") from exc
