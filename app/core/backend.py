"""The interface the window and the command line use to talk to a language model.

Today's implementation is `app.core.engine.LocalEngine` (llama.cpp in this process). An
on-premises OpenAI-compatible server is the planned second one; it only has to provide this.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from app.core.types import (
    CancelToken,
    ChatMessage,
    GenerationParams,
    GenerationStats,
    LoadOptions,
    ModelInfo,
)


class TokenStream(Protocol):
    """Iterating yields text pieces as they are generated; `stats` is final once exhausted."""

    stats: GenerationStats

    def __iter__(self) -> Iterator[str]: ...


class Backend(Protocol):
    """A backend whose class says `keeps_kv_state = True` (the local engine) also takes
    `generate(..., session=StateSession)`: the conversation's KV state, saved and restored
    across processes (app.core.kv_cache), and `warm(history, session)`: a conversation opened
    made ready for its next message (app.core.chat.warm). Others are never given one.

    Likewise `reports_load_progress = True` (the local engine) means `load(..., *,
    on_progress=fraction -> None, cancel=CancelToken)`: llama.cpp's loading figure, and Stop
    during the load (Cancelled, no model loaded); see app.core.chat.loader."""

    @property
    def info(self) -> ModelInfo | None: ...

    def load(self, path: Path, options: LoadOptions) -> ModelInfo: ...

    def unload(self) -> None: ...

    def count_tokens(self, text: str) -> int: ...

    def generate(
        self,
        messages: Sequence[ChatMessage],
        params: GenerationParams,
        cancel: CancelToken | None = None,
    ) -> TokenStream: ...
