"""The job that answers a question in a conversation with documents (runs on the model thread).

It streams the answer into the message as the chat job does (so a crash loses at most the last
second), then replaces it with the cleaned answer followed by its numbered sources, and keeps
the citations in the message's stats so the window can show them again later.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.core.backend import Backend
from app.core.documents.model import Citation
from app.core.documents.retrieve import ask
from app.core.store.streaming import StreamWriter
from app.core.types import CancelToken, GenerationParams
from app.ui.chat_jobs import ChatResult


def answer_job(
    store,
    conversation_id: int,
    question: str,
    params: GenerationParams,
    writer: StreamWriter,
    message_id: int,
):
    def run(engine: Backend, cancel: CancelToken, progress: Callable[[object], None]):
        def on_piece(piece: object) -> None:
            if isinstance(piece, str):
                writer.append(piece)
                progress(piece)

        try:
            answer = ask(engine, store, conversation_id, question, params, cancel, on_piece)
        except BaseException:
            if not writer.finished:
                writer.finish("failed")
            raise
        status = "cancelled" if cancel.cancelled else "complete"
        stats: dict[str, Any] = answer.stats.as_dict()
        stats["citations"] = [c.as_dict() for c in answer.citations]
        writer.finish(status, stats)
        record = store.update_message(message_id, content=answer.text)
        return ChatResult(answer.text, answer.stats, record)

    return run


def citations_from_stats(stats: dict[str, Any] | None) -> list[Citation]:
    """The citations an answer stored in its stats (see `answer_job`)."""
    from app.core.documents.model import page_unit_for

    found = []
    for item in (stats or {}).get("citations") or []:
        if not isinstance(item, dict) or not isinstance(item.get("document"), str):
            continue
        name = item["document"]
        found.append(
            Citation(
                document_name=name,
                page_start=item.get("page_start"),
                page_end=item.get("page_end"),
                path=item.get("path"),
                unit=page_unit_for(name),
            )
        )
    return found
