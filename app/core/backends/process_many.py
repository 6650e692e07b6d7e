"""`complete_many` across the process boundary: the results the engine process sends.

The child answers ("started", width), then ("done", index, text, stats) as each prompt ends,
then ("end",) or ("error", exc) (see local_child). Like a reply stream, this is the engine's one
active request: a new request, Stop or `close()` stops the child and reads what it already
sent, so the pipe is clean for the next one.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from app.core.backends.local_child import rebuild
from app.core.backends.local_process import EngineCrashed
from app.core.completions import Completion, Completions
from app.core.errors import ModelError
from app.core.types import CancelToken

if TYPE_CHECKING:
    from app.core.backends.local_process import ProcessEngine, _Child


class ProcessCompletions(Completions):
    def __init__(
        self, engine: ProcessEngine, child: _Child, width: int, cancel: CancelToken | None
    ) -> None:
        super().__init__(width, iter(()))
        self._engine, self._child, self._cancel = engine, child, cancel
        self.finished = False

    def __iter__(self) -> ProcessCompletions:
        return self

    def __next__(self) -> Completion:
        if self.finished:
            raise StopIteration
        if self._cancel is not None and self._cancel.cancelled:
            self.close()  # results the child made after Stop are dropped
            raise StopIteration
        try:
            message = self._child.receive(cancel=self._cancel)
        except EngineCrashed as exc:
            self.finished = True
            raise self._engine.crashed(exc, "summarising") from exc
        if message[0] == "done":
            return message[1], message[2], message[3]
        self.finished = True
        self._engine.stream_ended(self)
        if message[0] == "end":
            raise StopIteration
        raise rebuild(message[1])

    def close(self) -> None:
        if self.finished:
            return
        self._child.flag.value = 1
        self._cancel = None
        with contextlib.suppress(ModelError):
            for _ in self:
                pass
