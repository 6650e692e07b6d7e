"""The ASGI app: `/v1/models` and `/v1/chat/completions` (streamed or not), OpenAI-compatible.

Every request needs the bearer token and must come from loopback. A request is checked by the
policy gate at once (a locked value: 403 with the reason), then becomes one job on the model
thread: the conversation service prepares the turn (stored like any other conversation) and
runs it; pieces flow back to the request's event loop as they are made. A client that
disconnects cancels its job, queued or running.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from app.api import openai_format as fmt
from app.api.executor import ModelExecutor
from app.api.token import TokenHolder
from app.core.chat import ConversationService, Turn, TurnResult
from app.core.errors import (
    Cancelled,
    ContextOverflowError,
    EnclaveError,
    ModelError,
    PolicyRefused,
)
from app.core.netguard import is_loopback
from app.core.types import CancelToken, ModelInfo, Thought

VIA = "this API request"


def _fail(status: int, message: str, kind: str, code: str | None = None) -> JSONResponse:
    return JSONResponse(fmt.error(message, kind, code), status_code=status)


def error_response(exc: BaseException) -> JSONResponse:
    """The HTTP answer for a failure: the status the OpenAI client expects, our message."""
    if isinstance(exc, PolicyRefused) or getattr(exc, "exit_code", 1) == 3:
        return _fail(403, str(exc), "permission_error", "policy_refused")
    if isinstance(exc, fmt.BadRequest | ContextOverflowError | ValueError):
        return _fail(400, str(exc), "invalid_request_error")
    if isinstance(exc, ModelError):  # raised before the turn was written: no such model
        return _fail(404, str(exc), "invalid_request_error", "model_not_found")
    if isinstance(exc, EnclaveError):
        return _fail(500, str(exc), "server_error")
    return _fail(500, f"Unexpected error: {exc!r}", "server_error")


def create_app(
    service: ConversationService,
    executor: ModelExecutor,
    token: TokenHolder,
    list_models: Callable[[], list[str]],
) -> Starlette:
    def guard(request: Request) -> JSONResponse | None:
        client = request.client.host if request.client else ""
        if not is_loopback(client):
            return _fail(403, "The Enclave API answers this computer only.", "permission_error")
        if not token.matches(request.headers.get("authorization")):  # the current token
            return _fail(401, "A valid API token is required (Authorization: Bearer …); it is "
                         "in the api-token file of Enclave's data folder.",
                         "invalid_request_error", "invalid_api_key")  # fmt: skip
        return None

    async def models(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        ids = await run_in_threadpool(list_models)
        data = [{"id": i, "object": "model", "created": 0, "owned_by": "enclave"} for i in ids]
        return JSONResponse({"object": "list", "data": data})

    async def chat(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        try:
            req = fmt.parse_chat(await request.json())
            service.gate.check_overrides(req.checked, VIA)  # refused at once, never queued
        except json.JSONDecodeError:
            return _fail(400, "The request body is not JSON.", "invalid_request_error")
        except (EnclaveError, ValueError) as exc:
            return error_response(exc)
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        def emit(kind: str, value: Any) -> None:
            with contextlib.suppress(RuntimeError):  # the server is shutting down: nobody waits
                loop.call_soon_threadsafe(events.put_nowait, (kind, value))

        cancel = CancelToken()
        future = executor.submit(lambda backend, c: _run_turn(service, req, backend, c, emit),
                                 cancel)  # fmt: skip
        future.add_done_callback(lambda f: emit("done", f))
        name = req.model or fmt.DEFAULT_MODEL
        if req.stream:
            return StreamingResponse(_stream(events, cancel, req, name),
                                     media_type="text/event-stream")  # fmt: skip
        return await _whole(request, events, cancel, name)

    return Starlette(routes=[
        Route("/v1/models", models, methods=["GET"]),
        Route("/v1/chat/completions", chat, methods=["POST"]),
    ])  # fmt: skip


def _prepare(service: ConversationService, req: fmt.ChatRequest) -> Turn:
    """The turn, stored like any conversation; earlier turns of the request come first."""
    conversation_id = None
    if req.history:
        system = service.gate.system_prompt(None, req.system)
        conversation_id = service.store.create_conversation(system_prompt=system).id
        for message in req.history:
            service.store.add_message(conversation_id, message.role, message.content)
    return service.prepare(
        req.prompt,
        conversation_id,
        model=req.model,
        system_prompt=req.system if conversation_id is None else None,
        overrides=req.overrides,
        seed=req.seed,
        via=VIA,
        check_model=True,  # a missing or refused model fails before anything is written
    )


def _run_turn(
    service: ConversationService,
    req: fmt.ChatRequest,
    backend: Any,
    cancel: CancelToken,
    emit: Callable[[str, Any], None],
) -> TurnResult:
    turn = _prepare(service, req)
    emit("turn", turn.reply_id)

    def on_piece(piece: object) -> None:
        if isinstance(piece, str):
            emit("piece", piece)
        elif isinstance(piece, ModelInfo):
            emit("model", piece.name)

    return service.run(turn, backend, cancel, on_piece)


def _sse(data: dict[str, Any] | str) -> str:
    return f"data: {data if isinstance(data, str) else json.dumps(data)}\n\n"


async def _stream(
    events: asyncio.Queue[tuple[str, Any]], cancel: CancelToken, req: fmt.ChatRequest, name: str
) -> AsyncIterator[str]:
    reply_id, finished = 0, False
    try:
        while True:
            kind, value = await events.get()
            if kind == "turn":
                reply_id = value
                yield _sse(fmt.chunk(reply_id, name, {"role": "assistant", "content": ""}))
            elif kind == "piece":
                key = "reasoning_content" if isinstance(value, Thought) else "content"
                yield _sse(fmt.chunk(reply_id, name, {key: str(value)}))
            elif kind == "done":
                finished = True
                for line in _ending(value, reply_id, name, req.include_usage):
                    yield line
                return
    finally:
        if not finished:  # the client went away: stop its generation (queued or running)
            cancel.cancel()


def _ending(future: Future[TurnResult], reply_id: int, name: str, include_usage: bool):
    try:
        result = future.result()
    except Cancelled:
        yield _sse("[DONE]")
        return
    except BaseException as exc:  # the reply failed mid-way: the client sees why
        yield _sse(json.loads(error_response(exc).body))
        yield _sse("[DONE]")
        return
    yield _sse(fmt.chunk(reply_id, name, {}, fmt.finish_reason(result.stats)))
    if include_usage:
        usage = {"usage": fmt.usage(result.stats)}
        yield _sse({**fmt.chunk(reply_id, name, {}), "choices": [], **usage})
    yield _sse("[DONE]")


async def _whole(
    request: Request, events: asyncio.Queue[tuple[str, Any]], cancel: CancelToken, name: str
) -> Response:
    gone = asyncio.ensure_future(_disconnected(request))
    try:
        while True:
            kind, value = await _next(events, gone)
            if kind == "done":
                break
    except ConnectionAbortedError:
        cancel.cancel()
        return Response(status_code=499)
    finally:
        gone.cancel()
    try:
        result: TurnResult = value.result()
    except BaseException as exc:
        return error_response(exc)
    reasoning = str(result.stats.get("reasoning", ""))
    return JSONResponse(fmt.completion(result.turn.reply_id, name, result.text, reasoning,
                                       result.stats))  # fmt: skip


async def _next(events: asyncio.Queue[tuple[str, Any]], gone: asyncio.Future[None]):
    getter = asyncio.ensure_future(events.get())
    done, _ = await asyncio.wait({getter, gone}, return_when=asyncio.FIRST_COMPLETED)
    if getter in done:
        return getter.result()
    getter.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await getter
    raise ConnectionAbortedError


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass
