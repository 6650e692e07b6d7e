"""Server-sent events (the `text/event-stream` of a streamed chat completion), line by line.

Only what OpenAI-compatible servers send is needed: `data:` lines (several join with newlines),
`event:` names, comments (`: ping` keep-alives, ignored) and the blank line that ends an event.
Unknown fields are ignored, as the SSE specification says.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    event: str  # "message" when the server gave no name
    data: str


def events(lines: Iterable[str]) -> Iterator[Event]:
    name, data = "", []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                yield Event(name or "message", "\n".join(data))
            name, data = "", []
            continue
        if line.startswith(":"):
            continue  # a comment: keep-alive
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            data.append(value)
        elif field == "event":
            name = value
    # An event the stream ended in the middle of is discarded, as the specification says.
